package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

// mlp is x[N,4] → Gemm(W[3,4] transB) → Relu → y.
func mlp() modelSpec {
	return modelSpec{
		nodes: []*onnxpb.NodeProto{
			pnode("Gemm", []string{"x", "W", "B"}, []string{"h"}, attrI("transB", 1)),
			pnode("Relu", []string{"h"}, []string{"y"}),
		},
		inits: []*onnxpb.TensorProto{
			floatInit("W", []int64{3, 4}, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, 0),
			floatInit("B", []int64{3}, 0.5, 0, 0),
		},
		inputs:  []*onnxpb.ValueInfoProto{vinfo("x", -1, 4)},
		outputs: []*onnxpb.ValueInfoProto{vinfo("y", -1, 3)},
	}
}

func TestDecodeMLP(t *testing.T) {
	g, err := Decode(mlp().bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" || g.Inputs[0].Shape[0] != -1 || g.Inputs[0].DimNames[0] != "N" || g.Inputs[0].Shape[1] != 4 {
		t.Errorf("inputs = %+v", g.Inputs)
	}
	if len(g.Nodes) != 2 || g.Nodes[0].Op != "Gemm" || g.Nodes[1].Op != "Relu" || g.Nodes[0].Attrs.Int("transB", 0) != 1 {
		t.Errorf("nodes = %v", g.Nodes)
	}
	if g.Opset != 13 || g.Producer != "fewspikes-test" {
		t.Errorf("opset %d producer %q", g.Opset, g.Producer)
	}
	out := run(t, g, map[string]*layers.Tensor{"x": layers.FromFloat32([]float32{1, 2, 3, 4, -1, -2, -3, -4}, 2, 4)})
	want := []float32{1.5, 2, 0, 0, 0, 3}
	assertClose(t, out["y"].F, want, 0)
}

