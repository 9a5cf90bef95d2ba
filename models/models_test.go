package models

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/internal/npy"
)

func TestListDefaultGet(t *testing.T) {
	ms := List()
	want := []string{"cnn-gelu", "effnet-se", "mlp-silu"}
	if len(ms) != len(want) {
		t.Fatalf("List() has %d models, want %v", len(ms), want)
	}
	for i, m := range ms {
		if m.Name != want[i] {
			t.Errorf("List()[%d] = %q, want %q", i, m.Name, want[i])
		}
		// An ONNX ModelProto starts with field 1 (ir_version, varint): tag 0x08.
		if len(m.ONNX) < 10_000 || m.ONNX[0] != 0x08 || !bytes.Contains(m.ONNX[:200], []byte("pytorch")) {
			t.Errorf("%s: %d bytes do not look like a PyTorch ONNX export", m.Name, len(m.ONNX))
		}
		if m.Description == "" {
			t.Errorf("%s: no description", m.Name)
		}
		if m.PyTorchAccuracy < 0.97 || m.PyTorchAccuracy > 1 {
			t.Errorf("%s: PyTorch accuracy %v, want >= 0.97", m.Name, m.PyTorchAccuracy)
		}
		g, err := Get(m.Name)
		if err != nil || !bytes.Equal(g.ONNX, m.ONNX) {
			t.Errorf("Get(%q) = %v, %v; differs from List", m.Name, len(g.ONNX), err)
		}
	}
	if d := Default(); d.Name != DefaultName || len(d.ONNX) == 0 {
		t.Errorf("Default() = %q", d.Name)
	}
	for _, bad := range []string{"resnet", "", "data/mnist-test-images", "../models/mlp-silu"} {
		if _, err := Get(bad); err == nil || !strings.Contains(err.Error(), "effnet-se") {
			t.Errorf("Get(%q) error %v should list the models", bad, err)
		}
	}
}

func TestTestSet(t *testing.T) {
	x, y, err := TestSet()
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Shape) != 4 || x.Shape[0] != 2000 || x.Shape[1] != 1 || x.Shape[2] != 28 || x.Shape[3] != 28 {
		t.Fatalf("images shape %v, want [2000 1 28 28]", x.Shape)
	}
	if len(y) != 2000 {
		t.Fatalf("%d labels, want 2000", len(y))
	}
	var counts [10]int
	for _, l := range y {
		counts[l]++ // TestSet guarantees 0..9; an out-of-range label would panic here
	}
	for d, c := range counts {
		// A random 20% of ~1000 digits per class: far from 0 and from 2000.
		if c < 150 || c > 260 {
			t.Errorf("digit %d occurs %d times in the test split", d, c)
		}
	}
	var lo, hi float32 = 1, 0
	var sum float64
	for _, v := range x.F {
		lo, hi = min(lo, v), max(hi, v)
		sum += float64(v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
	}
	// MNIST's mean pixel is about 0.13.
	if mean := sum / float64(len(x.F)); math.Abs(mean-0.13) > 0.02 {
		t.Errorf("mean pixel %v, want about 0.13", mean)
	}
	// Every value is a byte/255.
	for i, v := range x.F[:5000] {
		if b := v * 255; math.Abs(float64(b)-math.Round(float64(b))) > 1e-4 {
			t.Fatalf("pixel %d = %v is not a byte/255", i, v)
		}
	}
	// Decoding afresh: mutating one result must not affect the next.
	x.F[0] = 42
	x2, _, _ := TestSet()
	if x2.F[0] == 42 {
		t.Error("TestSet returns shared storage")
	}
}

// TestPredictionsMatchAccuracy checks the files scripts/train_models.py
// wrote beside each model agree with each other and with the test split:
// PyTorch's predictions (<name>.pred.npy, not embedded) scored against the
// embedded labels give exactly the accuracy in <name>.json.
func TestPredictionsMatchAccuracy(t *testing.T) {
	_, labels, err := TestSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range List() {
		a, err := npy.ReadFile(m.Name + ".pred.npy")
		if err != nil {
			t.Fatal(err)
		}
		pred := a.Tensor.I
		if a.DType != "i8" || len(pred) != len(labels) {
			t.Fatalf("%s.pred.npy: %s with %d values, want i8 with %d", m.Name, a.DType, len(pred), len(labels))
		}
		correct := 0
		for i, p := range pred {
			if p == labels[i] {
				correct++
			}
		}
		if acc := float64(correct) / float64(len(labels)); math.Abs(acc-m.PyTorchAccuracy) > 1e-12 {
			t.Errorf("%s: predictions score %.4f, json says %.4f", m.Name, acc, m.PyTorchAccuracy)
		}
	}
}
