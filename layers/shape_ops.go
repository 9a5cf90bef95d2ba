package layers

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// view returns a tensor sharing x's data under another shape; the engine
// tracks such aliases so the memory outlives every reader.
func view(x *Tensor, shape []int) *Tensor {
	return &Tensor{DType: x.DType, Shape: shape, F: x.F, I: x.I}
}

func kIdentity(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	return []*Tensor{view(in[0], slices.Clone(in[0].Shape))}, nil
}

// kDropout is the inference form: the identity, and an all-true mask when
// the second output is requested.
func kDropout(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	out := []*Tensor{view(in[0], slices.Clone(in[0].Shape))}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" {
		mask := ec.newInt(in[0].Shape)
		fillRow(mask.I, 1)
		out = append(out, mask)
	}
	return out, nil
}

func kConstant(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if t := n.Attrs.Tensor("value"); t != nil {
		return []*Tensor{t.Clone()}, nil
	}
	switch v := n.Attrs["value_float"].(type) {
	case float32:
		return []*Tensor{FromFloat32([]float32{v})}, nil
	}
	if v, ok := n.Attrs["value_floats"].([]float32); ok {
		return []*Tensor{FromFloat32(slices.Clone(v), len(v))}, nil
	}
	if v, ok := n.Attrs["value_int"].(int64); ok {
		return []*Tensor{FromInt64([]int64{v})}, nil
	}
	if v, ok := n.Attrs["value_ints"].([]int64); ok {
		return []*Tensor{FromInt64(slices.Clone(v), len(v))}, nil
	}
	return nil, fmt.Errorf("no value attribute")
}

func kShape(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	r := int64(len(in[0].Shape))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	start, end := clamp(n.Attrs.Int("start", 0)), clamp(n.Attrs.Int("end", r))
	out := []int64{}
	for i := start; i < end; i++ {
		out = append(out, int64(in[0].Shape[i]))
	}
	return []*Tensor{FromInt64(out, len(out))}, nil
}

func kSize(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	return []*Tensor{FromInt64([]int64{int64(in[0].Len())})}, nil
}

func kGather(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x, idxT := in[0], in[1]
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("data must have rank >= 1")
	}
	axis, err := normAxis(n.Attrs.Int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	dim := x.Shape[axis]
	idx := slices.Clone(idxT.AsInt64())
	for i, v := range idx {
		if v < 0 {
			v += int64(dim)
		}
		if v < 0 || v >= int64(dim) {
			return nil, fmt.Errorf("index %d out of range for axis %d of size %d", idx[i], axis, dim)
		}
		idx[i] = v
	}
	shape := append(append(slices.Clone(x.Shape[:axis]), idxT.Shape...), x.Shape[axis+1:]...)
	outer, inner := NumElements(x.Shape[:axis]), NumElements(x.Shape[axis+1:])
	out := ec.newLike(x, shape)
	if x.DType == Int64 {
		gatherCopy(x.I, out.I, idx, outer, dim, inner)
	} else {
		gatherCopy(x.F, out.F, idx, outer, dim, inner)
	}
	return []*Tensor{out}, nil
}

func gatherCopy[T any](src, dst []T, idx []int64, outer, dim, inner int) {
	k := 0
	for o := 0; o < outer; o++ {
		for _, j := range idx {
			s := (o*dim + int(j)) * inner
			copy(dst[k:k+inner], src[s:s+inner])
			k += inner
		}
	}
}

func kUnsqueeze(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axes, ok := axesOf(n, in, 1)
	if !ok {
		return nil, fmt.Errorf("missing axes")
	}
	r := len(x.Shape) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		if ins[ax] {
			return nil, fmt.Errorf("axis %d repeated", a)
		}
		ins[ax] = true
	}
	shape := make([]int, 0, r)
	k := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			shape = append(shape, 1)
		} else {
			shape = append(shape, x.Shape[k])
			k++
		}
	}
	return []*Tensor{view(x, shape)}, nil
}

