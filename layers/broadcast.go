package layers

import (
	"fmt"
	"slices"
)

// bcastShape returns the numpy broadcast of shapes.
func bcastShape(shapes ...[]int) ([]int, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := r - len(s)
		for i, d := range s {
			switch o := out[off+i]; {
			case d == o, d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v cannot be broadcast together", shapes)
			}
		}
	}
	return out, nil
}

// bcastStrides returns the element strides of a row-major array of shape
// viewed as the broadcast shape out: 0 on every broadcast dimension.
func bcastStrides(shape, out []int) []int {
	st := make([]int, len(out))
	acc := 1
	off := len(out) - len(shape)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 || out[off+i] == 1 {
			st[off+i] = acc
		}
		acc *= shape[i]
	}
	return st
}

// dimAt returns dimension i of shape right-aligned to rank r (1 when absent).
func dimAt(shape []int, r, i int) int {
	j := i - (r - len(shape))
	if j < 0 {
		return 1
	}
	return shape[j]
}

// binPlan is a two-operand broadcast with adjacent dimensions of the same
// broadcast pattern merged, so that the innermost loop runs over the longest
// possible contiguous (or constant) row: channel-wise bias over NCHW becomes
// [N, C, H·W] with the bias constant along each row.
type binPlan struct {
	out    []int
	n      int
	dims   []int
	sa, sb []int
}

func newBinPlan(as, bs []int) (binPlan, error) {
	out, err := bcastShape(as, bs)
	if err != nil {
		return binPlan{}, err
	}
	p := binPlan{out: out, n: NumElements(out)}
	r := len(out)
	var fa, fb []bool
	for i, d := range out {
		if d == 1 {
			continue
		}
		a, b := dimAt(as, r, i) == d, dimAt(bs, r, i) == d
		if k := len(p.dims) - 1; k >= 0 && fa[k] == a && fb[k] == b {
			p.dims[k] *= d
			continue
		}
		p.dims = append(p.dims, d)
		fa = append(fa, a)
		fb = append(fb, b)
	}
	if len(p.dims) == 0 {
		p.dims, fa, fb = []int{1}, []bool{true}, []bool{true}
	}
	p.sa = make([]int, len(p.dims))
	p.sb = make([]int, len(p.dims))
	accA, accB := 1, 1
	for i := len(p.dims) - 1; i >= 0; i-- {
		if fa[i] {
			p.sa[i] = accA
			accA *= p.dims[i]
		}
		if fb[i] {
			p.sb[i] = accB
			accB *= p.dims[i]
		}
	}
	return p, nil
}

// binRow computes one output row: d[i] = op(a[i*sa], b[i*sb]) with sa and
// sb each 0 (a constant operand, slice of length >= 1) or 1.
type binRow[T, R any] func(d []R, a []T, sa int, b []T, sb int)

// binRun evaluates the plan row by row, in parallel when large.
func binRun[T, R any](ec *execContext, p *binPlan, dst []R, a, b []T, row binRow[T, R]) {
	if p.n == 0 {
		return
	}
	k := len(p.dims)
	L := p.dims[k-1]
	isa, isb := p.sa[k-1], p.sb[k-1]
	outer := p.n / L
	// Small products run here without building the closures that a
	// parallel split needs (each is an allocation, which at batch 1 costs
	// as much as the arithmetic).
	serial := ec == nil || ec.Threads == 1 || p.n < parallelThreshold
	if outer == 1 {
		if serial {
			row(dst, binPart(a, 0, 0, L, isa), isa, binPart(b, 0, 0, L, isb), isb)
			return
		}
		ec.par(L, L, func(lo, hi int) {
			row(dst[lo:hi], binPart(a, 0, lo, hi, isa), isa, binPart(b, 0, lo, hi, isb), isb)
		})
		return
	}
	if serial {
		binRows(p, dst, a, b, row, 0, outer)
		return
	}
	ec.par(outer, p.n, func(lo, hi int) { binRows(p, dst, a, b, row, lo, hi) })
}

// binPart is the operand slice of a row segment [lo, hi) at offset off:
// the single element itself when the operand is constant along the row
// (stride 0).
func binPart[T any](s []T, off, lo, hi, st int) []T {
	if st == 0 {
		return s[off : off+1]
	}
	return s[off+lo : off+hi]
}

// binRows computes output rows [lo, hi) of the plan.
func binRows[T, R any](p *binPlan, dst []R, a, b []T, row binRow[T, R], lo, hi int) {
	k := len(p.dims)
	L := p.dims[k-1]
	isa, isb := p.sa[k-1], p.sb[k-1]
	dims := p.dims[:k-1]
	{
		var idxBuf [8]int
		idx := idxBuf[:0]
		if len(dims) <= len(idxBuf) {
			idx = idxBuf[:len(dims)]
		} else {
			idx = make([]int, len(dims))
		}
		offA, offB := 0, 0
		rem := lo
		for j := len(dims) - 1; j >= 0; j-- {
			idx[j] = rem % dims[j]
			rem /= dims[j]
			offA += idx[j] * p.sa[j]
			offB += idx[j] * p.sb[j]
		}
		for o := lo; o < hi; o++ {
			row(dst[o*L:(o+1)*L], binPart(a, offA, 0, L, isa), isa, binPart(b, offB, 0, L, isb), isb)
			for j := len(dims) - 1; j >= 0; j-- {
				idx[j]++
				offA += p.sa[j]
				offB += p.sb[j]
				if idx[j] < dims[j] {
					break
				}
				offA -= p.sa[j] * dims[j]
				offB -= p.sb[j] * dims[j]
				idx[j] = 0
			}
		}
	}
}

// elemRow lifts an element function to a row (an indirect call per
// element: for the less frequent operators).
func elemRow[T, R any](f func(T, T) R) binRow[T, R] {
	return func(d []R, a []T, sa int, b []T, sb int) {
		for i := range d {
			d[i] = f(a[i*sa], b[i*sb])
		}
	}
}

// bcastTo writes src (of shape srcShape) broadcast to shape out into dst.
func bcastTo[T any](src []T, srcShape, out []int, dst []T) {
	n := NumElements(out)
	if n == 0 {
		return
	}
	r := len(out)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	if slices.Equal(srcShape, out) {
		copy(dst, src)
		return
	}
	st := bcastStrides(srcShape, out)
	L, is := out[r-1], st[r-1]
	idx := make([]int, r-1)
	off := 0
	for o := 0; o < n/L; o++ {
		row := dst[o*L : (o+1)*L]
		if is == 0 {
			v := src[off]
			for i := range row {
				row[i] = v
			}
		} else {
			copy(row, src[off:off+L])
		}
		for j := r - 2; j >= 0; j-- {
			idx[j]++
			off += st[j]
			if idx[j] < out[j] {
				break
			}
			off -= st[j] * out[j]
			idx[j] = 0
		}
	}
}

// expandTensor returns t broadcast to shape out (t itself when already so).
func expandTensor(ec *execContext, t *Tensor, out []int) *Tensor {
	if slices.Equal(t.Shape, out) {
		return t
	}
	r := ec.newLike(t, out)
	if t.DType == Int64 {
		bcastTo(t.I, t.Shape, out, r.I)
	} else {
		bcastTo(t.F, t.Shape, out, r.F)
	}
	return r
}
