package layers

//go:generate python3 gen/gemm_avx512.py

//go:noescape
func sgemmKernelIndirectAVX512(kc int, a, b *float32, offs *int, c *float32, ldc, shape int)

//go:noescape
func sgemmKernelAVX512(kc int, a, b, c *float32, ldc, shape int)

// Tile shapes of the AVX-512 micro-kernels: rows of 4 or 8 (two packed A
// strips), columns of 16 or 32 (two B strips).
const (
	tile8Rows = 1
	tile32Col = 2
)

// tileShape returns the AVX-512 kernel shape for rows of 4 or 8 and
// columns of 16 or 32.
func tileShape(rows, cols int) int {
	s := 0
	if rows == 2*gemmMR {
		s |= tile8Rows
	}
	if cols == 2*gemmNR {
		s |= tile32Col
	}
	return s
}

// kernelWide is kernel4x16 over a block of up to 8×32 (rows 4 or 8, cols
// 16 or 32): A strips follow each other every 4·kc floats and B strips
// every 16·kc, as packA and packB lay them out. It needs AVX-512.
func kernelWide(kc int, a, b, c []float32, ldc, rows, cols int) {
	if kc == 0 {
		return
	}
	_ = a[kc*rows-1]
	_ = b[kc*cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	sgemmKernelAVX512(kc, &a[0], &b[0], &c[0], ldc, tileShape(rows, cols))
}

// kernelWideIndirect is kernel4x16Indirect over a block of up to 8×32:
// row k of the B block is b[offs[k] : offs[k]+cols]. It needs AVX-512.
func kernelWideIndirect(kc int, a, b []float32, offs []int, c []float32, ldc, rows, cols int) {
	if kc == 0 {
		return
	}
	_ = a[kc*rows-1]
	_ = offs[kc-1]
	_ = c[(rows-1)*ldc+cols-1]
	// The caller guarantees that every offs[k]+cols is within b.
	sgemmKernelIndirectAVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc, tileShape(rows, cols))
}

//go:noescape
func dotRows8AVX512(k int, x, b *float32, ldb int, out *float32)

// dotRows8 sets out[r] to the dot product of x[:k] with row r of b (row
// stride ldb), r < 8. It needs AVX-512.
func dotRows8(k int, x, b []float32, ldb int, out *[8]float32) {
	_ = x[k-1]
	_ = b[7*ldb+k-1]
	dotRows8AVX512(k, &x[0], &b[0], ldb, &out[0])
}

//go:noescape
func dotKernel4x6AVX512(k int, a *float32, lda int, b *float32, ldb int, out *float32)

// dotKernel4x6 is dotKernel4x3 over six rows of b (out[r*6+c]), with the
// same bits per element. It needs AVX-512.
func dotKernel4x6(k int, a []float32, lda int, b []float32, ldb int, out *[24]float32) {
	_ = a[3*lda+k-1]
	_ = b[5*ldb+k-1]
	dotKernel4x6AVX512(k, &a[0], lda, &b[0], ldb, &out[0])
}
