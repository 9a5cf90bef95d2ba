package layers

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveMatMul is numpy matmul by definition: broadcast the batch, then
// three loops per matrix.
func naiveMatMul(a, b *Tensor) *Tensor {
	as, bs := a.Shape, b.Shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	rank := max(len(ab), len(bb))
	pad := func(s []int) []int {
		return append(append([]int{}, make([]int, rank-len(s))...), s...)
	}
	pa, pb := pad(ab), pad(bb)
	batch := make([]int, rank)
	for i := range rank {
		if pa[i] == 0 {
			pa[i] = 1
		}
		if pb[i] == 0 {
			pb[i] = 1
		}
		batch[i] = max(pa[i], pb[i])
	}
	out := append([]int{}, batch...)
	if len(a.Shape) > 1 {
		out = append(out, m)
	}
	if len(b.Shape) > 1 {
		out = append(out, n)
	}
	y := New(out...)
	for bi := range NumElements(batch) {
		pos := unravel(bi, batch)
		ia, ib := make([]int, rank), make([]int, rank)
		for d := range rank {
			ia[d] = pos[d] % pa[d]
			ib[d] = pos[d] % pb[d]
		}
		offA, offB := ravel(ia, pa)*m*k, ravel(ib, pb)*k*n
		for i := range m {
			for j := range n {
				var s float64
				for kk := range k {
					s += float64(a.F[offA+i*k+kk]) * float64(b.F[offB+kk*n+j])
				}
				y.F[bi*m*n+i*n+j] = float32(s)
			}
		}
	}
	return y
}

func TestMatMulBroadcasting(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	cases := [][2][]int{
		{{3, 4}, {4, 5}},
		{{4}, {4, 5}},
		{{3, 4}, {4}},
		{{4}, {4}},
		{{2, 3, 4}, {4, 5}},       // folded into one product
		{{2, 3, 4}, {2, 4, 5}},    // batched
		{{1, 3, 4}, {2, 4, 5}},    // A broadcast
		{{2, 1, 3, 4}, {3, 4, 6}}, // both broadcast
		{{5, 4}, {2, 3, 4, 7}},
		{{2, 3, 4}, {4}},
		{{4}, {3, 4, 2}},
		{{64, 100, 33}, {33, 20}},
	}
	for _, c := range cases {
		a, b := randTensor(r, c[0]...), randTensor(r, c[1]...)
		want := naiveMatMul(a, b)
		for _, threads := range []int{1, 2} {
			got, err := matMulKernel(&execContext{Threads: threads}, &Node{Name: "mm", Op: "MatMul"}, []*Tensor{a, b})
			if err != nil {
				t.Fatalf("%v x %v: %v", c[0], c[1], err)
			}
			if fmt.Sprint(got[0].Shape) != fmt.Sprint(want.Shape) {
				t.Fatalf("%v x %v: shape %v, want %v", c[0], c[1], got[0].Shape, want.Shape)
			}
			assertClose(t, fmt.Sprintf("%v x %v", c[0], c[1]), got[0].F, want.F, 1e-4)
		}
	}
	if _, err := matMulKernel(&execContext{Threads: 1}, &Node{Name: "mm", Op: "MatMul"}, []*Tensor{New(2, 3), New(4, 5)}); err == nil {
		t.Fatal("inner dimension mismatch accepted")
	}
	if _, err := matMulKernel(&execContext{Threads: 1}, &Node{Name: "mm", Op: "MatMul"}, []*Tensor{New(2, 2, 3), New(3, 3, 5)}); err == nil {
		t.Fatal("non-broadcastable batches accepted")
	}
}

func TestGemmBiasBroadcastAndTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	m, n, k := 5, 7, 9
	for _, cShape := range [][]int{nil, {}, {1}, {n}, {1, n}, {m, 1}, {m, n}} {
		for _, tr := range [][2]bool{{false, false}, {true, true}, {false, true}} {
			aShape, bShape := []int{m, k}, []int{k, n}
			if tr[0] {
				aShape = []int{k, m}
			}
			if tr[1] {
				bShape = []int{n, k}
			}
			a, b := randTensor(r, aShape...), randTensor(r, bShape...)
			var c *Tensor
			if cShape != nil {
				c = randTensor(r, cShape...)
			}
			node := &Node{Name: "g", Op: "Gemm", Attrs: Attrs{"alpha": float32(0.5), "beta": float32(2)}}
			if tr[0] {
				node.Attrs["transA"] = int64(1)
			}
			if tr[1] {
				node.Attrs["transB"] = int64(1)
			}
			got, err := gemmKernel(&execContext{Threads: 2}, node, []*Tensor{a, b, c})
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, m*n)
			for i := range m {
				for j := range n {
					var s float64
					for kk := range k {
						av, bv := a.F[i*k+kk], b.F[kk*n+j]
						if tr[0] {
							av = a.F[kk*m+i]
						}
						if tr[1] {
							bv = b.F[j*k+kk]
						}
						s += float64(av) * float64(bv)
					}
					v := 0.5 * s
					if c != nil {
						ci, cj := i, j
						cs := append(make([]int, 2-min(2, len(cShape))), cShape...)
						if cs[0] <= 1 {
							ci = 0
						}
						if cs[1] <= 1 {
							cj = 0
						}
						v += 2 * float64(c.F[ci*max(cs[1], 1)+cj])
					}
					want[i*n+j] = float32(v)
				}
			}
			assertClose(t, fmt.Sprintf("C %v trans %v", cShape, tr), got[0].F, want, 1e-4)
		}
	}
	if _, err := gemmKernel(&execContext{Threads: 1}, &Node{Name: "g", Op: "Gemm"}, []*Tensor{New(2, 3), New(3, 4), New(3)}); err == nil {
		t.Fatal("C of shape [3] accepted for a 2×4 output")
	}
}

