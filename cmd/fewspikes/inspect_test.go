package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx"
)

// writeModel encodes g into dir/name and returns the path.
func writeModel(t *testing.T, dir, name string, g *layers.Graph) string {
	t.Helper()
	data, err := onnx.Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func inspectJSON(t *testing.T, args ...string) (inspectReport, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"fewspikes", "inspect"}, args...), &stdout, &stderr)
	var rep inspectReport
	if code == 0 {
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
		}
	}
	return rep, stderr.String(), code
}

// tinyCNN: x[N,1,4,4] → Conv(2 filters 3×3) → Relu → Flatten → Gemm(8→3) → GELU.
func tinyCNN() *layers.Graph {
	node := func(op string, in []string, out string, attrs layers.Attrs) *layers.Node {
		return &layers.Node{Name: out + "_node", Op: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
	}
	return &layers.Graph{
		Inputs:  []layers.ValueInfo{{Name: "x", Shape: []int{-1, 1, 4, 4}, DimNames: []string{"batch", "", "", ""}}},
		Outputs: []layers.ValueInfo{{Name: "y"}},
		Initializers: map[string]*layers.Tensor{
			"w": layers.New(2, 1, 3, 3), "b": layers.New(2),
			"fw": layers.New(3, 8), "fb": layers.New(3),
		},
		Nodes: []*layers.Node{
			node("Conv", []string{"x", "w", "b"}, "c", layers.Attrs{"kernel_shape": []int64{3, 3}}),
			node("Relu", []string{"c"}, "r", nil),
			node("Flatten", []string{"r"}, "f", layers.Attrs{"axis": int64(1)}),
			node("Gemm", []string{"f", "fw", "fb"}, "g", layers.Attrs{"transB": int64(1)}),
			node("GELU", []string{"g"}, "y", nil),
		},
	}
}

func TestInspectJSON(t *testing.T) {
	path := writeModel(t, t.TempDir(), "tiny.onnx", tinyCNN())
	rep, stderr, code := inspectJSON(t, path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if rep.Opset != 17 || rep.Producer != "fewspikes" || rep.Model != path {
		t.Errorf("header: %+v", rep)
	}
	if len(rep.Inputs) != 1 || rep.Inputs[0].Name != "x" || strings.Join(rep.Inputs[0].Shape, ",") != "batch,1,4,4" || rep.Inputs[0].DType != "float32" {
		t.Errorf("inputs: %+v", rep.Inputs)
	}
	// The GELU is written as Div/Erf/Add/Mul/Mul and must be fused back.
	want := map[string]int{"Conv": 1, "Relu": 1, "Flatten": 1, "Gemm": 1, "GELU": 1}
	if len(rep.Operators) != len(want) {
		t.Errorf("operators %v, want %v", rep.Operators, want)
	}
	for op, n := range want {
		if rep.Operators[op] != n {
			t.Errorf("operators %v, want %v", rep.Operators, want)
		}
	}
	if rep.Parameters != 18+2+24+3 {
		t.Errorf("parameters = %d, want 47", rep.Parameters)
	}
	// Conv: 2×2×2 outputs × 9 taps; Gemm: 3 outputs × 8 inputs.
	if rep.MACsPerSample != 72+24 {
		t.Errorf("MACs = %d, want 96", rep.MACsPerSample)
	}
	if len(rep.Sites) != 2 || rep.Sites[0] != (inspectSite{"r_node", "relu", 8}) || rep.Sites[1] != (inspectSite{"y_node", "gelu", 3}) {
		t.Errorf("sites = %+v", rep.Sites)
	}
}

func TestInspectText(t *testing.T) {
	path := writeModel(t, t.TempDir(), "tiny.onnx", tinyCNN())
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fewspikes", "inspect", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, s := range []string{"opset:      17", "MACs:       96 per sample", "y_node", "gelu", "Conv"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, stdout.String())
		}
	}
}

func TestInspectUnsupportedExit2(t *testing.T) {
	g := tinyCNN()
	g.Nodes[1].Op = "FancyRelu"
	g.Nodes = append(g.Nodes[:4], &layers.Node{Name: "weird", Op: "Wobble", Inputs: []string{"g"}, Outputs: []string{"y"}})
	path := writeModel(t, t.TempDir(), "unsup.onnx", g)
	_, stderr, code := inspectJSON(t, path, "--json")
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, stderr)
	}
	for _, s := range []string{path, `FancyRelu (node "r_node")`, `Wobble (node "weird")`} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr %q lacks %q", stderr, s)
		}
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("want one line, got %q", stderr)
	}
}

func TestInspectBadInputExit2(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.onnx")
	if err := os.WriteFile(junk, []byte("\x08\x07garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{junk}, {filepath.Join(dir, "missing.onnx")}, {}, {junk, junk}} {
		_, stderr, code := inspectJSON(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("args %v: exit %d, stderr %q", args, code, stderr)
		}
		if len(args) == 1 && !strings.Contains(stderr, args[0]) {
			t.Errorf("stderr %q does not name %s", stderr, args[0])
		}
	}
}

// TestInspectFixedBatchPerSample checks that a fixed-batch export reports
// the same per-sample counts as its dynamic-batch twin.
func TestInspectFixedBatchPerSample(t *testing.T) {
	fix := filepath.Join("..", "..", "testdata", "mobilenetv3.op17.fix.onnx")
	dyn := filepath.Join("..", "..", "testdata", "mobilenetv3.op14.dyn.onnx")
	if _, err := os.Stat(fix); err != nil {
		t.Skipf("test model missing: %v", err)
	}
	a, stderr, code := inspectJSON(t, fix, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, stderr, code := inspectJSON(t, dyn, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if a.MACsPerSample != b.MACsPerSample || a.MACsPerSample == 0 || len(a.Sites) != len(b.Sites) {
		t.Fatalf("fixed %d MACs %d sites, dynamic %d MACs %d sites", a.MACsPerSample, len(a.Sites), b.MACsPerSample, len(b.Sites))
	}
	for i := range a.Sites {
		if a.Sites[i].Neurons != b.Sites[i].Neurons || a.Sites[i].Activation != b.Sites[i].Activation {
			t.Errorf("site %d: %+v vs %+v", i, a.Sites[i], b.Sites[i])
		}
	}
}
