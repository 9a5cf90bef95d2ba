package layers

import (
	"fmt"
	"slices"
)

// nnKernels returns the kernels for the dense and spatial operators (Conv,
// ConvTranspose, Gemm, MatMul, pooling, Pad, Resize). The engine merges them
// with its own.
func nnKernels() map[string]kernelFunc {
	return map[string]kernelFunc{
		"Conv":              convKernel,
		"ConvTranspose":     convTransposeKernel,
		"Gemm":              gemmKernel,
		"MatMul":            matMulKernel,
		"MaxPool":           maxPoolKernel,
		"AveragePool":       averagePoolKernel,
		"GlobalAveragePool": globalAveragePoolKernel,
		"GlobalMaxPool":     globalMaxPoolKernel,
		"Pad":               padKernel,
		"Resize":            resizeKernel,
		"Upsample":          upsampleKernel,
	}
}

// maxOutputElements bounds the size of a tensor a kernel will allocate from
// shapes computed out of attributes or input values (Pad amounts, Resize
// sizes), so that a malformed model fails with an error instead of
// exhausting memory.
const maxOutputElements = 1<<31 - 1

// newOutput allocates a float32 output tensor (from the run's buffer pool)
// after checking that its shape is valid and of reasonable size. Its
// contents are undefined unless zero is set.
func newOutput(ec *execContext, n *Node, shape []int, zero bool) (*Tensor, error) {
	total := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("%s node %q: negative output dimension in %v", n.Op, n.Name, slices.Clone(shape))
		}
		if d > 0 && total > maxOutputElements/d {
			return nil, fmt.Errorf("%s node %q: output shape %v is too large", n.Op, n.Name, slices.Clone(shape))
		}
		total *= d
	}
	if zero {
		return ec.newZeroFloat(shape), nil
	}
	return ec.newFloat(shape), nil
}

// scratch returns n float32s of undefined contents from the run's buffer
// pool (or new memory); release gives them back for later layers and runs.
// Both must be called on the kernel's own goroutine, never inside a
// parallelFor: the pool is not safe for concurrent use.
func (ec *execContext) scratch(n int) []float32 {
	return ec.newFloat([]int{n}).F
}

func (ec *execContext) release(s []float32) {
	if ec.pool != nil && len(s) > 0 {
		ec.pool.put(&buffer{f: s})
	}
}

// nodeErr formats an error that names the node at fault.
func nodeErr(n *Node, format string, args ...any) error {
	return fmt.Errorf("%s node %q: %s", n.Op, n.Name, fmt.Sprintf(format, args...))
}

// floatInput returns input i as a float32 tensor, or an error naming the
// node when it is missing or of the wrong type.
func floatInput(n *Node, in []*Tensor, i int, what string) (*Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, nodeErr(n, "missing input %d (%s)", i, what)
	}
	if in[i].DType != Float32 {
		return nil, nodeErr(n, "input %d (%s) is %s, want float32", i, what, in[i].DType)
	}
	return in[i], nil
}

// optionalInput returns input i or nil when it is omitted or empty.
func optionalInput(in []*Tensor, i int) *Tensor {
	if i >= len(in) || in[i] == nil || in[i].Len() == 0 {
		return nil
	}
	return in[i]
}

// fmtErr is fmt.Errorf for messages a caller wraps with the node's name.
func fmtErr(format string, args ...any) error { return fmt.Errorf(format, args...) }
