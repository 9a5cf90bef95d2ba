package layers

import (
	"fmt"
	"math"
	"slices"
)

type reduceKind int

const (
	redSum reduceKind = iota
	redMean
	redMax
	redMin
	redProd
	redL1
	redL2
	redSumSquare
	redLogSum
	redLogSumExp
)

// reduceKernel implements the ReduceX operators: "axes" (attribute, or
// input 1 in the opset 18 form), keepdims (default 1) and
// noop_with_empty_axes (default 0).
func reduceKernel(kind reduceKind) kernelFunc {
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needInputs(n, in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		r := len(x.Shape)
		axes64, _ := axesOf(n, in, 1)
		keep := n.Attrs.Int("keepdims", 1) != 0
		if len(axes64) == 0 {
			if n.Attrs.Int("noop_with_empty_axes", 0) != 0 {
				return []*Tensor{view(x, slices.Clone(x.Shape))}, nil
			}
			for i := 0; i < r; i++ {
				axes64 = append(axes64, int64(i))
			}
		}
		axes, err := sortedAxes(axes64, r)
		if err != nil {
			return nil, err
		}
		var shape []int
		for i, d := range x.Shape {
			switch {
			case !slices.Contains(axes, i):
				shape = append(shape, d)
			case keep:
				shape = append(shape, 1)
			}
		}
		if shape == nil {
			shape = []int{}
		}
		src, outer, red, inner := reduceLayout(ec, x, axes)
		if x.DType == Int64 {
			out, err := reduceInts(ec, kind, src.I, outer, red, inner, shape)
			if err != nil {
				return nil, err
			}
			return []*Tensor{out}, nil
		}
		out := ec.newFloat(shape)
		ec.par(outer, outer*red*inner, func(lo, hi int) {
			acc := make([]float64, inner)
			aux := make([]float64, inner)
			for o := lo; o < hi; o++ {
				reduceFloats(kind, src.F[o*red*inner:(o+1)*red*inner], red, acc, aux)
				dst := out.F[o*inner : (o+1)*inner]
				for i, v := range acc {
					dst[i] = float32(v)
				}
			}
		})
		return []*Tensor{out}, nil
	}
}

// reduceLayout views x as [outer, red, inner] with the reduced axes in the
// middle, transposing first when they are not adjacent.
func reduceLayout(ec *execContext, x *Tensor, axes []int) (src *Tensor, outer, red, inner int) {
	contiguous := len(axes) == 0 || axes[len(axes)-1]-axes[0] == len(axes)-1
	if !contiguous {
		var perm []int64
		for i := range x.Shape {
			if !slices.Contains(axes, i) {
				perm = append(perm, int64(i))
			}
		}
		kept := len(perm)
		for _, a := range axes {
			perm = append(perm, int64(a))
		}
		t := transposeTensor(ec, x, perm)
		return t, NumElements(t.Shape[:kept]), NumElements(t.Shape[kept:]), 1
	}
	if len(axes) == 0 {
		return x, x.Len(), 1, 1
	}
	a, b := axes[0], axes[len(axes)-1]+1
	return x, NumElements(x.Shape[:a]), NumElements(x.Shape[a:b]), NumElements(x.Shape[b:])
}

// reduceFloats reduces x = [red, inner] over its first axis into acc.
func reduceFloats(kind reduceKind, x []float32, red int, acc, aux []float64) {
	inner := len(acc)
	init := 0.0
	switch kind {
	case redMax, redLogSumExp:
		init = math.Inf(-1)
	case redMin:
		init = math.Inf(1)
	case redProd:
		init = 1
	}
	for i := range acc {
		acc[i] = init
	}
	for r := 0; r < red; r++ {
		row := x[r*inner : (r+1)*inner]
		switch kind {
		case redSum, redMean, redLogSum:
			for i, v := range row {
				acc[i] += float64(v)
			}
		case redMax, redLogSumExp:
			for i, v := range row {
				if f := float64(v); f > acc[i] || f != f {
					acc[i] = f
				}
			}
		case redMin:
			for i, v := range row {
				if f := float64(v); f < acc[i] || f != f {
					acc[i] = f
				}
			}
		case redProd:
			for i, v := range row {
				acc[i] *= float64(v)
			}
		case redL1:
			for i, v := range row {
				acc[i] += math.Abs(float64(v))
			}
		case redL2, redSumSquare:
			for i, v := range row {
				acc[i] += float64(v) * float64(v)
			}
		}
	}
	switch kind {
	case redMean:
		for i := range acc {
			acc[i] /= float64(red)
		}
	case redL2:
		for i := range acc {
			acc[i] = math.Sqrt(acc[i])
		}
	case redLogSum:
		for i := range acc {
			acc[i] = math.Log(acc[i])
		}
	case redLogSumExp:
		// acc holds the maxima; a second pass sums exp(x - max) stably.
		for i := range aux {
			aux[i] = 0
		}
		for r := 0; r < red; r++ {
			row := x[r*inner : (r+1)*inner]
			for i, v := range row {
				aux[i] += math.Exp(float64(v) - acc[i])
			}
		}
		for i := range acc {
			if math.IsInf(acc[i], -1) {
				continue
			}
			acc[i] += math.Log(aux[i])
		}
	}
}

