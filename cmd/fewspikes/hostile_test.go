package main

// Hostile and broken inputs (issue 5): every command, given a malformed
// model, malformed data or bad flags, must exit 2 with exactly one line on
// stderr that names the file and the field, node or value at fault, never
// print a Go panic, and never create or overwrite an output file.

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// pb builds protobuf messages field by field: the ONNX types live in
// onnx/internal/onnxpb, which this package may not import, and hand-built
// bytes can also hold what the generated types refuse to (wrong wire
// types).
type pb []byte

func (b pb) bytes(n protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
func (b pb) str(n protowire.Number, s string) pb { return b.bytes(n, []byte(s)) }
func (b pb) varint(n protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, n, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// ONNX field numbers (onnx.proto).
const (
	onnxFloat = 1 // TensorProto.DataType FLOAT
)

func onnxModel(opset int64, graph pb) []byte {
	var m pb
	m = m.varint(1, 8) // ir_version
	m = m.str(2, "hostile-test")
	m = m.bytes(7, graph)
	return m.bytes(8, pb(nil).str(1, "").varint(2, uint64(opset)))
}

// onnxGraph assembles nodes, initializers, inputs and outputs.
func onnxGraph(nodes, inits, inputs, outputs []pb) pb {
	var g pb
	for _, n := range nodes {
		g = g.bytes(1, n)
	}
	g = g.str(2, "g")
	for _, t := range inits {
		g = g.bytes(5, t)
	}
	for _, v := range inputs {
		g = g.bytes(11, v)
	}
	for _, v := range outputs {
		g = g.bytes(12, v)
	}
	return g
}

func onnxNode(op, name string, in, out []string, attrs ...pb) pb {
	var n pb
	for _, s := range in {
		n = n.str(1, s)
	}
	for _, s := range out {
		n = n.str(2, s)
	}
	n = n.str(3, name).str(4, op)
	for _, a := range attrs {
		n = n.bytes(5, a)
	}
	return n
}

// onnxTensor is a float initializer with raw data (raw may disagree with
// dims on purpose).
func onnxTensor(name string, dims []int64, raw []byte) pb {
	var t pb
	for _, d := range dims {
		t = t.varint(1, uint64(d))
	}
	t = t.varint(2, onnxFloat).str(8, name)
	if raw != nil {
		t = t.bytes(9, raw)
	}
	return t
}

// onnxExternal is a float initializer stored in an external file.
func onnxExternal(name string, dims []int64, location string) pb {
	var t pb
	for _, d := range dims {
		t = t.varint(1, uint64(d))
	}
	t = t.varint(2, onnxFloat).str(8, name)
	t = t.bytes(13, pb(nil).str(1, "location").str(2, location))
	return t.varint(14, 1) // data_location EXTERNAL
}

func floatRaw(n int) []byte {
	b := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(i%7)*0.1))
	}
	return b
}

// onnxValue is a float tensor value; a negative dimension is the symbolic
// batch "N".
func onnxValue(name string, dims ...int64) pb {
	var shape pb
	for _, d := range dims {
		if d < 0 {
			shape = shape.bytes(1, pb(nil).str(2, "N"))
		} else {
			shape = shape.bytes(1, pb(nil).varint(1, uint64(d)))
		}
	}
	tensor := pb(nil).varint(1, onnxFloat).bytes(2, shape)
	return pb(nil).str(1, name).bytes(2, pb(nil).bytes(1, tensor))
}

// gemmReLU is a valid model x[N,4] -> Gemm(W[3,4], B[3]) -> Relu -> y[N,3]
// with extra nodes and initializers spliced in; the broken models are
// small edits of it.
func gemmReLU(opset int64, extraNodes []pb, w pb, extraInits ...pb) []byte {
	transB := pb(nil).str(1, "transB").varint(3, 1).varint(20, 2) // INT
	nodes := append([]pb{
		onnxNode("Gemm", "fc", []string{"x", "W", "B"}, []string{"h"}, transB),
		onnxNode("Relu", "act", []string{"h"}, []string{"y"}),
	}, extraNodes...)
	inits := append([]pb{w, onnxTensor("B", []int64{3}, floatRaw(3))}, extraInits...)
	return onnxModel(opset, onnxGraph(nodes, inits, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 3)}))
}