func kSqueeze(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axes, _ := axesOf(n, in, 1)
	drop := make([]bool, len(x.Shape))
	if len(axes) == 0 {
		for i, d := range x.Shape {
			drop[i] = d == 1
		}
	}
	for _, a := range axes {
		ax, err := normAxis(a, len(x.Shape))
		if err != nil {
			return nil, err
		}
		if x.Shape[ax] != 1 {
			return nil, fmt.Errorf("cannot squeeze axis %d of size %d", a, x.Shape[ax])
		}
		drop[ax] = true
	}
	shape := []int{}
	for i, d := range x.Shape {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	return []*Tensor{view(x, shape)}, nil
}

func kFlatten(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	r := len(x.Shape)
	axis := n.Attrs.Int("axis", 1)
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis > int64(r) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", n.Attrs.Int("axis", 1), r)
	}
	return []*Tensor{view(x, []int{NumElements(x.Shape[:axis]), NumElements(x.Shape[axis:])})}, nil
}

func kReshape(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	spec, ok := intsInput(in, 1)
	if !ok {
		if spec, ok = n.Attrs["shape"].([]int64); !ok {
			return nil, fmt.Errorf("missing shape")
		}
	}
	allowZero := n.Attrs.Int("allowzero", 0) != 0
	shape := make([]int, len(spec))
	infer := -1
	known := 1
	for i, d := range spec {
		switch {
		case d == 0 && !allowZero:
			if i >= len(x.Shape) {
				return nil, fmt.Errorf("shape %v copies dimension %d of an input of rank %d", spec, i, len(x.Shape))
			}
			shape[i] = x.Shape[i]
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case d < 0:
			return nil, fmt.Errorf("invalid dimension %d in shape %v", d, spec)
		default:
			shape[i] = int(d)
		}
		known *= shape[i]
	}
	total := x.Len()
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", x.Shape, total, spec)
		}
		shape[infer] = total / known
	} else if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", x.Shape, total, spec)
	}
	return []*Tensor{view(x, shape)}, nil
}

