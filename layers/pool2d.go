package layers

import "math"

// axisWindows precomputes, for each output index along one axis, the range
// of kernel offsets [lo, hi) that land inside the input and how many land
// inside the padded input (for count_include_pad).
type axisWindows struct {
	lo, hi, padded []int
}

func newAxisWindows(in, out, kernel, stride, dil, padBegin, padEnd int) axisWindows {
	a := axisWindows{lo: make([]int, out), hi: make([]int, out), padded: make([]int, out)}
	for o := range out {
		lo, hi, cnt := kernel, 0, 0
		for k := range kernel {
			i := o*stride + k*dil - padBegin
			if i >= 0 && i < in {
				lo, hi = min(lo, k), k+1
			}
			if i < in+padEnd {
				cnt++
			}
		}
		if hi <= lo {
			lo, hi = 0, 0
		}
		a.lo[o], a.hi[o], a.padded[o] = lo, hi, cnt
	}
	return a
}

// pool2D is the fast path of MaxPool and AveragePool for one or two spatial
// dimensions: it walks each window directly instead of through index lists.
// A 1-D window is treated as 2-D with height 1.
func pool2D(ec *execContext, n *Node, w *window, x, y *Tensor, isMax, includePad bool) {
	in, out, k, s, d, pb, pe := w.in, w.out, w.kernel, w.stride, w.dil, w.padBegin, w.padEnd
	if w.rank() == 1 {
		in, out, k, s, d, pb, pe = []int{1, in[0]}, []int{1, out[0]}, []int{1, k[0]}, []int{1, s[0]}, []int{1, d[0]}, []int{0, pb[0]}, []int{0, pe[0]}
	}
	ih, iw, oh, ow := in[0], in[1], out[0], out[1]
	sy, sx, dy, dx := s[0], s[1], d[0], d[1]
	fast3s2 := hasAVX2FMA && dy == 1 && dx == 1 && k[0] <= 3 && k[1] == 3 && sx == 2
	// The geometry depends only on the node and the input shape: built
	// once per shape and kept in the Program's plan cache.
	plan := ec.cachedPlan(n, planPool3s2, x.Shape, func() any {
		p := &poolPlan{
			ay: newAxisWindows(in[0], out[0], k[0], s[0], d[0], pb[0], pe[0]),
			ax: newAxisWindows(in[1], out[1], k[1], s[1], d[1], pb[1], pe[1]),
		}
		if fast3s2 {
			p.tables3s2(ih, iw, oh, ow, sy, pb[0], pb[1], isMax, includePad)
		}
		return p
	}).(*poolPlan)
	ay, ax := plan.ay, plan.ax
	planes := len(x.F) / (ih * iw)
	if k[0] == 2 && k[1] == 2 && sy == 2 && sx == 2 && dy == 1 && dx == 1 &&
		pb[0] == 0 && pb[1] == 0 && 2*oh <= ih && 2*ow <= iw {
		pool2x2(ec, x.F, y.F, planes, ih, iw, oh, ow, isMax)
		return
	}
	if fast3s2 {
		pool3s2(ec, plan, x.F, y.F, planes, ih, iw, oh, ow, pb[1], isMax, includePad, hasAVX512)
		return
	}
	if dy == 1 && dx == 1 {
		// Separable: reduce the window's rows into one row, then reduce
		// along that row. Both loops run over contiguous memory.
		kw := k[1]
		full := iw - kw + 1 // windows that fit the row without padding
		// Width-3 windows at stride 2 (the usual downsampling pool): the
		// outputs [vecLo, vecLo+vecN) whose windows lie inside the row
		// are reduced by the vector kernel, 8 at a time.
		vecLo, vecN := 0, 0
		if kw == 3 && sx == 2 {
			inside := func(ox int) bool { return ax.lo[ox] == 0 && ax.hi[ox] == kw && ax.padded[ox] == kw }
			for vecLo < ow && !inside(vecLo) {
				vecLo++
			}
			hi := vecLo
			for hi < ow && inside(hi) {
				hi++
			}
			vecN = (hi - vecLo) &^ 7
		}
		ec.par(planes, len(x.F), func(p0, p1 int) {
			// Two floats of slack: the vector kernel reads one past the
			// last window.
			accFull := make([]float32, iw+2)
			acc := accFull[:iw]
			// wm[x] is the maximum of acc[x : x+kw].
			wm := make([]float32, max(full, 0))
			for p := p0; p < p1; p++ {
				src := x.F[p*ih*iw : (p+1)*ih*iw]
				dst := y.F[p*oh*ow : (p+1)*oh*ow]
				for oy := range oh {
					y0 := oy*sy - pb[0]
					lo, hi := ay.lo[oy], ay.hi[oy]
					if lo >= hi {
						fillEmptyRow(dst[oy*ow:(oy+1)*ow], isMax)
						continue
					}
					copy(acc, src[(y0+lo)*iw:(y0+lo+1)*iw])
					for ky := lo + 1; ky < hi; ky++ {
						row := src[(y0+ky)*iw : (y0+ky+1)*iw]
						if isMax {
							maxInto(row, acc)
						} else {
							axpy(1, row, acc)
						}
					}
					out := dst[oy*ow : (oy+1)*ow]
					// For max pooling, reduce every whole window of the row
					// with vector operations (summing them that way was
					// slower than the direct loop below).
					done := 0
					if vecN > 0 {
						div := float32((hi - lo) * kw)
						if includePad {
							div = float32(ay.padded[oy] * kw)
						}
						done = pool3s2Row(out[vecLo:vecLo+vecN], accFull[vecLo*sx-pb[1]:], isMax, div)
					}
					if full > 0 && isMax && done == 0 {
						copy(wm, acc[:full])
						for t := 1; t < kw; t++ {
							maxInto(acc[t:t+full], wm)
						}
					}
					for ox := range out {
						if ox >= vecLo && ox < vecLo+done {
							continue // computed by the vector kernel
						}
						x0 := ox*sx - pb[1]
						if isMax && done == 0 && ax.lo[ox] == 0 && ax.hi[ox] == kw {
							out[ox] = wm[x0] // a whole window inside the row
							continue
						}
						seg := acc[max(x0+ax.lo[ox], 0):max(x0+ax.hi[ox], 0)]
						if isMax {
							best := float32(math.Inf(-1))
							for _, v := range seg {
								best = max(best, v)
							}
							out[ox] = best
							continue
						}
						var sum float32
						for _, v := range seg {
							sum += v
						}
						count := (hi - lo) * len(seg)
						if includePad {
							count = ay.padded[oy] * ax.padded[ox]
						}
						if count > 0 {
							sum /= float32(count)
						}
						out[ox] = sum
					}
				}
			}
		})
		return
	}
	ec.par(planes, len(x.F), func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			src := x.F[p*ih*iw : (p+1)*ih*iw]
			dst := y.F[p*oh*ow : (p+1)*oh*ow]
			for oy := range oh {
				y0 := oy*sy - pb[0]
				for ox := range ow {
					x0 := ox*sx - pb[1]
					kxLo, kxHi := ax.lo[ox], ax.hi[ox]
					if isMax {
						best := float32(math.Inf(-1))
						for ky := ay.lo[oy]; ky < ay.hi[oy]; ky++ {
							r0 := (y0+ky*dy)*iw + x0
							if dx == 1 {
								for _, v := range src[r0+kxLo : r0+kxHi] {
									best = max(best, v)
								}
								continue
							}
							for kx := kxLo; kx < kxHi; kx++ {
								best = max(best, src[r0+kx*dx])
							}
						}
						dst[oy*ow+ox] = best
						continue
					}
					var sum float32
					for ky := ay.lo[oy]; ky < ay.hi[oy]; ky++ {
						r0 := (y0+ky*dy)*iw + x0
						if dx == 1 {
							for _, v := range src[r0+kxLo : r0+kxHi] {
								sum += v
							}
							continue
						}
						for kx := kxLo; kx < kxHi; kx++ {
							sum += src[r0+kx*dx]
						}
					}
					count := (ay.hi[oy] - ay.lo[oy]) * (ax.hi[ox] - ax.lo[ox])
					if includePad {
						count = ay.padded[oy] * ax.padded[ox]
					}
					if count > 0 {
						sum /= float32(count)
					}
					dst[oy*ow+ox] = sum
				}
			}
		}
	})
}