func TestMACsAndFanout(t *testing.T) {
	conv := &Node{Name: "c", Op: "Conv", Attrs: Attrs{"pads": []int64{1, 1, 1, 1}}}
	// 2 images, 3→4 channels, 3×3 kernel, 5×5 output: 2·4·25 outputs × 27.
	if got := MACs(conv, [][]int{{2, 3, 5, 5}, {4, 3, 3, 3}}, [][]int{{2, 4, 5, 5}}); got != 2*4*25*27 {
		t.Fatalf("Conv MACs %d, want %d", got, 2*4*25*27)
	}
	gemm := &Node{Name: "g", Op: "Gemm", Attrs: Attrs{"transB": int64(1)}}
	if got := MACs(gemm, [][]int{{8, 784}, {10, 784}}, [][]int{{8, 10}}); got != 8*10*784 {
		t.Fatalf("Gemm MACs %d", got)
	}
	mm := &Node{Name: "m", Op: "MatMul"}
	if got := MACs(mm, [][]int{{2, 3, 4}, {4, 5}}, [][]int{{2, 3, 5}}); got != 2*3*5*4 {
		t.Fatalf("MatMul MACs %d", got)
	}
	ct := &Node{Name: "t", Op: "ConvTranspose"}
	if got := MACs(ct, [][]int{{1, 2, 3, 3}, {2, 4, 2, 2}}, [][]int{{1, 4, 4, 4}}); got != 18*16 {
		t.Fatalf("ConvTranspose MACs %d", got)
	}
	if got := MACs(&Node{Op: "Relu"}, [][]int{{4}}, [][]int{{4}}); got != 0 {
		t.Fatalf("Relu MACs %d", got)
	}
	// Without padding, fan-out summed over the input equals the MACs;
	// with it, MACs also count the products with padding zeros.
	valid := &Node{Name: "v", Op: "Conv"}
	in, w, out := []int{2, 3, 5, 5}, []int{4, 3, 3, 3}, []int{2, 4, 3, 3}
	var sum int64
	for _, v := range Fanout(valid, 0, [][]int{in, w}, [][]int{out}) {
		sum += v
	}
	if want := MACs(valid, [][]int{in, w}, [][]int{out}); sum != want {
		t.Fatalf("fan-out sums to %d, MACs %d", sum, want)
	}
	// A corner pixel of a padded 3×3 convolution reaches 2×2 output
	// positions, a central one 3×3, each for 4 output channels.
	out = []int{2, 4, 5, 5}
	f := Fanout(conv, 0, [][]int{in, w}, [][]int{out})
	if f[0] != 4*4 || f[12] != 4*9 {
		t.Fatalf("corner fan-out %d (want 16), centre %d (want 36)", f[0], f[12])
	}
	g := Fanout(gemm, 0, [][]int{{8, 784}, {10, 784}}, [][]int{{8, 10}})
	if len(g) != 8*784 || g[5] != 10 {
		t.Fatalf("Gemm fan-out %d values, [5] = %d", len(g), g[5])
	}
	// A strided depthwise convolution: check against brute-force counting.
	dw := &Node{Name: "d", Op: "Conv", Attrs: Attrs{"group": int64(3), "strides": []int64{2, 2}, "pads": []int64{1, 0, 1, 0}}}
	in, w, out = []int{1, 3, 6, 5}, []int{3, 1, 3, 3}, []int{1, 3, 3, 2}
	f = Fanout(dw, 0, [][]int{in, w}, [][]int{out})
	count := make([]int64, 30)
	for oy := range 3 {
		for ox := range 2 {
			for ky := range 3 {
				for kx := range 3 {
					iy, ix := oy*2+ky-1, ox*2+kx
					if iy >= 0 && iy < 6 && ix < 5 {
						count[iy*5+ix]++
					}
				}
			}
		}
	}
	for i := range 30 {
		if f[30+i] != count[i] {
			t.Fatalf("depthwise fan-out of pixel %d = %d, want %d", i, f[30+i], count[i])
		}
	}
}
