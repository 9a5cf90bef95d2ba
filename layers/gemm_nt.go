package layers

// gemmNT computes C = alpha·A·Bᵀ + beta·C with A m×k and B n×k both
// row-major: every element is a dot product of two contiguous rows, so no
// packing is needed. This is the shape of Gemm with transB (PyTorch's
// Linear), where packing the weights on every call would cost as much as
// the product itself for batch sizes up to a few hundred.
func gemmNT(ec *execContext, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	store := func(i, j int, v float32) {
		v *= alpha
		if beta != 0 {
			v += beta * c[i*ldc+j]
		}
		c[i*ldc+j] = v
	}
	tilesN := n / 3
	// Each goroutine takes a range of column tiles (rows of B) and all rows
	// of A: B's rows are then read once per goroutine from L1/L2.
	ec.parallelFor(tilesN+1, func(lo, hi int) {
		var out [12]float32
		j0, j1 := lo*3, min(hi*3, n)
		for j := j0; j+3 <= j1; j += 3 {
			bs := b[j*ldb:]
			i := 0
			for ; i+4 <= m; i += 4 {
				dotKernel4x3(k, a[i*lda:], lda, bs, ldb, &out)
				for r := range 4 {
					for cc := range 3 {
						store(i+r, j+cc, out[r*3+cc])
					}
				}
			}
			for ; i < m; i++ {
				for cc := range 3 {
					store(i, j+cc, dot(a[i*lda:i*lda+k], b[(j+cc)*ldb:(j+cc)*ldb+k]))
				}
			}
		}
		// Columns left over after whole tiles (only in the last range).
		for j := j0 + (j1-j0)/3*3; j < j1; j++ {
			for i := range m {
				store(i, j, dot(a[i*lda:i*lda+k], b[j*ldb:j*ldb+k]))
			}
		}
	})
}
