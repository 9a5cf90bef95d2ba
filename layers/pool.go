package layers

import "math"

// Pooling over the spatial dimensions of N×C×spatial tensors.

// poolSetup reads the kernel_shape and resolves the window of a MaxPool or
// AveragePool node.
func poolSetup(ec *execContext, n *Node, in []*Tensor) (*Tensor, *window, error) {
	x, err := floatInput(n, in, 0, "X")
	if err != nil {
		return nil, nil, err
	}
	if len(x.Shape) < 3 {
		return nil, nil, nodeErr(n, "input %v must be N×C×spatial", x.Shape)
	}
	r := len(x.Shape) - 2
	ks := n.Attrs.Ints("kernel_shape", nil)
	if len(ks) != r {
		return nil, nil, nodeErr(n, "kernel_shape %v must have %d values", ks, r)
	}
	var kbuf [6]int
	kernel := kbuf[:0]
	for _, k := range ks {
		kernel = append(kernel, int(k))
	}
	w, err := ec.window(n, x.Shape, kernel, n.Attrs.Int("ceil_mode", 0) != 0)
	if err != nil {
		return nil, nil, err
	}
	return x, w, nil
}

// forEachWindow calls fn for every output position o (flat index) of one
// plane with the flat input indices of the window's positions that lie
// inside the input, and the number of window positions inside the padded
// input (for count_include_pad). idx is reused between calls.
func forEachWindow(w *window, fn func(o int, idx []int, padded int)) {
	r := w.rank()
	outSize, kSize := NumElements(w.out), NumElements(w.kernel)
	idx := make([]int, 0, kSize)
	opos := make([]int, r)
	kpos := make([]int, r)
	for o := range outSize {
		rem := o
		for d := r - 1; d >= 0; d-- {
			opos[d] = rem % w.out[d]
			rem /= w.out[d]
		}
		idx = idx[:0]
		padded := 1
		for d := range r {
			// Window positions inside input plus pads, clipped so that the
			// ceil_mode extra positions do not count.
			cnt := 0
			for k := range w.kernel[d] {
				i := opos[d]*w.stride[d] + k*w.dil[d] - w.padBegin[d]
				if i < w.in[d]+w.padEnd[d] {
					cnt++
				}
			}
			padded *= cnt
		}
		for kidx := range kSize {
			rem := kidx
			for d := r - 1; d >= 0; d-- {
				kpos[d] = rem % w.kernel[d]
				rem /= w.kernel[d]
			}
			flat, ok := 0, true
			for d := range r {
				i := opos[d]*w.stride[d] + kpos[d]*w.dil[d] - w.padBegin[d]
				if i < 0 || i >= w.in[d] {
					ok = false
					break
				}
				flat = flat*w.in[d] + i
			}
			if ok {
				idx = append(idx, flat)
			}
		}
		fn(o, idx, padded)
	}
}

// maxPoolKernel computes ONNX MaxPool, with the optional Indices output
// (flat indices into the input tensor, row-major, or column-major over the
// spatial dimensions with storage_order 1).
func maxPoolKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	x, w, err := poolSetup(ec, n, in)
	if err != nil {
		return nil, err
	}
	planes := x.Shape[0] * x.Shape[1]
	y, err := newOutput(ec, n, append([]int{x.Shape[0], x.Shape[1]}, w.out...), false)
	if err != nil {
		return nil, err
	}
	wantIdx := len(n.Outputs) > 1 && n.Outputs[1] != ""
	var ind *Tensor
	if wantIdx {
		ind = NewInt(y.Shape...)
	}
	if !wantIdx && w.rank() <= 2 {
		pool2D(ec, n, w, x, y, true, false)
		return []*Tensor{y}, nil
	}
	colMajor := n.Attrs.Int("storage_order", 0) != 0
	inSize, outSize := NumElements(w.in), NumElements(w.out)
	// The windows are the same for every plane: list them once.
	wins := make([][]int, outSize)
	forEachWindow(w, func(o int, idx []int, _ int) {
		wins[o] = append([]int(nil), idx...)
	})
	ec.parallelFor(planes, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src := x.F[p*inSize : (p+1)*inSize]
			dst := y.F[p*outSize : (p+1)*outSize]
			for o, idx := range wins {
				// NaN never wins a comparison, as in ONNX Runtime.
				best, bi := float32(math.Inf(-1)), 0
				if len(idx) > 0 {
					bi = idx[0]
				}
				for _, i := range idx {
					if v := src[i]; v > best {
						best, bi = v, i
					}
				}
				dst[o] = best
				if ind != nil {
					flat := bi
					if colMajor {
						flat = colMajorIndex(w.in, bi)
					}
					ind.I[p*outSize+o] = int64(p*inSize + flat)
				}
			}
		}
	})
	if wantIdx {
		return []*Tensor{y, ind}, nil
	}
	return []*Tensor{y}, nil
}

