package onnx

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

// maxFuzzAlloc bounds what decoding plus compiling one fuzz input may
// allocate: a few kilobytes of protobuf must not be able to declare its way
// to gigabytes (constant folding and initializers are size-checked first).
const maxFuzzAlloc = 512 << 20

// fuzzSeeds are valid models and models broken in the ways users' files
// are: cycles, dangling names, wrong byte lengths, absurd dims, bad opsets,
// unknown operators, external data pointing out of the folder.
func fuzzSeeds() [][]byte {
	x := []*onnxpb.ValueInfoProto{vinfo("x", -1, 4)}
	y := []*onnxpb.ValueInfoProto{vinfo("y")}
	relu := func(in, out string) *onnxpb.NodeProto { return pnode("Relu", []string{in}, []string{out}) }
	specs := []modelSpec{
		mlp(), dynamicReshape(-1), dynamicReshape(2),
		{opset: 11, nodes: []*onnxpb.NodeProto{
			pnode("Clip", []string{"x", "lo", "hi"}, []string{"c"}),
			pnode("Softmax", []string{"c"}, []string{"y"}),
		}, inits: []*onnxpb.TensorProto{floatInit("lo", nil, 0), floatInit("hi", nil, 6)}, inputs: x, outputs: y},
		// cycle: a -> b -> a
		{nodes: []*onnxpb.NodeProto{relu("b", "a"), relu("a", "b"), pnode("Add", []string{"x", "a"}, []string{"y"})}, inputs: x, outputs: y},
		// dangling input name
		{nodes: []*onnxpb.NodeProto{pnode("Add", []string{"x", "nowhere"}, []string{"y"})}, inputs: x, outputs: y},
		// initializer whose raw bytes do not match its dims
		{nodes: []*onnxpb.NodeProto{pnode("Add", []string{"x", "w"}, []string{"y"})}, inputs: x, outputs: y,
			inits: []*onnxpb.TensorProto{{Name: proto.String("w"), Dims: []int64{4}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: []byte{1, 2, 3}}}},
		// 2^40 elements declared, none given
		{nodes: []*onnxpb.NodeProto{pnode("Add", []string{"x", "w"}, []string{"y"})}, inputs: x, outputs: y,
			inits: []*onnxpb.TensorProto{{Name: proto.String("w"), Dims: []int64{1 << 20, 1 << 20}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT))}}},
		// ConstantOfShape asking for 2^40 elements
		{nodes: []*onnxpb.NodeProto{pnode("ConstantOfShape", []string{"s"}, []string{"c"}), pnode("Add", []string{"x", "c"}, []string{"y"})},
			inits: []*onnxpb.TensorProto{intInit("s", []int64{2}, 1<<20, 1<<20)}, inputs: x, outputs: y},
		// Expand / Tile / Range with huge results
		{nodes: []*onnxpb.NodeProto{pnode("Expand", []string{"one", "s"}, []string{"c"}), pnode("Add", []string{"x", "c"}, []string{"y"})},
			inits: []*onnxpb.TensorProto{floatInit("one", nil, 1), intInit("s", []int64{3}, 1<<14, 1<<14, 1<<14)}, inputs: x, outputs: y},
		{nodes: []*onnxpb.NodeProto{pnode("Range", []string{"a", "b", "d"}, []string{"y"})},
			inits: []*onnxpb.TensorProto{floatInit("a", nil, 0), floatInit("b", nil, 1e12), floatInit("d", nil, 1e-3)}, outputs: y},
		// unsupported opset, unknown operators
		{opset: 99, nodes: []*onnxpb.NodeProto{relu("x", "y")}, inputs: x, outputs: y},
		{nodes: []*onnxpb.NodeProto{pnode("FancyOp", []string{"x"}, []string{"a"}), pnode("OtherOp", []string{"a"}, []string{"y"})}, inputs: x, outputs: y},
		// external data leaving the folder
		{nodes: []*onnxpb.NodeProto{pnode("Add", []string{"x", "w"}, []string{"y"})}, inputs: x, outputs: y,
			inits: []*onnxpb.TensorProto{{Name: proto.String("w"), Dims: []int64{4}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
				DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
				ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("../../etc/passwd")}}}}},
		// Reshape/Conv with odd attributes
		{nodes: []*onnxpb.NodeProto{pnode("Conv", []string{"x", "w"}, []string{"y"}, attrInts("strides", 0, 0), attrInts("pads", -5, -5, -5, -5))},
			inits: []*onnxpb.TensorProto{floatInit("w", []int64{1, 1, 1, 1}, 1)}, inputs: []*onnxpb.ValueInfoProto{vinfo("x", 1, 1, 4, 4)}, outputs: y},
		{nodes: []*onnxpb.NodeProto{pnode("Reshape", []string{"x", "s"}, []string{"y"})},
			inits: []*onnxpb.TensorProto{intInit("s", []int64{3}, -1, -1, 0)}, inputs: x, outputs: y},
	}
	var seeds [][]byte
	for _, s := range specs {
		seeds = append(seeds, marshalSeed(s.proto()))
	}
	for _, name := range []string{"mlp.op9.fix.onnx", "mlp_mixed_act.op11.fix.onnx", "mlp.op7.dyn.onnx"} {
		if data, err := os.ReadFile(filepath.Join("..", "testdata", name)); err == nil {
			seeds = append(seeds, data, data[:len(data)/2])
		}
	}
	return seeds
}

