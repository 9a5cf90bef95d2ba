package e2e

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/models"
)

// evalReport holds the keys of `fewspikes eval --json` (DESIGN.md) these
// tests read.
type evalReport struct {
	Model           string   `json:"model"`
	Steps           int      `json:"steps"`
	Samples         int      `json:"samples"`
	ANNAccuracy     *float64 `json:"ann_accuracy"`
	SNNAccuracy     *float64 `json:"snn_accuracy"`
	Agreement       float64  `json:"agreement"`
	SpikesPerNeuron float64  `json:"spikes_per_neuron"`
}

func evalJSON(t *testing.T, args ...string) evalReport {
	t.Helper()
	stdout, stderr, code := fewspikes(t, args...)
	if code != 0 {
		t.Fatalf("fewspikes %s: exit %d: %s", strings.Join(args, " "), code, lastLine(stderr))
	}
	var r evalReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	return r
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// TestSNNTargets checks the measured targets of issue 4 through the
// command line, on every embedded model and on one export of every
// testdata classifier, over the whole 2000-digit test split at K=16:
// the ANN accuracy `eval` reports is PyTorch's exactly, the SNN loses at
// most 0.3 points, and FS neurons fire at most 2.5 spikes on average.
// Each model costs 10-20 s of CPU, so plain `go test` checks the three
// embedded models; FEWSPIKES_E2E_FULL=1 adds the testdata classifiers
// (about ten minutes on a loaded 2-core machine: give -timeout 30m), and
// -short skips the test.
func TestSNNTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("converts and evaluates models on 2000 digits; run without -short")
	}
	full := os.Getenv("FEWSPIKES_E2E_FULL") == "1"
	type target struct {
		name     string
		args     []string
		pytorch  float64
		fromFile string
	}
	var targets []target
	for _, m := range models.List() {
		targets = append(targets, target{name: m.Name, args: []string{"--model", m.Name}, pytorch: m.PyTorchAccuracy})
	}
	images := filepath.Join(modelsDir, "data", "mnist-test-images.idx.gz")
	labels := filepath.Join(modelsDir, "data", "mnist-test-labels.idx.gz")
	seen := map[string]bool{}
	for _, e := range readManifest(t) {
		if !full || e.Kind != "classifier" || seen[e.Model] || !e.Dynamic {
			continue
		}
		seen[e.Model] = true
		targets = append(targets, target{name: e.File, pytorch: *e.PyTorchAccuracy,
			args: []string{"--data", images, "--labels", labels, "--scale-uint8", filepath.Join(testdataDir, e.File)}})
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			// Flags before the model: the argument order is tested apart, in
			// TestCLIArgumentOrder, so that a parsing fault there does not
			// hide these numbers.
			r := evalJSON(t, append([]string{"eval", "--steps", "16", "--json"}, tg.args...)...)
			if r.ANNAccuracy == nil || r.SNNAccuracy == nil || r.Samples != 2000 {
				t.Fatalf("report without accuracies over 2000 samples: %+v", r)
			}
			ann, snn := *r.ANNAccuracy, *r.SNNAccuracy
			t.Logf("ANN %.4f (PyTorch %.4f)  SNN %.4f  agreement %.4f  spikes/neuron %.3f", ann, tg.pytorch, snn, r.Agreement, r.SpikesPerNeuron)
			if math.Abs(ann-tg.pytorch) > 1e-9 {
				t.Errorf("ANN accuracy %.4f, PyTorch %.4f", ann, tg.pytorch)
			}
			if snn < ann-0.003-1e-9 {
				t.Errorf("SNN accuracy %.4f is %.2f points below the ANN's %.4f (target: at most 0.3)", snn, 100*(ann-snn), ann)
			}
			if r.SpikesPerNeuron > 2.5 {
				t.Errorf("%.3f spikes per neuron (target: at most 2.5)", r.SpikesPerNeuron)
			}
		})
	}
}

// TestCLIArgumentOrder runs each command with the model first and the
// flags after it, the order DESIGN.md writes the command line in.
func TestCLIArgumentOrder(t *testing.T) {
	model := filepath.Join(testdataDir, "mlp.op13.dyn.onnx")
	x := filepath.Join(testdataDir, "mlp.input.npy")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"inspect", model, "--json"},
		{"run", model, "--input", x, "--output", filepath.Join(dir, "y.npy")},
		{"eval", model, "--data", x, "--steps", "8", "--json"},
		{"convert", model, "--calib", x, "--steps", "8", "--out", filepath.Join(dir, "snn"), "--json"},
		{"bench", model, "--input", x, "--batch", "2", "--json"},
	} {
		stdout, stderr, code := fewspikes(t, args...)
		if code != 0 {
			t.Errorf("fewspikes %s: exit %d: %s", strings.Join(args, " "), code, lastLine(stderr))
			continue
		}
		if args[len(args)-1] == "--json" {
			var v map[string]any
			if err := json.Unmarshal([]byte(stdout), &v); err != nil {
				t.Errorf("fewspikes %s: stdout is not one JSON object: %v", args[0], err)
			}
		}
	}
}
