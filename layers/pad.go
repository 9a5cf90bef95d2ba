package layers

// padKernel computes ONNX Pad. The canonical form carries "pads" (all
// begins then all ends; negative values crop), "mode" (constant, reflect,
// edge, wrap) and "value" as attributes; the opset-11+ form with pads,
// constant_value and axes as inputs is accepted when the importer could not
// fold them.
func padKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, nodeErr(n, "missing input 0 (data)")
	}
	x := in[0]
	r := len(x.Shape)
	pads := n.Attrs.Ints("pads", nil)
	value := float64(n.Attrs.Float("value", 0))
	if p := optionalInput(in, 1); p != nil {
		pads = p.AsInt64()
	}
	if v := optionalInput(in, 2); v != nil {
		if x.DType == Int64 {
			value = float64(v.AsInt64()[0])
		} else {
			value = float64(v.AsFloat32()[0])
		}
	}
	full := make([]int, 2*r)
	if a := optionalInput(in, 3); a != nil {
		axes := a.AsInt64()
		if len(pads) != 2*len(axes) {
			return nil, nodeErr(n, "%d pads for %d axes", len(pads), len(axes))
		}
		for i, ax := range axes {
			if ax < 0 {
				ax += int64(r)
			}
			if ax < 0 || ax >= int64(r) {
				return nil, nodeErr(n, "axis %d out of range for rank %d", axes[i], r)
			}
			full[ax], full[int(ax)+r] = int(pads[i]), int(pads[i+len(axes)])
		}
	} else {
		if len(pads) != 2*r {
			return nil, nodeErr(n, "pads %v: want %d values for rank %d", pads, 2*r, r)
		}
		for i, p := range pads {
			full[i] = int(p)
		}
	}
	mode := n.Attrs.String("mode", "constant")
	out := make([]int, r)
	// maps[d][o] is the input index along d of output index o, or -1 for
	// the constant value.
	maps := make([][]int, r)
	for d := range r {
		out[d] = x.Shape[d] + full[d] + full[d+r]
		if out[d] < 0 {
			return nil, nodeErr(n, "pads %v crop more than dimension %d of %v", pads, d, x.Shape)
		}
		if out[d] > maxOutputElements {
			return nil, nodeErr(n, "pads %v make dimension %d too large", pads, d)
		}
		maps[d] = make([]int, out[d])
		size := x.Shape[d]
		for o := range maps[d] {
			j := o - full[d]
			if j < 0 || j >= size {
				switch {
				case mode == "constant":
					j = -1
				case size == 0:
					return nil, nodeErr(n, "cannot pad empty dimension %d in %s mode", d, mode)
				case mode == "edge":
					j = min(max(j, 0), size-1)
				case mode == "reflect":
					if size == 1 {
						j = 0
						break
					}
					period := 2 * (size - 1)
					j = ((j % period) + period) % period
					if j >= size {
						j = period - j
					}
				case mode == "wrap":
					j = ((j % size) + size) % size
				default:
					return nil, nodeErr(n, "unknown mode %q", mode)
				}
			}
			maps[d][o] = j
		}
	}
	var y *Tensor
	if x.DType == Int64 {
		total := 1
		for _, d := range out {
			if d > 0 && total > maxOutputElements/d {
				return nil, nodeErr(n, "output shape %v is too large", out)
			}
			total *= d
		}
		y = NewInt(out...)
	} else {
		var err error
		if y, err = newOutput(ec, n, out, false); err != nil {
			return nil, err
		}
	}
	if r == 0 {
		if x.DType == Int64 {
			y.I[0] = x.I[0]
		} else {
			y.F[0] = x.F[0]
		}
		return []*Tensor{y}, nil
	}
	last := out[r-1]
	if last == 0 || y.Len() == 0 {
		return []*Tensor{y}, nil
	}
	rows := y.Len() / last
	inLast := x.Shape[r-1]
	// The output columns [idLo, idHi) copy input columns unchanged: move
	// them with copy and map only the padding around them.
	idLo, idHi := max(full[r-1], 0), min(full[r-1]+inLast, last)
	ec.parallelFor(rows, func(lo, hi int) {
		// idx is the position of the output row over all axes but the
		// last, advanced like an odometer (divisions per row would cost
		// more than copying a short row).
		idx := make([]int, r-1)
		rem := lo
		for d := r - 2; d >= 0; d-- {
			idx[d] = rem % out[d]
			rem /= out[d]
		}
		for row := lo; row < hi; row++ {
			// Input row of this output row, or -1 when it is padding.
			base, mul := 0, 1
			for d := r - 2; d >= 0; d-- {
				j := maps[d][idx[d]]
				if j < 0 {
					base = -1
					break
				}
				base += j * mul
				mul *= x.Shape[d]
			}
			for d := r - 2; d >= 0; d-- {
				if idx[d]++; idx[d] < out[d] {
					break
				}
				idx[d] = 0
			}
			m := maps[r-1]
			if x.DType == Int64 {
				dst := y.I[row*last : (row+1)*last]
				for o, j := range m {
					if base < 0 || j < 0 {
						dst[o] = int64(value)
					} else {
						dst[o] = x.I[base*inLast+j]
					}
				}
				continue
			}
			dst := y.F[row*last : (row+1)*last]
			if base >= 0 && idLo < idHi {
				src := x.F[base*inLast : (base+1)*inLast]
				copy(dst[idLo:idHi], src[idLo-full[r-1]:idHi-full[r-1]])
				for _, o := range [2][2]int{{0, idLo}, {idHi, last}} {
					for c := o[0]; c < o[1]; c++ {
						if j := m[c]; j < 0 {
							dst[c] = float32(value)
						} else {
							dst[c] = src[j]
						}
					}
				}
				continue
			}
			for o, j := range m {
				if base < 0 || j < 0 {
					dst[o] = float32(value)
				} else {
					dst[o] = x.F[base*inLast+j]
				}
			}
		}
	})
	return []*Tensor{y}, nil
}