// fillEmptyRow writes the value of windows that cover no input: -Inf for
// max (nothing was compared) and 0 for an average.
func fillEmptyRow(row []float32, isMax bool) {
	v := float32(0)
	if isMax {
		v = float32(math.Inf(-1))
	}
	fill(row, v)
}

// pool2x2 is 2×2 pooling with stride 2 whose windows all lie inside the
// input (the common downsampling layer): each output row reads its two
// input rows directly. The average adds the two rows first, then the two
// columns, as the separable path does, so both give the same bits.
func pool2x2(ec *execContext, x, y []float32, planes, ih, iw, oh, ow int, isMax bool) {
	ec.par(planes, len(x), func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			src := x[p*ih*iw : (p+1)*ih*iw]
			dst := y[p*oh*ow : (p+1)*oh*ow]
			for oy := range oh {
				r0 := src[2*oy*iw : 2*oy*iw+2*ow]
				r1 := src[(2*oy+1)*iw : (2*oy+1)*iw+2*ow]
				pool2x2Row(dst[oy*ow:(oy+1)*ow], r0, r1, isMax)
			}
		}
	})
}

// pool2x2RowGo is pool2x2Row without vector code.
func pool2x2RowGo(out, r0, r1 []float32, isMax bool) {
	if isMax {
		for ox := range out {
			out[ox] = max(max(r0[2*ox], r1[2*ox]), max(r0[2*ox+1], r1[2*ox+1]))
		}
		return
	}
	for ox := range out {
		var sum float32
		sum += r0[2*ox] + r1[2*ox]
		sum += r0[2*ox+1] + r1[2*ox+1]
		out[ox] = sum / 4
	}
}

