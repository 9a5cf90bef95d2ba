package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// TestEvalWithoutSites: a model with no activation to convert has an SNN
// identical to its ANN, so the output PSNR is +Inf. eval must still print
// its JSON and write the whole report (encoding/json refuses +Inf; this
// once failed with "json: unsupported value: +Inf" and left an empty
// report folder).
func TestEvalWithoutSites(t *testing.T) {
	dir := t.TempDir()
	m := writeFile(t, filepath.Join(dir, "neg.onnx"), onnxModel(13, onnxGraph(
		[]pb{onnxNode("Neg", "neg", []string{"x"}, []string{"y"})}, nil,
		[]pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)})))
	x := writeFile(t, filepath.Join(dir, "x.npy"), npy.Encode(layers.FromFloat32([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 4)))
	report := filepath.Join(dir, "report")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fewspikes", "eval", m, "--data", x, "--report", report, "--json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	b, err := os.ReadFile(filepath.Join(report, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("report.json: %v", err)
	}
}
