//go:build !amd64

package layers

const hasAVX2FMA = false

const hasAVX512 = false

func kernel4x16(kc int, a, b, c []float32, ldc int) { kernel4x16Go(kc, a, b, c, ldc) }

func dot(x, y []float32) float32 { return dotGo(x, y) }

func axpy(alpha float32, x, y []float32) { axpyGo(alpha, x, y) }

const hasDotKernelArch = false

func dotKernel4x3(k int, a []float32, lda int, b []float32, ldb int, out *[12]float32) {
	for r := range 4 {
		for c := range 3 {
			out[r*3+c] = dotGo(a[r*lda:r*lda+k], b[c*ldb:c*ldb+k])
		}
	}
}

func kernel4x16Indirect(kc int, a, b []float32, offs []int, c []float32, ldc int) {
	kernel4x16IndirectGo(kc, a, b, offs, c, ldc)
}

func kernel1x64Indirect(kc int, a, b []float32, offs []int, c []float32) {
	kernel1x64IndirectGo(kc, a, b, offs, c)
}

func maxInto(x, y []float32) { maxIntoGo(x, y) }

func addBias(dst, src []float32, b float32) { addBiasGo(dst, src, b) }

func pool2x2Row(out, r0, r1 []float32, isMax bool) { pool2x2RowGo(out, r0, r1, isMax) }

func pool3s2Row(out, acc []float32, isMax bool, div float32) int { return 0 }

func reduceRows(dst []float32, rows [][]float32, isMax bool) { reduceRowsGo(dst, rows, isMax) }

func pool3s2PlanesAVX512(ec *execContext, x, y []float32, planes, ih, iw, oh, ow, padLeft int, rows []int, divs []float32, masks []uint16, isMax bool, padValue float32, fix func(src, dst []float32)) bool {
	return false
}

func pool3s2Masks(iw, ow, padLeft int) []uint16 { return nil }

func kernelWide(kc int, a, b, c []float32, ldc, rows, cols int) { panic("layers: no AVX-512") }

func kernelWideIndirect(kc int, a, b []float32, offs []int, c []float32, ldc, rows, cols int) {
	panic("layers: no AVX-512")
}

func depthwise3x3(ec *execContext, n *Node, w *window, x, wt *Tensor, bias []float32, y *Tensor, act func(dst, src []float32)) bool {
	return false
}

func meanPlanes(dst, src []float32, n int) bool { return false }

func conv1ch3x3(ec *execContext, n *Node, w *window, x, wt *Tensor, bias []float32, y *Tensor, act func(dst, src []float32)) bool {
	return false
}

func dotRows8(k int, x, b []float32, ldb int, out *[8]float32) { panic("layers: no AVX-512") }

func dotKernel4x6(k int, a []float32, lda int, b []float32, ldb int, out *[24]float32) {
	panic("layers: no AVX-512")
}

func rowsScalar(dst []float32, ldd int, a []float32, lda int, s []float32, l int, add bool) bool {
	return false
}