// FuzzDecode feeds arbitrary bytes to the decoder, the graph builder and
// the engine's compiler. Each must return a result or an error, never
// panic, hang or allocate absurdly.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g, err := Decode(data, "")
		if err == nil && g == nil {
			t.Fatal("nil graph without an error")
		}
		if err == nil {
			if err := g.Validate(); err != nil {
				t.Fatalf("Decode returned an invalid graph: %v", err)
			}
			prog, err := layers.Compile(g, layers.Options{Threads: 1})
			if err != nil && err.Error() == "" {
				t.Fatal("Compile failed with an empty message")
			}
			if err == nil {
				runSmall(t, g, prog)
			}
		} else if err.Error() == "" {
			t.Fatal("Decode failed with an empty message")
		}
		// The engine turns a kernel panic into an "internal error"; for
		// the fuzzer that is a crash (constant folding runs kernels too).
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("kernel panic: %v", err)
		}
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > maxFuzzAlloc {
			t.Fatalf("decoding %d bytes allocated %d MB", len(data), d>>20)
		}
	})
}

// runSmall runs a compiled fuzz graph on zeros when its inputs are small
// and fully known (a dynamic dimension counts as 1): kernels must refuse
// bad shapes with an error, not panic.
func runSmall(t *testing.T, g *layers.Graph, prog *layers.Program) {
	feed := map[string]*layers.Tensor{}
	total := 0
	for _, in := range g.Inputs {
		if _, ok := g.Initializers[in.Name]; ok {
			continue
		}
		shape := make([]int, len(in.Shape))
		for i, d := range in.Shape {
			if d > 4096 {
				return
			}
			shape[i] = max(d, 1)
		}
		n := layers.NumElements(shape)
		if n < 0 || n > 4096 || total+n > 4096 {
			return
		}
		total += n
		if in.DType == layers.Int64 {
			feed[in.Name] = layers.NewInt(shape...)
		} else {
			feed[in.Name] = layers.New(shape...)
		}
	}
	if _, err := prog.Run(feed); err != nil && strings.Contains(err.Error(), "internal error") {
		t.Fatalf("kernel panic: %v", err)
	}
}

// FuzzDecodeTensor fuzzes the TensorProto decoder.
func FuzzDecodeTensor(f *testing.F) {
	f.Add(marshalSeed(floatInit("a", []int64{2, 2}, 1, 2, 3, 4)))
	f.Add(marshalSeed(intInit("b", []int64{3}, 1, 2, 3)))
	f.Add(marshalSeed(&onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT16)), Dims: []int64{2}, RawData: []byte{0, 0x3c, 0, 0xc0}}))
	f.Add(marshalSeed(&onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{1 << 40}}))
	f.Add(marshalSeed(&onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{-1, 4}, RawData: make([]byte, 16)}))
	f.Add(marshalSeed(&onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_DOUBLE)), Dims: []int64{3}, DoubleData: []float64{1, 2}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		tt, err := DecodeTensor(data)
		if err == nil && tt.Len() != len(tt.F)+len(tt.I) {
			t.Fatal("inconsistent tensor")
		}
	})
}

func marshalSeed(m proto.Message) []byte {
	b, _ := proto.Marshal(m)
	return b
}

// FuzzExternalData fuzzes the external-data keys of an initializer (the
// location, offset and length strings an exporter writes) against a model
// folder holding one 48-byte weights file: reads stay inside the folder
// and inside the file, and nothing larger than the file is allocated.
func FuzzExternalData(f *testing.F) {
	f.Add("weights.bin", "0", "48", int64(12))
	f.Add("weights.bin", "16", "", int64(8))
	f.Add("weights.bin", "9223372036854775800", "", int64(1<<29))
	f.Add("weights.bin", "-4", "48", int64(12))
	f.Add("../weights.bin", "0", "", int64(12))
	f.Add("/etc/passwd", "0", "", int64(1))
	f.Add("sub/../weights.bin", "0", "48", int64(12))
	f.Add("", "0", "", int64(0))
	f.Add("weights.bin", "0x10", "1e3", int64(-1))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), make([]byte, 48), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, location, offset, length string, n int64) {
		kv := func(k, v string) *onnxpb.StringStringEntryProto {
			return &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(v)}
		}
		w := &onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{n}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{kv("location", location), kv("offset", offset)}}
		if length != "" {
			w.ExternalData = append(w.ExternalData, kv("length", length))
		}
		m := modelSpec{nodes: []*onnxpb.NodeProto{pnode("Add", []string{"x", "w"}, []string{"y"})},
			inits: []*onnxpb.TensorProto{w}, inputs: []*onnxpb.ValueInfoProto{vinfo("x", -1, 1)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
		data := marshalSeed(m.proto())
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g, err := Decode(data, dir)
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 {
			t.Fatalf("external data %q offset %q length %q, %d floats: allocated %d MB", location, offset, length, n, d>>20)
		}
		if err == nil {
			if t0 := g.Initializers["w"]; t0 != nil && 4*len(t0.F) > 48 {
				t.Fatalf("read %d floats from a 48-byte file", len(t0.F))
			}
		}
	})
}
