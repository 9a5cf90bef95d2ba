package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// TestRunMatchesPyTorch runs committed PyTorch exports (fixed and dynamic
// batch, flags after the model as DESIGN.md writes them) and compares with
// PyTorch's outputs.
func TestRunMatchesPyTorch(t *testing.T) {
	for _, model := range []string{"mlp.op9.fix", "cnn_bn_pool.op14.dyn", "unet.op11.dyn"} {
		base := strings.SplitN(model, ".", 2)[0]
		onnxPath := filepath.Join("..", "..", "testdata", model+".onnx")
		if _, err := os.Stat(onnxPath); err != nil {
			t.Skipf("test model missing: %v", err)
		}
		out := filepath.Join(t.TempDir(), "y.npy")
		var stdout, stderr bytes.Buffer
		code := run([]string{"fewspikes", "run", onnxPath, "--input", filepath.Join("..", "..", "testdata", base+".input.npy"), "--output", out, "--threads", "2"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", model, code, stderr.String())
		}
		got, err := npy.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		want, err := npy.ReadFile(filepath.Join("..", "..", "testdata", base+".output.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Tensor.F) != len(want.Tensor.F) {
			t.Fatalf("%s: %v values, want %v", model, got.Tensor.Shape, want.Tensor.Shape)
		}
		for i, w := range want.Tensor.F {
			if d := math.Abs(float64(got.Tensor.F[i] - w)); d > 1e-4 {
				t.Fatalf("%s: output %d = %v, PyTorch %v", model, i, got.Tensor.F[i], w)
			}
		}
	}
}

func TestRunBadInputExit2(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join("..", "..", "testdata", "mlp.op13.dyn.onnx")
	junk := filepath.Join(dir, "junk.onnx")
	os.WriteFile(junk, []byte("not a model"), 0o644)
	wrong := filepath.Join(dir, "wrong.npy")
	if err := npy.WriteFile(wrong, npyTensor(3, 5)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "y.npy")
	for _, args := range [][]string{
		{"run"},
		{"run", model}, // no --input/--output
		{"run", junk, "--input", wrong, "--output", out},  // malformed model
		{"run", model, "--input", wrong, "--output", out}, // 5 values per sample for 784
		{"run", model, "--input", "/nonexistent.npy", "--output", out},
		{"run", model, "--input", wrong, "--output", out, "--bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"fewspikes"}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed run left an output file")
	}
}

func TestBenchJSON(t *testing.T) {
	model := filepath.Join("..", "..", "testdata", "mlp.op13.dyn.onnx")
	var stdout, stderr bytes.Buffer
	code := run([]string{"fewspikes", "bench", model, "--batch", "4", "--threads", "1", "--seconds", "0.05", "--json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	for _, key := range []string{"model", "batch", "threads", "ann_us_per_sample", "snn_us_per_sample"} {
		if _, ok := res[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	if res["batch"].(float64) != 4 || res["threads"].(float64) != 1 || !(res["ann_us_per_sample"].(float64) > 0) {
		t.Errorf("unexpected values: %v", res)
	}
	if snn, ok := res["snn_us_per_sample"].(float64); !ok || !(snn > 0) {
		t.Errorf("snn_us_per_sample = %v, want a positive time", res["snn_us_per_sample"])
	}
	// A fixed-batch model at another batch size is bad input.
	fixed := filepath.Join("..", "..", "testdata", "mlp.op9.fix.onnx")
	if code := run([]string{"fewspikes", "bench", fixed, "--batch", "2"}, &stdout, &stderr); code != 2 {
		t.Errorf("fixed batch mismatch: exit %d, want 2", code)
	}
}

func npyTensor(n, k int) *layers.Tensor { return layers.New(n, k) }

// TestRunSNN converts a PyTorch CNN with K = 16 and checks that the spiking
// network's outputs have the ANN's shape and pick the same class for most
// of the committed samples.
func TestRunSNN(t *testing.T) {
	if testing.Short() {
		t.Skip("fits FS parameters: slow")
	}
	model := filepath.Join("..", "..", "testdata", "cnn_bn_pool.op14.dyn.onnx")
	input := filepath.Join("..", "..", "testdata", "cnn_bn_pool.input.npy")
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fewspikes", "run", model, "--input", input, "--output", filepath.Join(dir, "ann.npy")}, &stdout, &stderr); code != 0 {
		t.Fatalf("ann: exit %d: %s", code, stderr.String())
	}
	if code := run([]string{"fewspikes", "run", model, "--input", input, "--output", filepath.Join(dir, "snn.npy"), "--snn", "--steps", "16"}, &stdout, &stderr); code != 0 {
		t.Fatalf("snn: exit %d: %s", code, stderr.String())
	}
	ann, err := npy.ReadFile(filepath.Join(dir, "ann.npy"))
	if err != nil {
		t.Fatal(err)
	}
	snn, err := npy.ReadFile(filepath.Join(dir, "snn.npy"))
	if err != nil {
		t.Fatal(err)
	}
	a, s := ann.Tensor, snn.Tensor
	if len(a.Shape) != 2 || len(s.Shape) != 2 || a.Shape[0] != s.Shape[0] || a.Shape[1] != s.Shape[1] {
		t.Fatalf("shapes: ann %v, snn %v", a.Shape, s.Shape)
	}
	argmax := func(row []float32) int {
		best := 0
		for i, v := range row {
			if v > row[best] {
				best = i
			}
		}
		return best
	}
	agree := 0
	k := a.Shape[1]
	for i := range a.Shape[0] {
		if argmax(a.F[i*k:(i+1)*k]) == argmax(s.F[i*k:(i+1)*k]) {
			agree++
		}
	}
	if agree*3 < a.Shape[0]*2 {
		t.Errorf("SNN agrees with the ANN on %d of %d samples", agree, a.Shape[0])
	}
	if code := run([]string{"fewspikes", "run", model, "--input", input, "--output", filepath.Join(dir, "x.npy"), "--snn", "--steps", "0"}, &stdout, &stderr); code != 2 {
		t.Errorf("--steps 0: exit %d, want 2", code)
	}
}