func kConcat(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	var ts []*Tensor
	for _, t := range in {
		if t != nil {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no inputs")
	}
	first := ts[0]
	r := len(first.Shape)
	if r == 0 {
		return nil, fmt.Errorf("cannot concatenate scalars")
	}
	axis, err := normAxis(n.Attrs.Int("axis", 0), r)
	if err != nil {
		return nil, err
	}
	shape := slices.Clone(first.Shape)
	shape[axis] = 0
	for k, t := range ts {
		if t.DType != first.DType {
			return nil, fmt.Errorf("input %d is %v, input 0 is %v", k, t.DType, first.DType)
		}
		if len(t.Shape) != r {
			return nil, fmt.Errorf("input %d has shape %v, input 0 has %v", k, t.Shape, first.Shape)
		}
		for i, d := range t.Shape {
			if i != axis && d != first.Shape[i] {
				return nil, fmt.Errorf("input %d has shape %v, input 0 has %v", k, t.Shape, first.Shape)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	out := ec.newLike(first, shape)
	outer := NumElements(shape[:axis])
	rowOut := NumElements(shape[axis:])
	off := 0
	for _, t := range ts {
		row := NumElements(t.Shape[axis:])
		if first.DType == Int64 {
			concatCopy(t.I, out.I, outer, row, rowOut, off)
		} else {
			concatCopy(t.F, out.F, outer, row, rowOut, off)
		}
		off += row
	}
	return []*Tensor{out}, nil
}

func concatCopy[T any](src, dst []T, outer, row, rowOut, off int) {
	for o := 0; o < outer; o++ {
		copy(dst[o*rowOut+off:o*rowOut+off+row], src[o*row:(o+1)*row])
	}
}

func kSplit(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("cannot split a scalar")
	}
	axis, err := normAxis(n.Attrs.Int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	dim := x.Shape[axis]
	split, ok := intsInput(in, 1)
	if !ok {
		split, ok = n.Attrs["split"].([]int64)
	}
	if !ok || len(split) == 0 {
		parts := int(n.Attrs.Int("num_outputs", int64(len(n.Outputs))))
		if parts <= 0 {
			return nil, fmt.Errorf("no outputs to split into")
		}
		chunk := (dim + parts - 1) / parts
		split = make([]int64, parts)
		left := dim
		for i := range split {
			c := min(chunk, left)
			split[i] = int64(c)
			left -= c
		}
	}
	sum := int64(0)
	for _, s := range split {
		if s < 0 {
			return nil, fmt.Errorf("negative split %v", split)
		}
		sum += s
	}
	if sum != int64(dim) {
		return nil, fmt.Errorf("split %v does not add up to axis %d of size %d", split, axis, dim)
	}
	outer, inner := NumElements(x.Shape[:axis]), NumElements(x.Shape[axis+1:])
	var outs []*Tensor
	off := 0
	for _, s := range split {
		shape := slices.Clone(x.Shape)
		shape[axis] = int(s)
		t := ec.newLike(x, shape)
		row := int(s) * inner
		for o := 0; o < outer; o++ {
			src := o*dim*inner + off*inner
			if x.DType == Int64 {
				copy(t.I[o*row:(o+1)*row], x.I[src:src+row])
			} else {
				copy(t.F[o*row:(o+1)*row], x.F[src:src+row])
			}
		}
		off += int(s)
		outs = append(outs, t)
	}
	return outs, nil
}

func kSlice(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	r := len(x.Shape)
	var starts, ends, axes, steps []int64
	if len(in) >= 3 {
		if in[1] == nil || in[2] == nil {
			return nil, fmt.Errorf("starts and ends are required")
		}
		starts, ends = in[1].AsInt64(), in[2].AsInt64()
		axes, _ = intsInput(in, 3)
		steps, _ = intsInput(in, 4)
	} else {
		var ok bool
		if starts, ok = n.Attrs["starts"].([]int64); !ok {
			return nil, fmt.Errorf("missing starts")
		}
		if ends, ok = n.Attrs["ends"].([]int64); !ok {
			return nil, fmt.Errorf("missing ends")
		}
		axes = n.Attrs.Ints("axes", nil)
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("%d starts but %d ends", len(starts), len(ends))
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if steps == nil {
		steps = make([]int64, len(starts))
		fillRow(steps, 1)
	}
	if len(axes) != len(starts) || len(steps) != len(starts) {
		return nil, fmt.Errorf("starts, ends, axes, steps lengths differ: %d, %d, %d, %d", len(starts), len(ends), len(axes), len(steps))
	}
	start := make([]int, r)
	step := make([]int, r)
	shape := slices.Clone(x.Shape)
	for i := range step {
		step[i] = 1
	}
	seen := make([]bool, r)
	for i, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d repeated", a)
		}
		seen[ax] = true
		dim := int64(x.Shape[ax])
		s, e, st := starts[i], ends[i], steps[i]
		if st == 0 {
			return nil, fmt.Errorf("step 0 on axis %d", a)
		}
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		var cnt int64
		if st > 0 {
			s, e = min(max(s, 0), dim), min(max(e, 0), dim)
			if e > s {
				cnt = (e - s + st - 1) / st
			}
		} else {
			s, e = min(max(s, 0), dim-1), min(max(e, -1), dim-1)
			if s > e {
				cnt = (s - e - st - 1) / -st
			}
		}
		start[ax], step[ax], shape[ax] = int(s), int(st), int(cnt)
	}
	out := ec.newLike(x, shape)
	if x.DType == Int64 {
		stridedCopy(x.I, x.Shape, start, step, shape, out.I)
	} else {
		stridedCopy(x.F, x.Shape, start, step, shape, out.F)
	}
	return []*Tensor{out}, nil
}

// stridedCopy writes dst[idx] = src[start + idx*step] for every index of
// shape (the output shape), src having shape srcShape.
func stridedCopy[T any](src []T, srcShape, start, step, shape []int, dst []T) {
	n := NumElements(shape)
	if n == 0 {
		return
	}
	r := len(shape)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	st := make([]int, r)
	acc := 1
	base := 0
	for i := r - 1; i >= 0; i-- {
		base += start[i] * acc
		st[i] = step[i] * acc
		acc *= srcShape[i]
	}
	stridedRows(src, base, shape, st, dst, 0, n/shape[r-1])
}

func kTranspose(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	r := len(x.Shape)
	perm := n.Attrs.Ints("perm", nil)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v for rank %d", perm, r)
	}
	out := transposeTensor(ec, x, perm)
	return []*Tensor{out}, nil
}

// transposeTensor returns x with its axes permuted (perm already checked).
func transposeTensor(ec *execContext, x *Tensor, perm []int64) *Tensor {
	r := len(x.Shape)
	shape := make([]int, r)
	inStride := make([]int, r)
	acc := 1
	for i := r - 1; i >= 0; i-- {
		inStride[i] = acc
		acc *= x.Shape[i]
	}
	step := make([]int, r)
	for i, p := range perm {
		shape[i] = x.Shape[p]
		step[i] = inStride[p]
	}
	out := ec.newLike(x, shape)
	n := NumElements(shape)
	if n == 0 {
		return out
	}
	if r == 0 {
		copy(out.F, x.F)
		copy(out.I, x.I)
		return out
	}
	rows := n / shape[r-1]
	ec.par(rows, n, func(lo, hi int) {
		if x.DType == Int64 {
			stridedRows(x.I, 0, shape, step, out.I, lo, hi)
		} else {
			stridedRows(x.F, 0, shape, step, out.F, lo, hi)
		}
	})
	return out
}

// stridedRows writes rows [lo, hi) of dst (row-major in shape, a row being
// the last dimension), reading src from offset base with the given
// per-dimension strides. Slice and Transpose both reduce to it.
func stridedRows[T any](src []T, base int, shape, stride []int, dst []T, lo, hi int) {
	r := len(shape)
	L, is := shape[r-1], stride[r-1]
	idx := make([]int, r-1)
	off := base
	rem := lo
	for j := r - 2; j >= 0; j-- {
		idx[j] = rem % shape[j]
		rem /= shape[j]
		off += idx[j] * stride[j]
	}
	for o := lo; o < hi; o++ {
		row := dst[o*L : (o+1)*L]
		if is == 1 {
			copy(row, src[off:off+L])
		} else {
			for i := range row {
				row[i] = src[off+i*is]
			}
		}
		for j := r - 2; j >= 0; j-- {
			idx[j]++
			off += stride[j]
			if idx[j] < shape[j] {
				break
			}
			off -= stride[j] * shape[j]
			idx[j] = 0
		}
	}
}

// shapeInput reads a shape given as an int64 tensor, checking its values.
func shapeInput(t *Tensor) ([]int, error) {
	v := t.AsInt64()
	shape := make([]int, len(v))
	total := int64(1)
	for i, d := range v {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", v)
		}
		if d > 0 && total > maxTensorElements/d {
			return nil, fmt.Errorf("shape %v is too large", v)
		}
		total *= d
		shape[i] = int(d)
	}
	return shape, nil
}

func kExpand(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	want, err := shapeInput(in[1])
	if err != nil {
		return nil, err
	}
	shape, err := bcastShape(in[0].Shape, want)
	if err != nil {
		return nil, err
	}
	if slices.Equal(shape, in[0].Shape) {
		return []*Tensor{view(in[0], shape)}, nil
	}
	return []*Tensor{expandTensor(ec, in[0], shape)}, nil
}

func kTile(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	reps := in[1].AsInt64()
	if len(reps) != len(x.Shape) {
		return nil, fmt.Errorf("%d repeats for rank %d", len(reps), len(x.Shape))
	}
	shape := make([]int, len(reps))
	for i, r := range reps {
		if r < 0 {
			return nil, fmt.Errorf("negative repeat %v", reps)
		}
		shape[i] = x.Shape[i] * int(r)
	}
	out := ec.newLike(x, shape)
	if x.DType == Int64 {
		tileCopy(x.I, x.Shape, shape, out.I)
	} else {
		tileCopy(x.F, x.Shape, shape, out.F)
	}
	return []*Tensor{out}, nil
}

func tileCopy[T any](src []T, srcShape, shape []int, dst []T) {
	n := NumElements(shape)
	r := len(shape)
	if n == 0 {
		return
	}
	if r == 0 {
		dst[0] = src[0]
		return
	}
	st := make([]int, r)
	acc := 1
	for i := r - 1; i >= 0; i-- {
		st[i] = acc
		acc *= srcShape[i]
	}
	idx := make([]int, r)
	for k := 0; k < n; k++ {
		off := 0
		for j := 0; j < r; j++ {
			off += (idx[j] % srcShape[j]) * st[j]
		}
		dst[k] = src[off]
		for j := r - 1; j >= 0; j-- {
			idx[j]++
			if idx[j] < shape[j] {
				break
			}
			idx[j] = 0
		}
	}
}

func kConstantOfShape(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	shape, err := shapeInput(in[0])
	if err != nil {
		return nil, err
	}
	v := n.Attrs.Tensor("value")
	if v == nil {
		return []*Tensor{ec.newZeroFloat(shape)}, nil
	}
	if v.Len() != 1 {
		return nil, fmt.Errorf("value must have one element, has %d", v.Len())
	}
	out := ec.newLike(v, shape)
	if v.DType == Int64 {
		fillRow(out.I, v.I[0])
	} else {
		fillRow(out.F, v.F[0])
	}
	return []*Tensor{out}, nil
}

func kRange(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	for k := 0; k < 3; k++ {
		if in[k].Len() != 1 {
			return nil, fmt.Errorf("input %d must be a scalar, has shape %v", k, in[k].Shape)
		}
	}
	if in[0].DType == Int64 {
		s, l, d := in[0].I[0], in[1].AsInt64()[0], in[2].AsInt64()[0]
		if d == 0 {
			return nil, fmt.Errorf("delta is 0")
		}
		cnt := int64(math.Ceil(float64(l-s) / float64(d)))
		cnt = max(cnt, 0)
		if cnt > 1<<31 {
			return nil, fmt.Errorf("range of %d elements is too large", cnt)
		}
		out := ec.newInt([]int{int(cnt)})
		for i := range out.I {
			out.I[i] = s + int64(i)*d
		}
		return []*Tensor{out}, nil
	}
	s, l, d := in[0].F[0], in[1].AsFloat32()[0], in[2].AsFloat32()[0]
	if d == 0 {
		return nil, fmt.Errorf("delta is 0")
	}
	cnt := max(math.Ceil(float64(l-s)/float64(d)), 0)
	if cnt > 1<<31 {
		return nil, fmt.Errorf("range of %g elements is too large", cnt)
	}
	out := ec.newFloat([]int{int(cnt)})
	for i := range out.F {
		out.F[i] = s + float32(i)*d
	}
	return []*Tensor{out}, nil
}

func kNonZero(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	var nz []int
	for i := 0; i < x.Len(); i++ {
		if (x.DType == Int64 && x.I[i] != 0) || (x.DType == Float32 && x.F[i] != 0) {
			nz = append(nz, i)
		}
	}
	r := len(x.Shape)
	out := ec.newInt([]int{r, len(nz)})
	for k, flat := range nz {
		for j := r - 1; j >= 0; j-- {
			out.I[j*len(nz)+k] = int64(flat % x.Shape[j])
			flat /= x.Shape[j]
		}
	}
	return []*Tensor{out}, nil
}

// sortedAxes normalises axes against rank, sorted and without repeats.
func sortedAxes(axes []int64, rank int) ([]int, error) {
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		ax, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, ax) {
			return nil, fmt.Errorf("axis %d repeated", a)
		}
		out = append(out, ax)
	}
	sort.Ints(out)
	return out, nil
}
