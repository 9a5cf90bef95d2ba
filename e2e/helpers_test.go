package e2e

import (
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

// The comparison helpers decide what "agrees with PyTorch" means; these
// tests make sure they would notice a disagreement.

func TestCompareTolerance(t *testing.T) {
	want := layers.FromFloat32([]float32{1, -2, 1000, 0}, 2, 2)
	ok := layers.FromFloat32([]float32{1 + 9e-5, -2 - 9e-5, 1000.009, 0}, 2, 2) // abs or rel within
	if msg := compare(ok, want); msg != "" {
		t.Errorf("within tolerance, got %q", msg)
	}
	bad := layers.FromFloat32([]float32{1, -2, 1000.02, 2e-4}, 2, 2)
	if msg := compare(bad, want); !strings.Contains(msg, "2 of 4 values differ") {
		t.Errorf("out of tolerance, got %q", msg)
	}
	if msg := compare(layers.New(4), want); !strings.Contains(msg, "shape") {
		t.Errorf("shape mismatch, got %q", msg)
	}
	nan := layers.FromFloat32([]float32{1, -2, 1000, float32(nanValue())}, 2, 2)
	if msg := compare(nan, want); msg == "" {
		t.Error("NaN accepted")
	}
}

func nanValue() float64 { z := 0.0; return z / z }

// recorder records failures without stopping the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Logf(string, ...any)   {}
func (r *recorder) Helper()               {}

func TestCheckPredictionsRule(t *testing.T) {
	labels := []int64{0, 1, 1}
	torch := []int64{0, 1, 0}
	cases := []struct {
		name   string
		logits [][]float32
		fail   bool
	}{
		{"identical", [][]float32{{2, 1}, {0, 3}, {1, 0.5}}, false},
		{"one near-tie flip", [][]float32{{2, 1}, {0, 3}, {1, 1.00005}}, false},
		{"clear flip", [][]float32{{2, 1}, {0, 3}, {1, 1.5}}, true},
		{"two near-tie flips", [][]float32{{1, 1.00001}, {0, 3}, {1, 1.00005}}, true},
	}
	for _, c := range cases {
		r := &recorder{TB: t}
		acc := 2.0 / 3 // PyTorch gets images 0 and 1 right
		checkPredictionsTB(r, c.logits, torch, labels, acc)
		if r.failed != c.fail {
			t.Errorf("%s: failed = %v, want %v", c.name, r.failed, c.fail)
		}
	}
}