func goodW() pb { return onnxTensor("W", []int64{3, 4}, floatRaw(12)) }

// hostileModel is one class of malformed model: the file content (written
// to dir/name) and the words the error line must contain besides the path.
type hostileModel struct {
	class string
	name  string
	data  func(t *testing.T, dir string) []byte
	want  []string
}

func repoFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s missing: %v", name, err)
	}
	return p
}

func hostileModels() []hostileModel {
	lit := func(b []byte) func(*testing.T, string) []byte { return func(*testing.T, string) []byte { return b } }
	rnd := make([]byte, 4096)
	rand.New(rand.NewSource(5)).Read(rnd)
	cyc := onnxModel(13, onnxGraph([]pb{
		onnxNode("Relu", "loop_a", []string{"b"}, []string{"a"}),
		onnxNode("Relu", "loop_b", []string{"a"}, []string{"b"}),
		onnxNode("Add", "join", []string{"x", "a"}, []string{"y"}),
	}, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)}))
	dangling := onnxModel(13, onnxGraph([]pb{
		onnxNode("Add", "adder", []string{"x", "nowhere"}, []string{"y"}),
	}, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)}))
	// graph (field 7) sent as a varint instead of a message.
	wrongWire := pb(nil).varint(1, 8).varint(7, 42).bytes(8, pb(nil).str(1, "").varint(2, 13))
	// Gemm's transB given as a string attribute.
	badAttr := pb(nil).str(1, "transB").str(4, "yes").varint(20, 3) // STRING
	wrongAttr := onnxModel(13, onnxGraph([]pb{
		onnxNode("Gemm", "fc", []string{"x", "W", "B"}, []string{"y"}, badAttr),
	}, []pb{goodW(), onnxTensor("B", []int64{3}, floatRaw(3))}, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 3)}))
	unsupported := gemmReLU(13, []pb{
		onnxNode("FancyOp", "fancy_node", []string{"y"}, []string{"f"}),
		onnxNode("OtherOp", "other_node", []string{"f"}, []string{"z"}),
	}, goodW())
	// Make z the output so the unknown nodes are not pruned as dead code.
	unsupported = onnxModel(13, onnxGraph([]pb{
		onnxNode("Gemm", "fc", []string{"x", "W", "B"}, []string{"h"}, pb(nil).str(1, "transB").varint(3, 1).varint(20, 2)),
		onnxNode("FancyOp", "fancy_node", []string{"h"}, []string{"f"}),
		onnxNode("OtherOp", "other_node", []string{"f"}, []string{"z"}),
	}, []pb{goodW(), onnxTensor("B", []int64{3}, floatRaw(3))}, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("z", -1, 3)}))
	typedInit := func(name string, dtype uint64, dims []int64, raw []byte) pb {
		var t pb
		for _, d := range dims {
			t = t.varint(1, uint64(d))
		}
		return t.varint(2, dtype).str(8, name).bytes(9, raw)
	}
	twoProducers := onnxModel(13, onnxGraph([]pb{
		onnxNode("Relu", "first", []string{"x"}, []string{"y"}),
		onnxNode("Neg", "second", []string{"x"}, []string{"y"}),
	}, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)}))
	unproduced := onnxModel(13, onnxGraph([]pb{
		onnxNode("Relu", "act", []string{"x"}, []string{"h"}),
	}, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y_missing", -1, 4)}))
	reluGraph := onnxGraph([]pb{onnxNode("Relu", "act", []string{"x"}, []string{"y"})}, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)})
	customDomain := onnxModel(13, onnxGraph([]pb{onnxNode("Relu", "act", []string{"x"}, []string{"y"}).str(7, "com.example")},
		nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)}))
	noOpType := onnxModel(13, onnxGraph([]pb{onnxNode("", "blank", []string{"x"}, []string{"y"})}, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)}))
	return []hostileModel{
		{"empty file", "empty.onnx", lit(nil), []string{"empty"}},
		{"no opset for the default domain", "noopset.onnx", lit(pb(nil).varint(1, 8).bytes(7, reluGraph)), []string{"opset"}},
		{"ir_version 99", "ir99.onnx", lit(pb(nil).varint(1, 99).bytes(7, reluGraph).bytes(8, pb(nil).str(1, "").varint(2, 13))), []string{"ir_version", "99"}},
		{"operator from a custom domain", "domain.onnx", lit(customDomain), []string{"act", "com.example"}},
		{"node without op_type", "noop.onnx", lit(noOpType), []string{"blank", "op_type"}},
		{"graph without outputs", "nooutputs.onnx", lit(onnxModel(13, onnxGraph([]pb{onnxNode("Relu", "act", []string{"x"}, []string{"y"})}, nil, []pb{onnxValue("x", -1, 4)}, nil))), []string{"outputs"}},
		{"initializer of string type", "stringinit.onnx", lit(gemmReLU(13, nil, typedInit("W", 8, []int64{3, 4}, []byte("abc")))), []string{"W"}},
		{"initializer of unknown type 999", "type999.onnx", lit(gemmReLU(13, nil, typedInit("W", 999, []int64{3, 4}, floatRaw(12)))), []string{"W", "999"}},
		{"initializer with a negative dimension", "negdim.onnx", lit(gemmReLU(13, nil, onnxTensor("W", []int64{-3, 4}, floatRaw(12)))), []string{"W", "-3"}},
		{"two nodes produce one value", "twoproducers.onnx", lit(twoProducers), []string{"\"y\""}},
		{"graph output nothing produces", "unproduced.onnx", lit(unproduced), []string{"y_missing"}},
		{"random bytes", "random.onnx", lit(rnd), nil},
		{"truncated protobuf", "truncated.onnx", func(t *testing.T, _ string) []byte {
			b, err := os.ReadFile(repoFile(t, "testdata/mlp.op13.dyn.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			return b[:len(b)/2]
		}, nil},
		{"wrong wire type (graph as varint)", "wiretype.onnx", lit(wrongWire), []string{"graph"}},
		{"wrong attribute type", "attrtype.onnx", lit(wrongAttr), []string{"transB"}},
		{"graph cycle", "cycle.onnx", lit(cyc), []string{"cycle", "loop_"}},
		{"dangling input name", "dangling.onnx", lit(dangling), []string{"nowhere"}},
		{"initializer with wrong byte length", "shortinit.onnx", lit(gemmReLU(13, nil, onnxTensor("W", []int64{3, 4}, floatRaw(12)[:10]))), []string{"W", "10"}},
		{"absurd dims (2^40 elements)", "hugeinit.onnx", lit(gemmReLU(13, nil, onnxTensor("W", []int64{1 << 20, 1 << 20}, nil))), []string{"W"}},
		{"unsupported opset", "opset99.onnx", lit(gemmReLU(99, nil, goodW())), []string{"opset", "99"}},
		{"two unsupported operators", "unsupported.onnx", lit(unsupported), []string{"fancy_node", "FancyOp", "other_node", "OtherOp"}},
		{"external data missing", "extmissing.onnx", lit(gemmReLU(13, nil, onnxExternal("W", []int64{3, 4}, "weights.bin"))), []string{"W", "weights.bin"}},
		{"external data outside the folder (../)", "extparent.onnx", func(t *testing.T, dir string) []byte {
			// The file exists: it must be refused for where it is.
			os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.bin"), floatRaw(12), 0o644)
			return gemmReLU(13, nil, onnxExternal("W", []int64{3, 4}, "../outside.bin"))
		}, []string{"W", "../outside.bin"}},
		{"external data offset near 2^63 (overflowing offset+size)", "extoffset.onnx", func(t *testing.T, dir string) []byte {
			os.WriteFile(filepath.Join(dir, "weights.bin"), floatRaw(12), 0o644)
			w := onnxTensor("W", []int64{1 << 29}, nil)
			w = w.bytes(13, pb(nil).str(1, "location").str(2, "weights.bin"))
			w = w.bytes(13, pb(nil).str(1, "offset").str(2, "9223372036854775800"))
			return gemmReLU(13, nil, w.varint(14, 1))
		}, []string{"W", "weights.bin", "9223372036854775800"}},
		{"external data at an absolute path", "extabs.onnx", func(t *testing.T, dir string) []byte {
			abs := filepath.Join(t.TempDir(), "abs.bin")
			os.WriteFile(abs, floatRaw(12), 0o644)
			return gemmReLU(13, nil, onnxExternal("W", []int64{3, 4}, abs))
		}, []string{"W", "abs.bin"}},
	}
}

// outputs are the files a failed command must leave as they were: an
// existing result (keep.npy, params.json, snn/snn.onnx) keeps its bytes,
// and nothing new appears (report/, fit.png, sites.json, temp files).
type outputs struct {
	dir, npyOut, snnDir, report, params, plot string
}

var sentinel = []byte("previous good result\n")

func newOutputs(t *testing.T) outputs {
	t.Helper()
	dir := t.TempDir()
	o := outputs{dir: dir, npyOut: filepath.Join(dir, "keep.npy"), snnDir: filepath.Join(dir, "snn"),
		report: filepath.Join(dir, "report"), params: filepath.Join(dir, "params.json"), plot: filepath.Join(dir, "fit.png")}
	for _, p := range []string{o.npyOut, o.params} {
		if err := os.WriteFile(p, sentinel, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(o.snnDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(o.snnDir, "snn.onnx"), sentinel, 0o644); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o outputs) check(t *testing.T) {
	t.Helper()
	for _, p := range []string{o.npyOut, o.params, filepath.Join(o.snnDir, "snn.onnx")} {
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, sentinel) {
			t.Errorf("%s was overwritten or removed by a failed run (err %v)", filepath.Base(p), err)
		}
	}
	for _, p := range []string{o.report, o.plot, filepath.Join(o.snnDir, "sites.json")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a failed run created %s", p)
		}
	}
	for _, d := range []string{o.dir, o.snnDir} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("a failed run left the temporary file %s", e.Name())
			}
		}
	}
}

