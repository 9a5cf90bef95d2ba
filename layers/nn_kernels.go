package layers

// nnKernels returns the kernels for the dense and spatial operators (Conv,
// ConvTranspose, Gemm, MatMul, pooling, Pad, Resize). The engine merges them
// with its own.
func nnKernels() map[string]kernelFunc {
	return map[string]kernelFunc{}
}
