// Package dataset loads evaluation inputs and labels for the command line:
// NumPy .npy arrays or MNIST IDX files (plain or gzip), told apart by their
// content, not their name. Inputs become float32 tensors, labels []int64.
package dataset

import (
	"bytes"
	"fmt"
	"math"
	"os"

	"github.com/fewspikes/fewspikes/internal/idx"
	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// Options control how LoadInputs shapes and scales what it reads.
type Options struct {
	// ScaleBytes divides uint8 data (a u1 .npy, a ubyte IDX) by 255, the
	// usual mapping of pixels to [0, 1]. Other types are never scaled.
	ScaleBytes bool
	// SampleShape, when set, reshapes each sample (everything after the
	// first axis) to this shape, e.g. [1 28 28] to give IDX images
	// [N 28 28] the channel axis a model expects. The element counts must
	// match.
	SampleShape []int
}

// LoadInputs reads a batch of inputs from path (.npy or IDX).
func LoadInputs(path string, opt Options) (*layers.Tensor, error) {
	t, isBytes, err := read(path)
	if err != nil {
		return nil, err
	}
	if t.DType != layers.Float32 {
		t = layers.FromFloat32(t.AsFloat32(), t.Shape...)
	}
	// A NaN or Inf input poisons every output it reaches; say where it is
	// rather than report a meaningless accuracy.
	for i, v := range t.F {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%s: value %d (index %v of shape %v) is %v; inputs must be finite",
				path, i, unravel(i, t.Shape), t.Shape, v)
		}
	}
	if isBytes && opt.ScaleBytes {
		for i := range t.F {
			t.F[i] /= 255
		}
	}
	if opt.SampleShape != nil {
		if len(t.Shape) == 0 {
			return nil, fmt.Errorf("%s: a scalar is not a batch of samples", path)
		}
		want := layers.NumElements(opt.SampleShape)
		if got := layers.NumElements(t.Shape[1:]); got != want {
			return nil, fmt.Errorf("%s: samples of shape %v (%d values) cannot be reshaped to %v (%d values)",
				path, t.Shape[1:], got, opt.SampleShape, want)
		}
		t.Shape = append([]int{t.Shape[0]}, opt.SampleShape...)
	}
	return t, nil
}

// LoadLabels reads class labels from path (.npy or IDX): a 1-D array of
// non-negative integers (an [N,1] array is accepted too).
func LoadLabels(path string) ([]int64, error) {
	t, _, err := read(path)
	if err != nil {
		return nil, err
	}
	if len(t.Shape) != 1 && !(len(t.Shape) == 2 && t.Shape[1] == 1) {
		return nil, fmt.Errorf("%s: labels have shape %v, want [N]", path, t.Shape)
	}
	out := make([]int64, t.Len())
	for i := range out {
		var v int64
		if t.DType == layers.Int64 {
			v = t.I[i]
		} else {
			f := float64(t.F[i])
			if f != math.Trunc(f) {
				return nil, fmt.Errorf("%s: label %d is %v, not an integer", path, i, f)
			}
			v = int64(f)
		}
		if v < 0 {
			return nil, fmt.Errorf("%s: label %d is negative (%d)", path, i, v)
		}
		out[i] = v
	}
	return out, nil
}

// read decodes path as .npy or IDX and reports whether the stored type was
// bytes (u1 / ubyte).
func read(path string) (t *layers.Tensor, isBytes bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	if bytes.HasPrefix(data, []byte("\x93NUMPY")) {
		a, err := npy.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return a.Tensor, a.DType == "u1", nil
	}
	// IDX starts with two zero bytes; gzip with 1f 8b. Anything else gets
	// a message that names both accepted formats.
	if len(data) < 4 || !(data[0] == 0 && data[1] == 0 || data[0] == 0x1f && data[1] == 0x8b) {
		return nil, false, fmt.Errorf("%s: neither an .npy nor an IDX file (optionally gzip)", path)
	}
	a, err := idx.Decode(data)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return a.Tensor(), a.Type == idx.UByte, nil
}

// unravel turns flat index i into per-axis indices of shape.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		if shape[a] > 0 {
			idx[a] = i % shape[a]
			i /= shape[a]
		}
	}
	return idx
}
