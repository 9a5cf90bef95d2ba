package layers

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkSgemmGonum is the baseline sgemm is measured against: gonum's
// pure-Go single-precision GEMM on the same shapes as BenchmarkSgemm.
func BenchmarkSgemmGonum(b *testing.B) {
	var impl gonum.Implementation
	for _, sh := range gemmBenchShapes {
		b.Run(fmt.Sprintf("%dx%dx%d", sh[0], sh[1], sh[2]), func(b *testing.B) {
			benchSgemm(b, sh[0], sh[1], sh[2], 1, func(_ *execContext, m, n, k int, a, bb, c []float32) {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
			})
		})
	}
}
