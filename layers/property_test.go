package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Randomised checks of the data-movement and reduction kernels against
// definitions written with explicit multi-indices.

func unravelIdx(k int, shape []int) []int {
	idx := make([]int, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		idx[i] = k % shape[i]
		k /= shape[i]
	}
	return idx
}

func ravelIdx(idx, shape []int) int {
	k := 0
	for i := range shape {
		k = k*shape[i] + idx[i]
	}
	return k
}

func randShape(r *rand.Rand, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + r.IntN(4)
	}
	return s
}

func TestTransposeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 52; trial++ {
		rank := 1 + r.IntN(5)
		x := engRand(r, randShape(r, rank)...)
		perm := make([]int64, rank)
		for i, p := range r.Perm(rank) {
			perm[i] = int64(p)
		}
		if trial >= 50 { // large enough for the parallel path
			x, perm = engRand(r, 8, 40, 30, 20), []int64{0, 2, 3, 1}
			if trial == 51 {
				perm = []int64{3, 1, 0, 2}
			}
			rank = 4
		}
		got := evalOp(t, "Transpose", Attrs{"perm": perm}, 1, x)[0]
		for k, v := range got.F {
			oi := unravelIdx(k, got.Shape)
			ii := make([]int, rank)
			for i, p := range perm {
				ii[p] = oi[i]
			}
			if x.F[ravelIdx(ii, x.Shape)] != v {
				t.Fatalf("perm %v shape %v: element %d wrong", perm, x.Shape, k)
			}
		}
	}
}

func TestSliceRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for trial := 0; trial < 200; trial++ {
		rank := 1 + r.IntN(4)
		x := engRand(r, randShape(r, rank)...)
		ax := int64(r.IntN(rank))
		dim := int64(x.Shape[ax])
		start, end := int64(r.IntN(11)-5), int64(r.IntN(11)-5)
		step := int64(r.IntN(5) - 2)
		if step == 0 {
			step = 1
		}
		// Reference: Python-style slice semantics on one axis.
		var picks []int64
		norm := func(v int64, lo, hi int64) int64 {
			if v < 0 {
				v += dim
			}
			return min(max(v, lo), hi)
		}
		if step > 0 {
			for i := norm(start, 0, dim); i < norm(end, 0, dim); i += step {
				picks = append(picks, i)
			}
		} else {
			for i := norm(start, 0, dim-1); i > norm(end, -1, dim-1); i += step {
				picks = append(picks, i)
			}
		}
		got := evalOp(t, "Slice", nil, 1, x, i64(dims(1), start), i64(dims(1), end), i64(dims(1), ax-int64(rank)*int64(r.IntN(2))), i64(dims(1), step))[0]
		want := slices.Clone(x.Shape)
		want[ax] = len(picks)
		if fmt.Sprint(got.Shape) != fmt.Sprint(want) {
			t.Fatalf("shape %v axis %d [%d:%d:%d]: got shape %v, want %v", x.Shape, ax, start, end, step, got.Shape, want)
		}
		for k, v := range got.F {
			idx := unravelIdx(k, got.Shape)
			idx[ax] = int(picks[idx[ax]])
			if x.F[ravelIdx(idx, x.Shape)] != v {
				t.Fatalf("shape %v axis %d [%d:%d:%d]: element %d wrong", x.Shape, ax, start, end, step, k)
			}
		}
	}
}

func TestReduceRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for trial := 0; trial < 100; trial++ {
		rank := 1 + r.IntN(4)
		x := engRand(r, randShape(r, rank)...)
		var axes []int64
		for i := 0; i < rank; i++ {
			if r.IntN(2) == 0 {
				axes = append(axes, int64(i))
			}
		}
		if len(axes) == 0 {
			axes = []int64{int64(r.IntN(rank))}
		}
		got := evalOp(t, "ReduceSum", Attrs{"axes": axes}, 1, x)[0]
		gotMax := evalOp(t, "ReduceMax", Attrs{"axes": axes}, 1, x)[0]
		want := make([]float64, got.Len())
		wantMax := make([]float64, got.Len())
		for i := range wantMax {
			wantMax[i] = math.Inf(-1)
		}
		for k, v := range x.F {
			idx := unravelIdx(k, x.Shape)
			for _, a := range axes {
				idx[a] = 0
			}
			o := ravelIdx(idx, got.Shape)
			want[o] += float64(v)
			wantMax[o] = max(wantMax[o], float64(v))
		}
		for i := range want {
			if math.Abs(float64(got.F[i])-want[i]) > 1e-5 || float64(gotMax.F[i]) != wantMax[i] {
				t.Fatalf("shape %v axes %v: element %d sum %v max %v, want %v %v", x.Shape, axes, i, got.F[i], gotMax.F[i], want[i], wantMax[i])
			}
		}
	}
}

func TestSoftmaxRandomAxes(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for trial := 0; trial < 50; trial++ {
		rank := 1 + r.IntN(4)
		x := engRand(r, randShape(r, rank)...)
		ax := r.IntN(rank)
		got := evalOp(t, "Softmax", Attrs{"axis": int64(ax)}, 1, x)[0]
		for k := range got.F {
			idx := unravelIdx(k, x.Shape)
			var sum float64
			for j := 0; j < x.Shape[ax]; j++ {
				idx2 := slices.Clone(idx)
				idx2[ax] = j
				sum += math.Exp(float64(x.F[ravelIdx(idx2, x.Shape)]))
			}
			want := math.Exp(float64(x.F[k])) / sum
			if math.Abs(float64(got.F[k])-want) > 1e-6 {
				t.Fatalf("shape %v axis %d element %d: %v, want %v", x.Shape, ax, k, got.F[k], want)
			}
		}
	}
}
