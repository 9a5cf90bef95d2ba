package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func seq(shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.F {
		t.F[i] = float32(i + 1)
	}
	return t
}

func runNN(t *testing.T, op string, attrs Attrs, in ...*Tensor) []*Tensor {
	t.Helper()
	n := &Node{Name: "test", Op: op, Attrs: attrs, Outputs: []string{"y"}}
	out, err := nnKernels()[op](&execContext{Threads: 2}, n, in)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

func TestPoolCeilModeAndPadding(t *testing.T) {
	x := seq(1, 1, 4, 4) // 1..16 row-major
	ceil := Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "ceil_mode": int64(1)}
	if got := runNN(t, "MaxPool", ceil, x)[0]; fmt.Sprint(got.Shape, got.F) != "[1 1 2 2] [11 12 15 16]" {
		t.Fatalf("MaxPool ceil_mode: %v %v", got.Shape, got.F)
	}
	if got := runNN(t, "AveragePool", ceil, x)[0]; fmt.Sprint(got.F) != "[6 7.5 12 13.5]" {
		t.Fatalf("AveragePool ceil_mode: %v", got.F)
	}
	floor := Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}}
	if got := runNN(t, "MaxPool", floor, x)[0]; fmt.Sprint(got.Shape, got.F) != "[1 1 1 1] [11]" {
		t.Fatalf("MaxPool floor: %v %v", got.Shape, got.F)
	}
	// pads 1, ceil: 3×3 output; the last window covers input row/col 3 and
	// one padding row/col.
	padded := Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "pads": []int64{1, 1, 1, 1}, "ceil_mode": int64(1)}
	excl := runNN(t, "AveragePool", padded, x)[0]
	padded["count_include_pad"] = int64(1)
	incl := runNN(t, "AveragePool", padded, x)[0]
	if fmt.Sprint(excl.Shape) != "[1 1 3 3]" {
		t.Fatalf("shape %v", excl.Shape)
	}
	// Corner (0,0): x[0..1][0..1] = 1,2,5,6: 14/4 excluding pads, 14/9 including.
	// Corner (2,2): only x[3][3] = 16: 16/1 excluding, 16/4 including
	// (rows 3 and 4, row 4 being padding; row 5 is outside the padded input).
	checks := []struct {
		got, want float32
		what      string
	}{
		{excl.F[0], 14.0 / 4, "exclude pad corner"},
		{incl.F[0], 14.0 / 9, "include pad corner"},
		{excl.F[8], 16, "exclude pad last"},
		{incl.F[8], 4, "include pad last"},
	}
	for _, c := range checks {
		if math.Abs(float64(c.got-c.want)) > 1e-6 {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}

// naivePool2D is max or average pooling by definition on N×C×H×W with
// explicit pads (no ceil_mode), average excluding padding.
func naivePool2D(x *Tensor, k, s, d, pb []int, out []int, isMax bool) *Tensor {
	nc, h, w := x.Shape[0]*x.Shape[1], x.Shape[2], x.Shape[3]
	y := New(x.Shape[0], x.Shape[1], out[0], out[1])
	for p := range nc {
		for oy := range out[0] {
			for ox := range out[1] {
				best, sum, cnt := float32(math.Inf(-1)), float32(0), 0
				for ky := range k[0] {
					for kx := range k[1] {
						iy, ix := oy*s[0]+ky*d[0]-pb[0], ox*s[1]+kx*d[1]-pb[1]
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						v := x.F[(p*h+iy)*w+ix]
						best = max(best, v)
						sum += v
						cnt++
					}
				}
				if isMax {
					y.F[(p*out[0]+oy)*out[1]+ox] = best
				} else {
					y.F[(p*out[0]+oy)*out[1]+ox] = sum / float32(cnt)
				}
			}
		}
	}
	return y
}

func TestPoolMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	x := randTensor(r, 2, 3, 9, 8)
	for _, c := range []struct{ k, s, d, pads []int }{
		{[]int{2, 2}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}},
		{[]int{3, 2}, []int{1, 2}, []int{1, 1}, []int{1, 0, 1, 1}},
		{[]int{3, 3}, []int{2, 1}, []int{2, 2}, []int{2, 1, 1, 2}},
	} {
		out := []int{0, 0}
		for i := range 2 {
			out[i] = (x.Shape[2+i]+c.pads[i]+c.pads[i+2]-((c.k[i]-1)*c.d[i]+1))/c.s[i] + 1
		}
		attrs := Attrs{"kernel_shape": ints64(c.k), "strides": ints64(c.s), "dilations": ints64(c.d), "pads": ints64(c.pads)}
		assertClose(t, fmt.Sprintf("MaxPool %v", c), runNN(t, "MaxPool", attrs, x)[0].F, naivePool2D(x, c.k, c.s, c.d, c.pads, out, true).F, 0)
		assertClose(t, fmt.Sprintf("AveragePool %v", c), runNN(t, "AveragePool", attrs, x)[0].F, naivePool2D(x, c.k, c.s, c.d, c.pads, out, false).F, 1e-6)
	}
}