// expectBadInput runs the command and checks the contract of a refusal.
func expectBadInput(t *testing.T, args []string, want ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"fewspikes"}, args...), &stdout, &stderr)
	msg := stderr.String()
	if code != 2 {
		t.Errorf("exit %d, want 2; stderr: %s", code, msg)
	}
	if strings.Contains(msg+stdout.String(), "panic") || strings.Contains(msg+stdout.String(), "goroutine") {
		t.Fatalf("Go panic in output: %s", msg)
	}
	if lines := strings.Count(strings.TrimRight(msg, "\n"), "\n") + 1; lines != 1 || msg == "" || !strings.HasSuffix(msg, "\n") {
		t.Errorf("want exactly one line on stderr, got %d: %q", lines, msg)
	}
	if stdout.Len() != 0 {
		t.Errorf("a refused command wrote to stdout (scripts read --json there): %q", stdout.String())
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr does not name %q: %s", w, strings.TrimSpace(msg))
		}
	}
	t.Logf("exit %d: %s", code, strings.TrimSpace(msg)) // for docs/bad-input.md (go test -v)
	return strings.TrimSpace(msg)
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHostileModels gives every command every class of malformed model.
func TestHostileModels(t *testing.T) {
	// Data that fits the valid form of the models (x: [N 4]), so that the
	// model is what fails.
	x := writeFile(t, filepath.Join(t.TempDir(), "x4.npy"), npy.Encode(layers.FromFloat32([]float32{0.1, -0.2, 0.3, 0.4, 0.5, 0.6, -0.7, 0.8}, 2, 4)))
	for _, hm := range hostileModels() {
		commands := map[string]func(m string, o outputs) []string{
			"inspect": func(m string, o outputs) []string { return []string{"inspect", m, "--json"} },
			"run":     func(m string, o outputs) []string { return []string{"run", m, "--input", x, "--output", o.npyOut} },
			"convert": func(m string, o outputs) []string { return []string{"convert", m, "--out", o.snnDir, "--json"} },
			"eval": func(m string, o outputs) []string {
				return []string{"eval", m, "--data", x, "--report", o.report, "--json"}
			},
			"bench": func(m string, o outputs) []string { return []string{"bench", m, "--input", x, "--json"} },
		}
		for _, cmd := range []string{"inspect", "run", "convert", "eval", "bench"} {
			t.Run(cmd+"/"+hm.class, func(t *testing.T) {
				o := newOutputs(t)
				mdir := filepath.Join(o.dir, "models")
				os.MkdirAll(mdir, 0o755)
				m := writeFile(t, filepath.Join(mdir, hm.name), hm.data(t, mdir))
				expectBadInput(t, commands[cmd](m, o), append([]string{m}, hm.want...)...)
				o.check(t)
			})
		}
	}
}

