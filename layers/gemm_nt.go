package layers

// gemmNT computes C = alpha·A·Bᵀ + beta·C with A m×k and B n×k both
// row-major: every element is a dot product of two contiguous rows, so no
// packing is needed. This is the shape of Gemm with transB (PyTorch's
// Linear), where packing the weights on every call would cost as much as
// the product itself for batch sizes up to a few hundred.
func gemmNT(ec *execContext, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	st := ntStore{alpha: alpha, beta: beta, c: c, ldc: ldc}
	// Column tiles of 6 rows of B with the AVX-512 kernel (fewer loads
	// per multiply-add), else of 3; both give each element the same bits.
	tw := 3
	if hasAVX512 {
		tw = 6
	}
	tilesN := n / tw
	// Each goroutine takes a range of column tiles (rows of B) and all rows
	// of A: B's rows are then read once per goroutine from L1/L2.
	ec.parallelFor(tilesN+1, func(lo, hi int) {
		j0, j1 := lo*tw, min(hi*tw, n)
		j := j0
		for ; j+tw <= j1; j += tw {
			gemmNTTile(m, k, tw, a, lda, b[j*ldb:], ldb, j, &st)
		}
		// Columns left over after whole tiles (only in the last range).
		for ; j+3 <= j1; j += 3 {
			gemmNTTile(m, k, 3, a, lda, b[j*ldb:], ldb, j, &st)
		}
		for ; j < j1; j++ {
			for i := range m {
				st.put(i, j, dot(a[i*lda:i*lda+k], b[j*ldb:j*ldb+k]))
			}
		}
	})
}

// gemmNTTile computes the tw columns (3, or 6 with AVX-512) of C from
// column j on that rows of bs (stride ldb) give, for all m rows of A.
func gemmNTTile(m, k, tw int, a []float32, lda int, bs []float32, ldb, j int, st *ntStore) {
	var out [24]float32
	i := 0
	for ; i+4 <= m; i += 4 {
		if tw == 6 {
			dotKernel4x6(k, a[i*lda:], lda, bs, ldb, &out)
		} else {
			dotKernel4x3(k, a[i*lda:], lda, bs, ldb, (*[12]float32)(out[:12]))
		}
		for r := range 4 {
			for cc := range tw {
				st.put(i+r, j+cc, out[r*tw+cc])
			}
		}
	}
	for ; i < m; i++ {
		for cc := range tw {
			st.put(i, j+cc, dot(a[i*lda:i*lda+k], bs[cc*ldb:cc*ldb+k]))
		}
	}
}

// ntStore writes gemmNT's results: c[i, j] = alpha·v + beta·c[i, j] (a
// method the compiler inlines, where a closure was an indirect call per
// element).
type ntStore struct {
	alpha, beta float32
	c           []float32
	ldc         int
}

func (s *ntStore) put(i, j int, v float32) {
	v *= s.alpha
	if s.beta != 0 {
		v += s.beta * s.c[i*s.ldc+j]
	}
	s.c[i*s.ldc+j] = v
}