func TestMaxPoolIndicesAndGlobalPools(t *testing.T) {
	x := seq(2, 2, 3, 4)
	n := &Node{Name: "mp", Op: "MaxPool", Outputs: []string{"y", "idx"}, Attrs: Attrs{"kernel_shape": []int64{2, 2}, "strides": []int64{1, 2}}}
	out, err := maxPoolKernel(&execContext{Threads: 1}, n, []*Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[1].DType != Int64 {
		t.Fatalf("want values and int64 indices, got %v", out)
	}
	for i, v := range out[0].F {
		// Values are 1 + flat index: the index output must point at them.
		if out[1].I[i] != int64(v)-1 {
			t.Fatalf("index %d = %d for value %v", i, out[1].I[i], v)
		}
	}
	gap := runNN(t, "GlobalAveragePool", nil, x)[0]
	gmp := runNN(t, "GlobalMaxPool", nil, x)[0]
	if fmt.Sprint(gap.Shape, gap.F) != "[2 2 1 1] [6.5 18.5 30.5 42.5]" {
		t.Fatalf("GlobalAveragePool %v %v", gap.Shape, gap.F)
	}
	if fmt.Sprint(gmp.F) != "[12 24 36 48]" {
		t.Fatalf("GlobalMaxPool %v", gmp.F)
	}
}

func TestPoolErrors(t *testing.T) {
	ec := &execContext{Threads: 1}
	for _, attrs := range []Attrs{
		{},                              // no kernel_shape
		{"kernel_shape": []int64{5, 5}}, // larger than the input
		{"kernel_shape": []int64{2, 2}, "strides": []int64{0, 1}},
		{"kernel_shape": []int64{2, 2}, "auto_pad": "SOMETIMES"},
	} {
		if _, err := maxPoolKernel(ec, &Node{Name: "p", Op: "MaxPool", Attrs: attrs}, []*Tensor{New(1, 1, 3, 3)}); err == nil {
			t.Errorf("attrs %v accepted", attrs)
		}
	}
}

func TestMaxIntoMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 100} {
		x, y := randSlice(r, n), randSlice(r, n)
		y2 := append([]float32(nil), y...)
		maxInto(x, y)
		maxIntoGo(x, y2)
		assertClose(t, fmt.Sprintf("maxInto %d", n), y, y2, 0)
	}
}

// TestPool2x2RowMatchesGo checks the vector 2×2 pooling rows against the
// scalar loops, bit for bit, on lengths around the 8-output blocks.
func TestPool2x2RowMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 7, 8, 9, 14, 16, 17, 40} {
		r0, r1 := make([]float32, 2*n+1), make([]float32, 2*n+1)
		for i := range r0 {
			r0[i], r1[i] = r.Float32()*4-2, r.Float32()*4-2
		}
		for _, isMax := range []bool{true, false} {
			got, want := make([]float32, n), make([]float32, n)
			pool2x2Row(got, r0, r1, isMax)
			pool2x2RowGo(want, r0, r1, isMax)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d max=%v: output %d is %v, want %v", n, isMax, i, got[i], want[i])
				}
			}
		}
	}
}