// npyWithHeader is an .npy file with a hand-written header dictionary.
func npyWithHeader(dict string, data []byte) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	return append(append(b, dict...), data...)
}

// TestHostileData gives the data-reading commands malformed data for a
// valid model (mlp: [N 784] -> 10 classes).
func TestHostileData(t *testing.T) {
	model := repoFile(t, "testdata/mlp.op13.dyn.onnx")
	dir := t.TempDir()
	nan := layers.New(2, 784)
	nan.F[784+7] = float32(math.NaN())
	inf := layers.New(2, 784)
	inf.F[3] = float32(math.Inf(-1))
	files := map[string][]byte{
		"badheader.npy":  npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 784\n", floatRaw(2*784)),
		"complex.npy":    npyWithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 784), }\n", make([]byte, 8*2*784)),
		"wrongshape.npy": npy.Encode(layers.New(3, 5)),
		"nan.npy":        npy.Encode(nan),
		"inf.npy":        npy.Encode(inf),
		"short.npy":      npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 784), }\n", floatRaw(784)),
		// IDX ubyte [5 28 28] holding two bytes, and a gzip stream cut short.
		"trunc.idx":  {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2},
		"cut.idx.gz": {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x62, 0x60},
	}
	for name, b := range files {
		writeFile(t, filepath.Join(dir, name), b)
	}
	cases := []struct {
		class, file string
		want        []string
	}{
		{".npy with a bad header", "badheader.npy", []string{"shape"}},
		{"wrong dtype (complex64)", "complex.npy", []string{"c8"}},
		{"header declares more data than the file holds", "short.npy", []string{"1000000"}},
		{"shape that does not fit the model input", "wrongshape.npy", []string{"784", "5 values"}},
		{"NaN value", "nan.npy", []string{"NaN", "791"}},
		{"-Inf value", "inf.npy", []string{"-Inf", "3"}},
		{"truncated IDX", "trunc.idx", []string{"truncated", "3920"}},
		{"gzip stream cut short", "cut.idx.gz", []string{"gzip"}},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.file)
		for cmd, args := range map[string]func(o outputs) []string{
			"run":     func(o outputs) []string { return []string{"run", model, "--input", p, "--output", o.npyOut} },
			"eval":    func(o outputs) []string { return []string{"eval", model, "--data", p, "--report", o.report} },
			"convert": func(o outputs) []string { return []string{"convert", model, "--calib", p, "--out", o.snnDir} },
			"bench":   func(o outputs) []string { return []string{"bench", model, "--input", p} },
		} {
			t.Run(cmd+"/"+c.class, func(t *testing.T) {
				o := newOutputs(t)
				expectBadInput(t, args(o), append([]string{p}, c.want...)...)
				o.check(t)
			})
		}
	}
	t.Run("run/model file missing", func(t *testing.T) {
		o := newOutputs(t)
		m := filepath.Join(o.dir, "absent.onnx")
		expectBadInput(t, []string{"run", m, "--input", filepath.Join(dir, "nan.npy"), "--output", o.npyOut}, m, "no such file")
		o.check(t)
	})
	t.Run("eval/model is a directory", func(t *testing.T) {
		o := newOutputs(t)
		expectBadInput(t, []string{"eval", o.snnDir, "--report", o.report}, o.snnDir, "directory")
		o.check(t)
	})
	t.Run("eval/data file missing", func(t *testing.T) {
		o := newOutputs(t)
		x := filepath.Join(o.dir, "absent.npy")
		expectBadInput(t, []string{"eval", model, "--data", x, "--report", o.report}, x, "no such file")
		o.check(t)
	})
	t.Run("eval/label count mismatch", func(t *testing.T) {
		o := newOutputs(t)
		x := writeFile(t, filepath.Join(o.dir, "x.npy"), npy.Encode(layers.New(6, 784)))
		y := writeFile(t, filepath.Join(o.dir, "y.npy"), npy.Encode(layers.FromInt64([]int64{1, 2, 3, 4, 5}, 5)))
		expectBadInput(t, []string{"eval", model, "--data", x, "--labels", y, "--report", o.report}, y, "5 labels", "6 samples")
		o.check(t)
	})
	t.Run("eval/negative label", func(t *testing.T) {
		o := newOutputs(t)
		x := writeFile(t, filepath.Join(o.dir, "x.npy"), npy.Encode(layers.New(2, 784)))
		y := writeFile(t, filepath.Join(o.dir, "y.npy"), npy.Encode(layers.FromInt64([]int64{1, -4}, 2)))
		expectBadInput(t, []string{"eval", model, "--data", x, "--labels", y, "--report", o.report}, y, "-4")
		o.check(t)
	})
	t.Run("eval/labels as floats with a fraction", func(t *testing.T) {
		o := newOutputs(t)
		x := writeFile(t, filepath.Join(o.dir, "x.npy"), npy.Encode(layers.New(2, 784)))
		y := writeFile(t, filepath.Join(o.dir, "y.npy"), npy.Encode(layers.FromFloat32([]float32{1, 2.5}, 2)))
		expectBadInput(t, []string{"eval", model, "--data", x, "--labels", y, "--report", o.report}, y, "2.5")
		o.check(t)
	})
}