// pool3s2 is pooling with windows three wide at column stride 2 and at
// most three rows high (the usual downsampling pool), any row stride,
// padding or ceil mode. Each output row takes one call to reduce its
// window's input rows into a row buffer that carries the left and right
// padding (-Inf for max, 0 for average, which leaves a sum's bits
// unchanged), and one or two calls of the vector kernel for the whole
// output row; only averages whose window is clipped by the border, where
// the divisor differs, are redone in scalar code.
//
// wholePlanes (with AVX-512) runs one assembly call per plane instead.
func pool3s2(ec *execContext, plan *poolPlan, x, y []float32, planes, ih, iw, oh, ow, padLeft int, isMax, includePad, wholePlanes bool) {
	const kw = 3
	ax := plan.ax
	clipped, rows, divs := plan.clipped, plan.rows, plan.divs
	n8 := (ow + 7) &^ 7
	// The vector kernel reads 2·n8+2 values from the start of the row
	// buffer; the reduced input row sits at padLeft.
	accLen := max(padLeft+iw, 2*n8+2)
	padValue := float32(0)
	if isMax {
		padValue = float32(math.Inf(-1))
	}
	// fix writes the outputs the plane kernel leaves: rows without input
	// and averages over clipped windows, summed as the kernel sums (rows
	// first, then the columns left to right).
	fix := func(src, dst []float32) {
		for oy := range oh {
			out := dst[oy*ow : (oy+1)*ow]
			r0, nr := rows[2*oy], rows[2*oy+1]
			if nr == 0 {
				fillEmptyRow(out, isMax)
				continue
			}
			for _, ox := range clipped {
				var sum float32
				for kx := ax.lo[ox]; kx < ax.hi[ox]; kx++ {
					col := 2*ox - padLeft + kx
					v := src[r0*iw+col]
					for r := 1; r < nr; r++ {
						v += src[(r0+r)*iw+col]
					}
					sum += v
				}
				count := int(divs[oy]) / kw * colsOf(ax, ox, includePad)
				if count > 0 {
					sum /= float32(count)
				}
				out[ox] = sum
			}
		}
	}
	if wholePlanes && pool3s2PlanesAVX512(ec, x, y, planes, ih, iw, oh, ow, padLeft, rows, divs, plan.masks, isMax, padValue, fix) {
		return
	}
	ec.par(planes, len(x), func(p0, p1 int) {
		acc := make([]float32, accLen)
		fill(acc, padValue)
		row := acc[padLeft : padLeft+iw]
		var tmp []float32
		if ow < 8 {
			tmp = make([]float32, 8)
		}
		var inRows [3][]float32
		for p := p0; p < p1; p++ {
			src := x[p*ih*iw : (p+1)*ih*iw]
			dst := y[p*oh*ow : (p+1)*oh*ow]
			for oy := range oh {
				out := dst[oy*ow : (oy+1)*ow]
				r0, nr := rows[2*oy], rows[2*oy+1]
				if nr == 0 {
					fillEmptyRow(out, isMax)
					continue
				}
				for r := range nr {
					inRows[r] = src[(r0+r)*iw : (r0+r+1)*iw]
				}
				reduceRows(row, inRows[:nr], isMax)
				fy := int(divs[oy]) / kw
				div := divs[oy]
				switch {
				case ow%8 == 0:
					pool3s2Row(out, acc, isMax, div)
				case ow > 8:
					// The last eight outputs overlap the ones before:
					// computing some twice gives the same values.
					pool3s2Row(out[:ow&^7], acc, isMax, div)
					pool3s2Row(out[ow-8:], acc[2*(ow-8):], isMax, div)
				default:
					pool3s2Row(tmp, acc, isMax, div)
					copy(out, tmp)
				}
				for _, ox := range clipped {
					var sum float32
					for _, v := range acc[2*ox : 2*ox+kw] {
						sum += v
					}
					count := fy * colsOf(ax, ox, includePad)
					if count > 0 {
						sum /= float32(count)
					}
					out[ox] = sum
				}
			}
		}
	})
}

