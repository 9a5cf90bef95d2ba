package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the reference: three loops in float64.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for kk := range k {
				var av, bv float32
				if transA {
					av = a[kk*lda+i]
				} else {
					av = a[i*lda+kk]
				}
				if transB {
					bv = b[j*ldb+kk]
				} else {
					bv = b[kk*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(v)
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// assertClose fails when got and want differ by more than tol scaled by
// max(1, |want|).
func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > tol*math.Max(1, math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) != math.IsNaN(float64(want[i])) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestSgemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{
		{1, 1, 1}, {1, 17, 5}, {9, 1, 33}, {4, 16, 1}, {5, 17, 3}, {3, 40, 300},
		{64, 10, 784}, {33, 65, 257}, {128, 96, 520}, {7, 300, 9}, {16, 784, 25}, {1, 70, 300}, {1, 64, 784},
	}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
				for _, threads := range []int{1, 2, 3} {
					name := fmt.Sprintf("m%d n%d k%d tA%v tB%v alpha%v beta%v threads%d", m, n, k, tr[0], tr[1], ab[0], ab[1], threads)
					a := randSlice(r, m*k)
					b := randSlice(r, k*n)
					lda, ldb := k, n
					if tr[0] {
						lda = m
					}
					if tr[1] {
						ldb = k
					}
					// C with a wider row stride than n to check ldc.
					ldc := n + 3
					c := randSlice(r, m*ldc)
					if ab[1] == 0 {
						for i := range c {
							c[i] = float32(math.NaN()) // beta 0 must ignore C
						}
					}
					want := append([]float32(nil), c...)
					naiveGemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
					sgemm(&execContext{Threads: threads}, tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
					for i := range m {
						for j := n; j < ldc; j++ {
							c[i*ldc+j], want[i*ldc+j] = 0, 0 // padding columns are not ours
						}
					}
					assertClose(t, name, c, want, 1e-4*math.Sqrt(float64(k)))
				}
			}
		}
	}
}

func TestKernel4x16GoMatchesDispatch(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, kc := range []int{0, 1, 7, 256} {
		a := randSlice(r, kc*gemmMR+1)
		b := randSlice(r, kc*gemmNR+1)
		c1 := randSlice(r, gemmMR*20)
		c2 := append([]float32(nil), c1...)
		kernel4x16(kc, a, b, c1, 20)
		kernel4x16Go(kc, a, b, c2, 20)
		assertClose(t, fmt.Sprintf("kc %d", kc), c1, c2, 1e-5*float64(kc+1))
	}
	for _, n := range []int{0, 1, 7, 8, 31, 32, 100} {
		x, y := randSlice(r, n), randSlice(r, n)
		assertClose(t, fmt.Sprintf("dot %d", n), []float32{dot(x, y)}, []float32{dotGo(x, y)}, 1e-5*float64(n+1))
		y2 := append([]float32(nil), y...)
		axpy(1.5, x, y)
		axpyGo(1.5, x, y2)
		assertClose(t, fmt.Sprintf("axpy %d", n), y, y2, 1e-5)
	}
}

func benchSgemm(b *testing.B, m, n, k, threads int, f func(ec *execContext, m, n, k int, a, bb, c []float32)) {
	r := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	ec := &execContext{Threads: threads}
	b.ResetTimer()
	for b.Loop() {
		f(ec, m, n, k, a, bb, c)
	}
	b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

var gemmBenchShapes = [][3]int{{64, 64, 64}, {256, 256, 256}, {32, 784, 288}, {64, 256, 784}, {1, 256, 784}, {512, 512, 512}}

func BenchmarkSgemm(b *testing.B) {
	for _, sh := range gemmBenchShapes {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/t%d", sh[0], sh[1], sh[2], threads), func(b *testing.B) {
				benchSgemm(b, sh[0], sh[1], sh[2], threads, func(ec *execContext, m, n, k int, a, bb, c []float32) {
					sgemm(ec, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				})
			})
		}
	}
}

// TestAddBiasMatchesGo checks the vector bias add against the scalar loop,
// bit for bit, on lengths around the 8- and 32-wide blocks.
func TestAddBiasMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 49, 100, 784} {
		src := make([]float32, n)
		for i := range src {
			src[i] = r.Float32()*2 - 1
		}
		got, want := make([]float32, n+1), make([]float32, n+1)
		got[n], want[n] = 42, 42 // must stay untouched
		addBias(got[:n], src, 0.3)
		addBiasGo(want[:n], src, 0.3)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("n=%d: element %d is %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}