func TestDecodeRejects(t *testing.T) {
	m := func(edit func(*onnxpb.ModelProto)) []byte {
		p := mlp().proto()
		edit(p)
		return marshal(t, p)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"random", []byte("\xff\xff\xff\xff garbage"), "not a valid ONNX protobuf"},
		{"truncated", mlp().bytes(t)[:40], "not a valid ONNX protobuf"},
		{"no ir", m(func(p *onnxpb.ModelProto) { p.IrVersion = nil }), "ir_version is missing"},
		{"ir 99", m(func(p *onnxpb.ModelProto) { p.IrVersion = proto.Int64(99) }), "ir_version 99"},
		{"opset 0", m(func(p *onnxpb.ModelProto) { p.OpsetImport[0].Version = proto.Int64(0) }), "opset 0 is not supported"},
		{"opset 99", m(func(p *onnxpb.ModelProto) { p.OpsetImport[0].Version = proto.Int64(99) }), "opset 99 is not supported"},
		{"no default opset", m(func(p *onnxpb.ModelProto) { p.OpsetImport[0].Domain = proto.String("ai.onnx.ml") }), "no entry for the default ONNX domain"},
		{"foreign domain", m(func(p *onnxpb.ModelProto) { p.Graph.Node[1].Domain = proto.String("com.microsoft") }), `node "y_node" (Relu): operator domain "com.microsoft"`},
		{"dangling", m(func(p *onnxpb.ModelProto) { p.Graph.Node[1].Input[0] = "nowhere" }), `node "y_node" (Relu): input "nowhere"`},
		{"missing initializer", m(func(p *onnxpb.ModelProto) { p.Graph.Initializer = p.Graph.Initializer[:1] }), `input "B" is not`},
		{"duplicate output", m(func(p *onnxpb.ModelProto) { p.Graph.Node[1].Output[0] = "h" }), `output "h" is already defined`},
		{"output shadows input", m(func(p *onnxpb.ModelProto) { p.Graph.Node[1].Output[0] = "x" }), `output "x" is already defined by graph input`},
		{"unproduced output", m(func(p *onnxpb.ModelProto) { p.Graph.Output[0].Name = proto.String("z") }), `graph output "z" is not produced`},
		{"cycle", m(func(p *onnxpb.ModelProto) {
			p.Graph.Node[0].Input[0] = "y"
			p.Graph.Output[0].Name = proto.String("h")
		}), "part of a cycle"},
		{"byte length", m(func(p *onnxpb.ModelProto) {
			w := p.Graph.Initializer[0]
			w.FloatData = nil
			w.RawData = make([]byte, 47)
		}), `initializer "W": raw_data holds 47 bytes, dims [3 4] of FLOAT need 48`},
		{"typed length", m(func(p *onnxpb.ModelProto) { p.Graph.Initializer[1].FloatData = []float32{1} }), `initializer "B": float_data holds 1 values, dims [3] need 3`},
		{"absurd dims", m(func(p *onnxpb.ModelProto) { p.Graph.Initializer[1].Dims = []int64{1 << 20, 1 << 20} }), `initializer "B": dimensions [1048576 1048576] exceed`},
		{"overflowing dims", m(func(p *onnxpb.ModelProto) { p.Graph.Initializer[1].Dims = []int64{1 << 62, 1 << 62, 4} }), "exceed"},
		{"negative dim", m(func(p *onnxpb.ModelProto) { p.Graph.Initializer[1].Dims = []int64{-3} }), "negative dimension"},
		{"string tensor", m(func(p *onnxpb.ModelProto) {
			p.Graph.Initializer[1].DataType = proto.Int32(int32(onnxpb.TensorProto_STRING))
		}), "unsupported tensor element type STRING"},
		{"no graph", m(func(p *onnxpb.ModelProto) { p.Graph = nil }), "no graph"},
		{"no op", m(func(p *onnxpb.ModelProto) { p.Graph.Node[1].OpType = nil }), "has no op_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.data, "")
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "onnx: ") {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestLoadNamesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(path, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name %s", err, path)
	}
	if _, err := Load(filepath.Join(dir, "missing.onnx")); err == nil || !strings.Contains(err.Error(), "missing.onnx") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestDecodeSortsNodes(t *testing.T) {
	s := mlp()
	s.nodes[0], s.nodes[1] = s.nodes[1], s.nodes[0]
	g, err := Decode(s.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if g.Nodes[0].Op != "Gemm" || g.Nodes[1].Op != "Relu" {
		t.Fatalf("not sorted: %v %v", g.Nodes[0].Op, g.Nodes[1].Op)
	}
}

func TestInitializerListedAsInputIsConstant(t *testing.T) {
	s := mlp()
	s.inputs = append(s.inputs, vinfo("W", 3, 4), vinfo("B", 3))
	g, err := Decode(s.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" {
		t.Fatalf("inputs = %+v, want only x", g.Inputs)
	}
	if g.Initializers["W"] == nil {
		t.Fatal("W is not an initializer")
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	raw := make([]byte, 16+48)
	w := tensorToProto("W", layers.FromFloat32([]float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, 0}, 3, 4))
	copy(raw[16:], w.RawData)
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ext := func(loc string, extra ...string) []byte {
		s := mlp()
		s.inits[0] = &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{3, 4}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String(loc)}, {Key: proto.String("offset"), Value: proto.String("16")}}}
		for i := 0; i+1 < len(extra); i += 2 {
			s.inits[0].ExternalData = append(s.inits[0].ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String(extra[i]), Value: proto.String(extra[i+1])})
		}
		return s.bytes(t)
	}
	g, err := Decode(ext("weights.bin", "length", "48"), dir)
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, g, map[string]*layers.Tensor{"x": layers.FromFloat32([]float32{1, 2, 3, 4}, 1, 4)})
	assertClose(t, out["y"].F, []float32{1.5, 2, 0}, 0)

	for _, c := range []struct{ loc, want string }{
		{"/etc/passwd", "absolute path"},
		{"../weights.bin", "leaves the model folder"},
		{"sub/../../weights.bin", "leaves the model folder"},
		{"nothere.bin", "nothere.bin"},
	} {
		_, err := Decode(ext(c.loc), dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `initializer "W"`) {
			t.Errorf("location %q: error %v, want %q", c.loc, err, c.want)
		}
	}
	if _, err := Decode(ext("weights.bin", "length", "12"), dir); err == nil || !strings.Contains(err.Error(), "length 12") {
		t.Errorf("wrong length: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "short.bin"), raw[:40], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(ext("short.bin"), dir); err == nil || !strings.Contains(err.Error(), "the file has 40") {
		t.Errorf("short file: %v", err)
	}
	if _, err := Decode(ext("weights.bin"), ""); err == nil {
		t.Error("external data without a folder was accepted")
	}
}

// run compiles g and runs it.
func run(t *testing.T, g *layers.Graph, in map[string]*layers.Tensor) map[string]*layers.Tensor {
	t.Helper()
	p, err := layers.Compile(g, layers.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertClose(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if d := float64(got[i] - want[i]); d > tol || d < -tol {
			t.Fatalf("value %d: got %v, want %v (tolerance %g)\ngot  %v\nwant %v", i, got[i], want[i], tol, got, want)
		}
	}
}
