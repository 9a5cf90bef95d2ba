package convert

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fewspikes/fewspikes/internal/idx"
	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// isIDX reports whether path names an IDX file by its name (".idx",
// "-ubyte", optionally followed by ".gz").
func isIDX(path string) bool {
	base := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	return strings.HasSuffix(base, ".idx") || strings.HasSuffix(base, "-ubyte") || strings.Contains(base, "-idx")
}

// LoadData reads input samples from an .npy file (float32, float64 or
// uint8) or an IDX file. The first dimension is the sample index. uint8
// data is scaled by 1/255 only when scaleUint8 is set.
func LoadData(path string, scaleUint8 bool) (*layers.Tensor, error) {
	var t *layers.Tensor
	if isIDX(path) {
		a, err := idx.ReadFile(path)
		if err != nil {
			return nil, err
		}
		scale := float32(1)
		if a.Type == idx.UByte && scaleUint8 {
			scale = 1.0 / 255
		}
		t = layers.FromFloat32(a.Float32s(scale), a.Shape...)
	} else {
		a, err := npy.ReadFile(path)
		if err != nil {
			return nil, err
		}
		t = a.Tensor
		switch {
		case a.DType == "u1" && scaleUint8:
			for i := range t.F {
				t.F[i] /= 255
			}
		case a.DType == "f4" || a.DType == "f8" || a.DType == "u1":
		default:
			return nil, fmt.Errorf("%s: data of dtype %s, want float32, float64 or uint8", path, a.DType)
		}
		if t.DType != layers.Float32 {
			return nil, fmt.Errorf("%s: data of dtype %s, want float32, float64 or uint8", path, a.DType)
		}
	}
	if len(t.Shape) < 1 || t.Shape[0] < 1 {
		return nil, fmt.Errorf("%s: no samples (shape %v)", path, t.Shape)
	}
	return t, nil
}

// LoadLabels reads integer class labels from an .npy file (int64, int32,
// uint8 ...) or an IDX file: one label per sample.
func LoadLabels(path string) ([]int64, error) {
	var labels []int64
	var shape []int
	if isIDX(path) {
		a, err := idx.ReadFile(path)
		if err != nil {
			return nil, err
		}
		labels, err = a.Int64s()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		shape = a.Shape
	} else {
		a, err := npy.ReadFile(path)
		if err != nil {
			return nil, err
		}
		shape = a.Tensor.Shape
		switch {
		case a.Tensor.DType == layers.Int64:
			labels = a.Tensor.I
		case a.DType == "u1":
			labels = a.Tensor.AsInt64()
		default:
			return nil, fmt.Errorf("%s: labels of dtype %s, want an integer type", path, a.DType)
		}
	}
	if len(shape) > 2 || (len(shape) == 2 && shape[1] != 1) {
		return nil, fmt.Errorf("%s: labels of shape %v, want one label per sample", path, shape)
	}
	return labels, nil
}

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