// poolPlan is pool2D's geometry for one node and input shape: the window
// extents along both axes and, for pool3s2, its tables.
type poolPlan struct {
	ay, ax axisWindows
	// clipped lists the outputs along a row whose average divisor is not
	// the full window width (redone in scalar code).
	clipped []int
	// rows[2oy], rows[2oy+1]: the first input row of output row oy and
	// how many rows its window covers; divs[oy]: the divisor for the
	// windows of the full width.
	rows []int
	divs []float32
	// masks are the AVX-512 kernel's load and store masks (nil without
	// AVX-512).
	masks []uint16
}

func (p *poolPlan) tables3s2(ih, iw, oh, ow, sy, padTop, padLeft int, isMax, includePad bool) {
	const kw = 3
	if !isMax {
		for ox := range ow {
			if colsOf(p.ax, ox, includePad) != kw {
				p.clipped = append(p.clipped, ox)
			}
		}
	}
	p.rows = make([]int, 2*oh)
	p.divs = make([]float32, oh)
	for oy := range oh {
		lo, hi := p.ay.lo[oy], p.ay.hi[oy]
		if lo >= hi {
			continue
		}
		p.rows[2*oy], p.rows[2*oy+1] = oy*sy-padTop+lo, hi-lo
		fy := hi - lo
		if includePad {
			fy = p.ay.padded[oy]
		}
		p.divs[oy] = float32(fy * kw)
	}
	p.masks = pool3s2Masks(iw, ow, padLeft)
}

// colsOf returns how many columns of window ox count towards an average:
// those inside the padded input (includePad) or inside the input.
func colsOf(ax axisWindows, ox int, includePad bool) int {
	if includePad {
		return ax.padded[ox]
	}
	return ax.hi[ox] - ax.lo[ox]
}

// reduceRowsGo is reduceRows without vector code.
func reduceRowsGo(dst []float32, rows [][]float32, isMax bool) {
	copy(dst, rows[0])
	for _, r := range rows[1:] {
		if isMax {
			maxIntoGo(r, dst)
		} else {
			axpyGo(1, r, dst)
		}
	}
}
