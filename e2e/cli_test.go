package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The CLI tests drive the fewspikes binary as a user would, on the same
// PyTorch references: they check the whole path (flag parsing, .npy and
// IDX reading, chunking, .npy writing, exit codes), not only the packages.

// fewspikesBin is the binary TestMain builds for the CLI tests.
var fewspikesBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fewspikes-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fewspikesBin = filepath.Join(dir, "fewspikes")
	build := exec.Command("go", "build", "-o", fewspikesBin, "../cmd/fewspikes")
	if out, err := build.CombinedOutput(); err != nil {
		// Let the package tests run; the CLI tests fail with this message.
		fewspikesBin = ""
		fmt.Fprintf(os.Stderr, "e2e: building cmd/fewspikes: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fewspikes runs the binary and returns stdout, stderr and the exit code.
func fewspikes(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	if fewspikesBin == "" {
		t.Fatal("cmd/fewspikes did not build (see the log above)")
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(fewspikesBin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("fewspikes %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func TestCLIRunMatchesPyTorch(t *testing.T) {
	for _, e := range readManifest(t) {
		t.Run(e.File, func(t *testing.T) {
			outPath := filepath.Join(t.TempDir(), "y.npy")
			_, stderr, code := fewspikes(t, "run", filepath.Join(testdataDir, e.File),
				"--input", filepath.Join(testdataDir, e.Input), "--output", outPath, "--threads", "1")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got := readNpy(t, outPath)
			want := readNpy(t, filepath.Join(testdataDir, e.Output))
			if msg := compare(got, want); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestCLIRunOnIDXTestSet feeds the committed IDX test split (uint8
// [2000,28,28], gzip) to an embedded model file: --scale-uint8 and the
// reshape to [N,1,28,28] must give PyTorch's predictions.
func TestCLIRunOnIDXTestSet(t *testing.T) {
	outPath := filepath.Join(t.TempDir(), "logits.npy")
	_, stderr, code := fewspikes(t, "run", filepath.Join(modelsDir, "cnn-gelu.onnx"),
		"--input", filepath.Join(modelsDir, "data", "mnist-test-images.idx.gz"), "--scale-uint8",
		"--output", outPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	logits := readNpy(t, outPath)
	if len(logits.Shape) != 2 || logits.Shape[0] != 2000 || logits.Shape[1] != 10 {
		t.Fatalf("output shape %v, want [2000 10]", logits.Shape)
	}
	pred := readNpy(t, filepath.Join(modelsDir, "cnn-gelu.pred.npy"))
	for i := 0; i < 2000; i++ {
		if p := argmax(logits.F[i*10 : (i+1)*10]); p != pred.I[i] {
			t.Fatalf("image %d: predicted %d, PyTorch %d", i, p, pred.I[i])
		}
	}
}

func TestCLIUnsupportedOperators(t *testing.T) {
	model := filepath.Join(testdataDir, "unsupported", "lpnorm_cumsum.onnx")
	input := filepath.Join(testdataDir, "mlp.input.npy")
	for _, args := range [][]string{
		{"inspect", model},
		{"run", model, "--input", input, "--output", filepath.Join(t.TempDir(), "y.npy")},
	} {
		_, stderr, code := fewspikes(t, args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", args[0], code, stderr)
		}
		for _, node := range []string{"lpnorm_node", "cumsum_node", "LpNormalization", "CumSum"} {
			if !strings.Contains(stderr, node) {
				t.Errorf("%s: stderr %q does not name %s", args[0], stderr, node)
			}
		}
		if args[0] == "run" {
			if _, err := os.Stat(args[len(args)-1]); err == nil {
				t.Errorf("run wrote an output file for a model it cannot run")
			}
		}
	}
}

func TestCLITruncatedModel(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testdataDir, "cnn_bn_pool.op11.fix.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "cut.onnx")
	if err := os.WriteFile(model, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "y.npy")
	_, stderr, code := fewspikes(t, "run", model, "--input", filepath.Join(testdataDir, "cnn_bn_pool.input.npy"), "--output", out)
	if code != 2 {
		t.Errorf("exit %d, want 2; stderr %q", code, stderr)
	}
	if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; stderr == "" || lines > 1 || strings.Contains(stderr, "goroutine") {
		t.Errorf("want a one-line error, got %q", stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output file was written")
	}
}

func TestCLIInspectJSON(t *testing.T) {
	stdout, stderr, code := fewspikes(t, "inspect", filepath.Join(testdataDir, "dwsep_se.op13.dyn.onnx"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var rep map[string]any
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Errorf("stdout holds more than one JSON value")
	}
	if op, _ := rep["opset"].(float64); op != 13 {
		t.Errorf("opset %v, want 13", rep["opset"])
	}
	for _, k := range []string{"inputs", "outputs", "operators"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("no %q in %v", k, rep)
		}
	}
	// The SE net has SiLU sites and Sigmoid gates: inspect should list both kinds.
	sites, _ := json.Marshal(rep["sites"])
	for _, act := range []string{"silu", "sigmoid"} {
		if !strings.Contains(string(sites), act) {
			t.Errorf("sites %s lack %s", sites, act)
		}
	}
}