// colMajorIndex converts a row-major flat index over shape to column-major.
func colMajorIndex(shape []int, flat int) int {
	out, mul := 0, 1
	pos := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		pos[d] = flat % shape[d]
		flat /= shape[d]
	}
	for d := range shape {
		out += pos[d] * mul
		mul *= shape[d]
	}
	return out
}

// averagePoolKernel computes ONNX AveragePool: the divisor is the number of
// window positions inside the input, or inside the padded input with
// count_include_pad.
func averagePoolKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	x, w, err := poolSetup(ec, n, in)
	if err != nil {
		return nil, err
	}
	includePad := n.Attrs.Int("count_include_pad", 0) != 0
	planes := x.Shape[0] * x.Shape[1]
	y, err := newOutput(ec, n, append([]int{x.Shape[0], x.Shape[1]}, w.out...), false)
	if err != nil {
		return nil, err
	}
	if w.rank() <= 2 {
		pool2D(ec, n, w, x, y, false, includePad)
		return []*Tensor{y}, nil
	}
	inSize, outSize := NumElements(w.in), NumElements(w.out)
	wins := make([][]int, outSize)
	scale := make([]float32, outSize)
	forEachWindow(w, func(o int, idx []int, padded int) {
		wins[o] = append([]int(nil), idx...)
		count := len(idx)
		if includePad {
			count = padded
		}
		if count > 0 {
			scale[o] = 1 / float32(count)
		}
	})
	ec.parallelFor(planes, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src := x.F[p*inSize : (p+1)*inSize]
			dst := y.F[p*outSize : (p+1)*outSize]
			for o, idx := range wins {
				var s float32
				for _, i := range idx {
					s += src[i]
				}
				dst[o] = s * scale[o]
			}
		}
	})
	return []*Tensor{y}, nil
}

func globalPoolSetup(ec *execContext, n *Node, in []*Tensor) (*Tensor, *Tensor, int, error) {
	x, err := floatInput(n, in, 0, "X")
	if err != nil {
		return nil, nil, 0, err
	}
	if len(x.Shape) < 2 {
		return nil, nil, 0, nodeErr(n, "input %v must be N×C×spatial", x.Shape)
	}
	shape := append([]int(nil), x.Shape...)
	for i := 2; i < len(shape); i++ {
		shape[i] = 1
	}
	y, err := newOutput(ec, n, shape, false)
	if err != nil {
		return nil, nil, 0, err
	}
	return x, y, NumElements(x.Shape[2:]), nil
}

// globalAveragePoolKernel averages each channel plane.
func globalAveragePoolKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	x, y, size, err := globalPoolSetup(ec, n, in)
	if err != nil {
		return nil, err
	}
	ec.par(len(y.F), len(x.F), func(lo, hi int) {
		if meanPlanes(y.F[lo:hi], x.F[lo*size:hi*size], size) {
			return
		}
		for p := lo; p < hi; p++ {
			// Sum in float64: planes can be large and the mean must not
			// drift with their size.
			// Four accumulators: one chain of dependent adds is bound
			// by the adder's latency, not its throughput.
			plane := x.F[p*size : (p+1)*size]
			var s0, s1, s2, s3 float64
			i := 0
			for ; i+4 <= len(plane); i += 4 {
				s0 += float64(plane[i])
				s1 += float64(plane[i+1])
				s2 += float64(plane[i+2])
				s3 += float64(plane[i+3])
			}
			for ; i < len(plane); i++ {
				s0 += float64(plane[i])
			}
			y.F[p] = float32((s0 + s1 + (s2 + s3)) / float64(size))
		}
	})
	return []*Tensor{y}, nil
}

// globalMaxPoolKernel takes the maximum of each channel plane.
func globalMaxPoolKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	x, y, size, err := globalPoolSetup(ec, n, in)
	if err != nil {
		return nil, err
	}
	ec.par(len(y.F), len(x.F), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			best := float32(math.Inf(-1))
			for _, v := range x.F[p*size : (p+1)*size] {
				if v > best || v != v {
					best = v
				}
			}
			y.F[p] = best
		}
	})
	return []*Tensor{y}, nil
}
