package layers

import (
	"fmt"
)

// DType is the element type of a Tensor. The engine computes in float32;
// Int64 carries shapes, indices and booleans (0 or 1) through the small
// shape sub-graphs that dynamic-batch exports contain.
type DType uint8

const (
	Float32 DType = iota
	Int64
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Tensor is a dense row-major array. Exactly one of F (Float32) or I (Int64)
// holds the data, according to DType. A scalar has an empty Shape and one
// element.
type Tensor struct {
	DType DType
	Shape []int
	F     []float32
	I     []int64
}

// NumElements returns the product of the dimensions of shape (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// New returns a zero float32 tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), F: make([]float32, NumElements(shape))}
}

// NewInt returns a zero int64 tensor of the given shape.
func NewInt(shape ...int) *Tensor {
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), I: make([]int64, NumElements(shape))}
}

// FromFloat32 wraps data (not copied) in a float32 tensor of the given shape.
func FromFloat32(data []float32, shape ...int) *Tensor {
	if len(data) != NumElements(shape) {
		panic(fmt.Sprintf("layers: %d values for shape %v", len(data), shape))
	}
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), F: data}
}

// FromInt64 wraps data (not copied) in an int64 tensor of the given shape.
func FromInt64(data []int64, shape ...int) *Tensor {
	if len(data) != NumElements(shape) {
		panic(fmt.Sprintf("layers: %d values for shape %v", len(data), shape))
	}
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), I: data}
}

// Len returns the number of elements.
func (t *Tensor) Len() int {
	if t.DType == Int64 {
		return len(t.I)
	}
	return len(t.F)
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...)}
	if t.F != nil {
		c.F = append([]float32(nil), t.F...)
	}
	if t.I != nil {
		c.I = append([]int64(nil), t.I...)
	}
	return c
}

// AsFloat32 returns the tensor's values as float32 (converting int64).
func (t *Tensor) AsFloat32() []float32 {
	if t.DType == Float32 {
		return t.F
	}
	out := make([]float32, len(t.I))
	for i, v := range t.I {
		out[i] = float32(v)
	}
	return out
}

// AsInt64 returns the tensor's values as int64 (truncating float32).
func (t *Tensor) AsInt64() []int64 {
	if t.DType == Int64 {
		return t.I
	}
	out := make([]int64, len(t.F))
	for i, v := range t.F {
		out[i] = int64(v)
	}
	return out
}

func (t *Tensor) String() string {
	return fmt.Sprintf("Tensor(%s%v)", t.DType, t.Shape)
}