func reduceInts(ec *execContext, kind reduceKind, x []int64, outer, red, inner int, shape []int) (*Tensor, error) {
	out := ec.newInt(shape)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var acc int64
			switch kind {
			case redMax:
				acc = math.MinInt64
			case redMin:
				acc = math.MaxInt64
			case redProd:
				acc = 1
			}
			for r := 0; r < red; r++ {
				v := x[(o*red+r)*inner+i]
				switch kind {
				case redSum, redMean:
					acc += v
				case redMax:
					acc = max(acc, v)
				case redMin:
					acc = min(acc, v)
				case redProd:
					acc *= v
				case redL1:
					acc += absI(v)
				case redSumSquare:
					acc += v * v
				default:
					return nil, fmt.Errorf("not defined for int64 input")
				}
			}
			if kind == redMean && red > 0 {
				acc /= int64(red)
			}
			out.I[o*inner+i] = acc
		}
	}
	return out, nil
}

// argKernel implements ArgMax (max=true) and ArgMin.
func argKernel(isMax bool) kernelFunc {
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needInputs(n, in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if len(x.Shape) == 0 {
			return nil, fmt.Errorf("input must have rank >= 1")
		}
		axis, err := normAxis(n.Attrs.Int("axis", 0), len(x.Shape))
		if err != nil {
			return nil, err
		}
		last := n.Attrs.Int("select_last_index", 0) != 0
		shape := slices.Clone(x.Shape)
		if n.Attrs.Int("keepdims", 1) != 0 {
			shape[axis] = 1
		} else {
			shape = slices.Delete(shape, axis, axis+1)
		}
		dim := x.Shape[axis]
		if dim == 0 {
			return nil, fmt.Errorf("axis %d is empty", axis)
		}
		outer, inner := NumElements(x.Shape[:axis]), NumElements(x.Shape[axis+1:])
		vals := x.F
		if x.DType == Int64 {
			vals = nil
		}
		at := func(k int) float64 {
			if vals != nil {
				return float64(vals[k])
			}
			return float64(x.I[k])
		}
		out := ec.newInt(shape)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*dim*inner + i
				best, bi := at(base), 0
				for k := 1; k < dim; k++ {
					v := at(base + k*inner)
					better := v > best
					if !isMax {
						better = v < best
					}
					if better || (last && v == best) {
						best, bi = v, k
					}
				}
				out.I[o*inner+i] = int64(bi)
			}
		}
		return []*Tensor{out}, nil
	}
}

type softmaxKind int

const (
	smSoftmax softmaxKind = iota
	smLogSoftmax
	smHardmax
)

// softmaxKernel implements Softmax, LogSoftmax and Hardmax along "axis".
// Nodes from opsets before 13 carry "legacy"=1: the input is then treated
// as 2-D, flattened at axis (default 1).
func softmaxKernel(kind softmaxKind) kernelFunc {
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needFloat(n, in, 0); err != nil {
			return nil, err
		}
		x := in[0]
		r := len(x.Shape)
		if r == 0 {
			return nil, fmt.Errorf("input must have rank >= 1")
		}
		legacy := n.Attrs.Int("legacy", 0) != 0
		def := int64(-1)
		if legacy {
			def = 1
		}
		axis, err := normAxis(n.Attrs.Int("axis", def), r)
		if err != nil {
			return nil, err
		}
		outer, dim, inner := NumElements(x.Shape[:axis]), x.Shape[axis], NumElements(x.Shape[axis+1:])
		if legacy {
			dim, inner = dim*inner, 1
		}
		out := ec.newFloat(x.Shape)
		ec.par(outer, x.Len()*4, func(lo, hi int) {
			buf := make([]float32, dim)
			for o := lo; o < hi; o++ {
				for i := 0; i < inner; i++ {
					base := o*dim*inner + i
					softmaxLine(kind, x.F, out.F, base, inner, buf)
				}
			}
		})
		return []*Tensor{out}, nil
	}
}

// softmaxLine computes one line of len(buf) elements, stride apart.
func softmaxLine(kind softmaxKind, x, y []float32, base, stride int, buf []float32) {
	m := float32(math.Inf(-1))
	arg := 0
	for k := range buf {
		v := x[base+k*stride]
		buf[k] = v
		if v > m {
			m, arg = v, k
		}
	}
	if kind == smHardmax {
		for k := range buf {
			y[base+k*stride] = 0
		}
		if len(buf) > 0 {
			y[base+arg*stride] = 1
		}
		return
	}
	sum := 0.0
	for k, v := range buf {
		e := exp32(v - m)
		sum += float64(e)
		if kind == smSoftmax {
			buf[k] = e
		}
	}
	if kind == smSoftmax {
		inv := float32(1 / sum)
		for k, e := range buf {
			y[base+k*stride] = e * inv
		}
		return
	}
	ls := float32(math.Log(sum)) + m
	for k, v := range buf {
		y[base+k*stride] = v - ls
	}
}