// TestPoolWideRowsMatchNaive covers rows wide enough for the vector 3-wide,
// stride-2 and 2×2 kernels (8 and 16 outputs inside the row) next to
// border windows.
func TestPoolWideRowsMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, width := range []int{21, 40} {
		x := randTensor(r, 2, 3, 9, width)
		for _, c := range []struct{ k, s, pads []int }{
			{[]int{3, 3}, []int{2, 2}, []int{1, 1, 1, 1}},
			{[]int{3, 3}, []int{2, 2}, []int{0, 0, 0, 0}},
			{[]int{1, 3}, []int{1, 2}, []int{0, 1, 0, 0}},
			{[]int{2, 2}, []int{2, 2}, []int{0, 0, 0, 0}},
		} {
			d := []int{1, 1}
			out := []int{0, 0}
			for i := range 2 {
				out[i] = (x.Shape[2+i]+c.pads[i]+c.pads[i+2]-c.k[i])/c.s[i] + 1
			}
			attrs := Attrs{"kernel_shape": ints64(c.k), "strides": ints64(c.s), "pads": ints64(c.pads)}
			what := fmt.Sprintf("width %d %v", width, c)
			assertClose(t, "MaxPool "+what, runNN(t, "MaxPool", attrs, x)[0].F, naivePool2D(x, c.k, c.s, d, c.pads, out, true).F, 0)
			assertClose(t, "AveragePool "+what, runNN(t, "AveragePool", attrs, x)[0].F, naivePool2D(x, c.k, c.s, d, c.pads, out, false).F, 1e-6)
		}
	}
}

// TestPool3s2MatchesNaive checks the 3-wide, stride-2 path (whole-plane
// AVX-512 kernel and per-row AVX2 kernels) against pooling by definition
// over widths around the vector lengths, with padding, ceil mode and both
// average divisors.
func TestPool3s2MatchesNaive(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("pool3s2 is the vector path (AVX2 or AVX-512)")
	}
	r := rand.New(rand.NewPCG(23, 24))
	for _, h := range []int{1, 3, 7, 8} {
		for w := 1; w <= 40; w++ {
			x := randTensor(r, 1, 2, h, w)
			for _, kh := range []int{1, 2, 3} {
				for _, sy := range []int{1, 2} {
					for _, pads := range [][4]int{{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 1, 1}, {1, 0, 0, 2}} {
						for _, ceil := range []bool{false, true} {
							for _, incl := range []bool{false, true} {
								for _, isMax := range []bool{false, true} {
									checkPool3s2(t, x, kh, sy, pads, ceil, incl, isMax)
								}
							}
						}
					}
				}
			}
		}
	}
}

func checkPool3s2(t *testing.T, x *Tensor, kh, sy int, pads [4]int, ceil, incl, isMax bool) {
	t.Helper()
	h, w := x.Shape[2], x.Shape[3]
	k, s := [2]int{kh, 3}, [2]int{sy, 2}
	in := [2]int{h, w}
	var out [2]int
	for i := range 2 {
		span := in[i] + pads[i] + pads[i+2] - k[i]
		if span < 0 {
			return
		}
		out[i] = span/s[i] + 1
		if ceil && span%s[i] != 0 {
			out[i]++
			// ONNX drops a last window that starts in the end padding.
			if (out[i]-1)*s[i] >= in[i]+pads[i] {
				out[i]--
			}
		}
	}
	want := New(1, 2, out[0], out[1])
	for p := range 2 {
		for oy := range out[0] {
			for ox := range out[1] {
				best, sum, cnt, padded := float32(math.Inf(-1)), float32(0), 0, 0
				for ky := range k[0] {
					for kx := range k[1] {
						iy, ix := oy*s[0]+ky-pads[0], ox*s[1]+kx-pads[1]
						if iy < in[0]+pads[2] && ix < in[1]+pads[3] {
							padded++
						}
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						v := x.F[(p*h+iy)*w+ix]
						best = max(best, v)
						sum += v
						cnt++
					}
				}
				if incl {
					cnt = padded
				}
				v := best
				if !isMax {
					v = 0
					if cnt > 0 {
						v = sum / float32(cnt)
					}
				}
				want.F[(p*out[0]+oy)*out[1]+ox] = v
			}
		}
	}
	ay := newAxisWindows(h, out[0], kh, sy, 1, pads[0], pads[2])
	ax := newAxisWindows(w, out[1], 3, 2, 1, pads[1], pads[3])
	for _, whole := range []bool{false, true} {
		y := New(1, 2, out[0], out[1])
		fill(y.F, float32(math.NaN()))
		ec := &execContext{Threads: 1}
		plan := &poolPlan{ay: ay, ax: ax}
		plan.tables3s2(h, w, out[0], out[1], sy, pads[0], pads[1], isMax, incl)
		pool3s2(ec, plan, x.F, y.F, 2, h, w, out[0], out[1], pads[1], isMax, incl, whole)
		what := fmt.Sprintf("%dx%d k%d sy%d pads %v ceil %v incl %v max %v whole %v", h, w, kh, sy, pads, ceil, incl, isMax, whole)
		tol := 1e-6
		if isMax {
			tol = 0
		}
		assertClose(t, what, y.F, want.F, tol)
	}
}