// TestHostileFlags: bad flag values on every command.
func TestHostileFlags(t *testing.T) {
	model := repoFile(t, "testdata/mlp.op13.dyn.onnx")
	x := repoFile(t, "testdata/mlp.input.npy")
	cases := []struct {
		class string
		args  func(o outputs) []string
		want  []string
	}{
		{"fit: unknown activation", func(o outputs) []string {
			return []string{"fit", "--act", "bogus_act", "--steps", "4", "--out", o.params, "--plot", o.plot}
		}, []string{"--act", "bogus_act"}},
		{"fit: K of 0", func(o outputs) []string {
			return []string{"fit", "--act", "swish", "--steps", "0", "--out", o.params}
		}, []string{"--steps", "0"}},
		{"fit: K of 10000", func(o outputs) []string {
			return []string{"fit", "--act", "swish", "--steps", "10000", "--out", o.params}
		}, []string{"--steps", "10000"}},
		{"fit: inverted range", func(o outputs) []string {
			return []string{"fit", "--act", "swish", "--steps", "4", "--range", "12:-8", "--out", o.params}
		}, []string{"--range", "12:-8"}},
		{"fit: NaN range", func(o outputs) []string {
			return []string{"fit", "--act", "swish", "--steps", "4", "--range", "nan:1", "--out", o.params}
		}, []string{"--range", "nan:1"}},
		{"fit: unknown flag", func(o outputs) []string {
			return []string{"fit", "--act", "swish", "--steps", "4", "--bogus", "--out", o.params}
		}, []string{"bogus"}},
		{"eval: K of 0", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--steps", "0", "--report", o.report}
		}, []string{"steps", "0"}},
		{"eval: K of 10000", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--steps", "4,10000", "--report", o.report}
		}, []string{"steps", "10000"}},
		{"eval: unknown flag", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--bogus", "--report", o.report}
		}, []string{"bogus"}},
		{"convert: K of 0", func(o outputs) []string {
			return []string{"convert", model, "--steps", "0", "--out", o.snnDir}
		}, []string{"steps", "0"}},
		{"convert: K of 10000", func(o outputs) []string {
			return []string{"convert", model, "--steps", "10000", "--out", o.snnDir}
		}, []string{"steps", "10000"}},
		{"convert: unknown flag", func(o outputs) []string {
			return []string{"convert", model, "--bogus", "--out", o.snnDir}
		}, []string{"bogus"}},
		{"eval: --batch 0", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--batch", "0", "--report", o.report}
		}, []string{"--batch", "0"}},
		{"eval: --threads -1", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--threads", "-1", "--report", o.report}
		}, []string{"--threads", "-1"}},
		{"eval: --limit -1", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--limit", "-1", "--report", o.report}
		}, []string{"--limit", "-1"}},
		{"eval: --spike-budget NaN", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--spike-budget", "nan", "--report", o.report}
		}, []string{"--spike-budget", "NaN"}},
		{"eval: unknown --fit mode", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--fit", "bogus", "--report", o.report}
		}, []string{"bogus"}},
		{"eval: --exclude of a node that does not exist", func(o outputs) []string {
			return []string{"eval", model, "--data", x, "--exclude", "nosuchnode", "--report", o.report}
		}, []string{"nosuchnode"}},
		{"convert: --batch -3", func(o outputs) []string {
			return []string{"convert", model, "--batch", "-3", "--out", o.snnDir}
		}, []string{"--batch", "-3"}},
		{"convert: --calib-samples 0", func(o outputs) []string {
			return []string{"convert", model, "--calib", x, "--calib-samples", "0", "--out", o.snnDir}
		}, []string{"--calib-samples", "0"}},
		{"convert: --site-steps of a node that does not exist", func(o outputs) []string {
			return []string{"convert", model, "--calib", x, "--site-steps", "nosuch=4", "--out", o.snnDir}
		}, []string{"nosuch"}},
		{"bench: --batch 70000", func(o outputs) []string { return []string{"bench", model, "--batch", "70000"} }, []string{"--batch"}},
		{"convert: bad --site-steps", func(o outputs) []string {
			return []string{"convert", model, "--site-steps", "fc=0", "--out", o.snnDir}
		}, []string{"fc=0"}},
		{"run: K of 0 with --snn", func(o outputs) []string {
			return []string{"run", model, "--input", x, "--output", o.npyOut, "--snn", "--steps", "0"}
		}, []string{"steps", "0"}},
		{"run: unknown flag", func(o outputs) []string {
			return []string{"run", model, "--input", x, "--output", o.npyOut, "--bogus"}
		}, []string{"bogus"}},
		{"bench: K of 10000", func(o outputs) []string {
			return []string{"bench", model, "--input", x, "--steps", "10000"}
		}, []string{"steps", "10000"}},
		{"bench: unknown flag", func(o outputs) []string { return []string{"bench", model, "--bogus"} }, []string{"bogus"}},
		{"inspect: unknown flag", func(o outputs) []string { return []string{"inspect", model, "--bogus"} }, []string{"bogus"}},
		{"unknown command", func(o outputs) []string { return []string{"frobnicate", model} }, []string{"frobnicate"}},
	}
	for _, c := range cases {
		t.Run(c.class, func(t *testing.T) {
			o := newOutputs(t)
			expectBadInput(t, c.args(o), c.want...)
			o.check(t)
		})
	}
}
