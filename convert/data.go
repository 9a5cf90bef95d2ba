package convert

import (
	"fmt"

	"github.com/fewspikes/fewspikes/layers"
)

// FitToInput reshapes samples x (first dimension = samples) to the shape
// the model's input expects, when the number of values per sample agrees
// (for example [N,28,28] images for a [N,1,28,28] or [N,784] input).
func FitToInput(x *layers.Tensor, in layers.ValueInfo) (*layers.Tensor, error) {
	n := x.Shape[0]
	per := x.Len() / n
	if len(in.Shape) == 0 {
		return nil, fmt.Errorf("model input %q is a scalar", in.Name)
	}
	want := 1
	for i, d := range in.Shape[1:] {
		if d < 0 {
			if len(in.Shape) == len(x.Shape) && x.Shape[i+1] > 0 {
				d = x.Shape[i+1] // a dynamic dimension takes the data's size
			} else {
				return nil, fmt.Errorf("model input %q has dynamic dimension %d: pass data of shape %v", in.Name, i+1, in.Shape)
			}
		}
		want *= d
	}
	if per != want {
		return nil, fmt.Errorf("data has %d values per sample (shape %v), model input %q wants %d (shape %v)", per, x.Shape, in.Name, want, in.Shape)
	}
	shape := make([]int, len(in.Shape))
	shape[0] = n
	for i, d := range in.Shape[1:] {
		if d < 0 {
			d = x.Shape[i+1]
		}
		shape[i+1] = d
	}
	return &layers.Tensor{DType: layers.Float32, Shape: shape, F: x.F}, nil
}

// Slice returns samples [lo, hi) of x, sharing its memory.
func Slice(x *layers.Tensor, lo, hi int) *layers.Tensor {
	per := x.Len() / x.Shape[0]
	shape := append([]int{hi - lo}, x.Shape[1:]...)
	return &layers.Tensor{DType: layers.Float32, Shape: shape, F: x.F[lo*per : hi*per]}
}
