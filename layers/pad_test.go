package layers

import (
	"fmt"
	"testing"
)

func TestPadModes(t *testing.T) {
	x := FromFloat32([]float32{1, 2, 3}, 3)
	for _, c := range []struct {
		mode string
		want string
	}{
		{"constant", "[9 9 1 2 3 9 9]"},
		{"reflect", "[3 2 1 2 3 2 1]"},
		{"edge", "[1 1 1 2 3 3 3]"},
		{"wrap", "[2 3 1 2 3 1 2]"},
	} {
		got := runNN(t, "Pad", Attrs{"pads": []int64{2, 2}, "mode": c.mode, "value": float32(9)}, x)[0]
		if fmt.Sprint(got.F) != c.want {
			t.Errorf("%s: %v, want %s", c.mode, got.F, c.want)
		}
	}
	// 2-D with cropping: pad rows 1 before, crop 1 column at the end.
	x2 := seq(2, 3)
	got := runNN(t, "Pad", Attrs{"pads": []int64{1, 0, 0, -1}}, x2)[0]
	if fmt.Sprint(got.Shape, got.F) != "[3 2] [0 0 1 2 4 5]" {
		t.Fatalf("crop: %v %v", got.Shape, got.F)
	}
	// Crop at the beginning, pad at the end, of the last axis.
	got = runNN(t, "Pad", Attrs{"pads": []int64{0, -1, 0, 1}, "mode": "edge"}, x2)[0]
	if fmt.Sprint(got.Shape, got.F) != "[2 3] [2 3 3 5 6 6]" {
		t.Fatalf("crop and pad: %v %v", got.Shape, got.F)
	}
	// The opset-11 input form, with axes (opset 18).
	pads := FromInt64([]int64{1, 2}, 2)
	axes := FromInt64([]int64{-1}, 1)
	got = runNN(t, "Pad", Attrs{"mode": "edge"}, x2, pads, nil, axes)[0]
	if fmt.Sprint(got.Shape, got.F) != "[2 6] [1 1 2 3 3 3 4 4 5 6 6 6]" {
		t.Fatalf("inputs form: %v %v", got.Shape, got.F)
	}
	value := FromFloat32([]float32{-1}, 1)
	got = runNN(t, "Pad", nil, x2, FromInt64([]int64{0, 1, 0, 0}, 4), value)[0]
	if fmt.Sprint(got.F) != "[-1 1 2 3 -1 4 5 6]" {
		t.Fatalf("constant_value input: %v", got.F)
	}
}

func TestPadErrors(t *testing.T) {
	ec := &execContext{Threads: 1}
	x := seq(2, 3)
	for _, attrs := range []Attrs{
		{"pads": []int64{1, 1}},        // wrong length
		{"pads": []int64{0, -4, 0, 0}}, // crops more than exists
		{"pads": []int64{0, 1, 0, 1}, "mode": "mirror"},
		{"pads": []int64{0, 1 << 40, 0, 0}}, // absurd size
	} {
		if _, err := padKernel(ec, &Node{Name: "p", Op: "Pad", Attrs: attrs}, []*Tensor{x}); err == nil {
			t.Errorf("attrs %v accepted", attrs)
		}
	}
}
