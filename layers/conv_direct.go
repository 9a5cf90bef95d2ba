package layers

// Convolutions without im2col. The image is copied once into a zero-padded
// buffer; output position (oy, ox) is computed at p = oy·Wq + ox, and kernel
// tap (ch, ky, kx) reads the buffer at p plus a fixed offset. With strides
// (sy, sx) the padded image is split into sy·sx phase planes (plane
// (py, px) holds padded pixel (y·sy+py, x·sx+px)), and the tap reads phase
// plane (ky·dy mod sy, kx·dx mod sx) shifted by (ky·dy div sy,
// kx·dx div sx). Either way sixteen consecutive positions are sixteen
// consecutive floats, so the GEMM micro-kernel reads B in place through a
// table of per-tap offsets (an "indirect" GEMM) and the column matrix is
// never built. The Wq - OW positions of each output row beyond the image
// are computed and discarded.

// useConvDirect reports whether the in-place path applies: one or two
// spatial dimensions and the assembly kernel available (the portable
// kernel is slower than im2col plus the packed GEMM).
func useConvDirect(w *window) bool {
	return hasAVX2FMA && w.rank() <= 2
}

// convDirect sets y = act(conv(x, wt) + bias) (bias nil: none; act nil:
// identity) for group convolution with cg input and mg output channels per
// group. The activation runs on each output plane's tile right after its
// bias, while it is in cache.
func convDirect(ec *execContext, n *Node, w *window, x, wt *Tensor, bias []float32, y *Tensor, group, cg, mg int, act func(dst, src []float32)) {
	if cg == 1 && mg == 1 && depthwise3x3(ec, n, w, x, wt, bias, y, act) {
		return
	}
	if group == 1 && cg == 1 && conv1ch3x3(ec, n, w, x, wt, bias, y, act) {
		return
	}
	in, kernel, dil, pb, pe := w.in, w.kernel, w.dil, w.padBegin, w.padEnd
	out, stride := w.out, w.stride
	if w.rank() == 1 {
		in, kernel, dil = []int{1, in[0]}, []int{1, kernel[0]}, []int{1, dil[0]}
		pb, pe, out, stride = []int{0, pb[0]}, []int{0, pe[0]}, []int{1, out[0]}, []int{1, stride[0]}
	}
	ih, iw := in[0], in[1]
	kh, kw := kernel[0], kernel[1]
	sy, sx := stride[0], stride[1]
	// With strides the padded image is split into sy·sx phase planes of
	// hq×wq (plane (py, px) holds padded pixels (y·sy+py, x·sx+px)), so
	// that consecutive outputs read consecutive floats.
	hq := (ih + pb[0] + pe[0] + sy - 1) / sy
	wq := (iw + pb[1] + pe[1] + sx - 1) / sx
	phase := hq * wq
	hp, wp := hq*sy, wq*sx
	oh, ow := out[0], out[1]
	batch, c, m := x.Shape[0], x.Shape[1], y.Shape[1]
	inSize, outSize := ih*iw, oh*ow
	rows := cg * kh * kw
	// Depthwise layers (one input and one output channel per group) use a
	// one-row kernel 64 positions wide instead of 4×16 tiles that would
	// be three quarters empty; their weights need no packing.
	depthwise := cg == 1 && mg == 1
	stripW, mPad := gemmNR, (mg+gemmMR-1)/gemmMR*gemmMR
	if depthwise {
		stripW, mPad = 64, 1
	}
	npos := oh * wq
	nPad := (npos + stripW - 1) / stripW * stripW
	stripsN := nPad / stripW
	stripsM := mPad / gemmMR
	var keyBuf [8]int
	key, cn := append(append(keyBuf[:0], x.Shape...), wt.Shape...), n
	if len(key) > len(keyBuf) {
		cn = nil // not cached (3-D layers do not come here)
	}
	plan := ec.cachedPlan(cn, planConvDirect, key, func() any {
		return newDirectPlan(cg, kh, kw, ih, iw, sy, sx, dil, pb, phase, wq)
	}).(*directPlan)
	offs, rowOff, phases := plan.offs, plan.rowOff, plan.phases
	// The last strip reads up to nPad-1 + the largest offset.
	padLen := max(cg*hp*wp, nPad+offs[rows-1])
	kcb := panelDepth(rows)

	var packedW [][]float32
	if depthwise {
		packedW = make([][]float32, group)
		for g := range group {
			packedW[g] = wt.F[g*rows : (g+1)*rows]
		}
	} else {
		var done func()
		packedW, done = ec.packedConvWeights(wt, group, mg, rows)
		defer done()
	}
	items := batch * group
	workers := 1
	if items >= ec.threads() && items*mPad*rows*nPad >= minParallelMACs {
		workers = ec.threads()
	}
	xspace := ec.scratch(workers * padLen)
	defer ec.release(xspace)
	cspace := ec.scratch(workers * mPad * nPad)
	defer ec.release(cspace)

	actFn := act
	one := func(ec *execContext, item int, xpad, cs []float32) {
		b, g := item/group, item%group
		img := x.F[(b*c+g*cg)*inSize : (b*c+(g+1)*cg)*inSize]
		switch {
		case hp == ih && wp == iw && sy == 1 && sx == 1:
			// No padding: the padded image is the image.
			copy(xpad, img)
			clear(xpad[len(img):])
		case sy == 1 && sx == 1:
			clear(xpad)
			for ch := range cg {
				for iy := range ih {
					dst := xpad[ch*hp*wp+(iy+pb[0])*wp+pb[1]:]
					copy(dst[:iw], img[ch*inSize+iy*iw:ch*inSize+(iy+1)*iw])
				}
			}
		default:
			clear(xpad)
			for ch := range cg {
				for iy := range ih {
					rowBase := ch*sy*sx*phase + rowOff[iy]
					src := img[ch*inSize+iy*iw : ch*inSize+(iy+1)*iw]
					for _, ph := range phases {
						dst := xpad[rowBase+ph.off : rowBase+ph.end]
						k := 0
						for ix := ph.first; ix < iw; ix += sx {
							dst[k] = src[ix]
							k++
						}
					}
				}
			}
		}
		yg := y.F[(b*m+g*mg)*outSize : (b*m+(g+1)*mg)*outSize]
		// The tile starts from zero (recycled memory, perhaps NaN, must not
		// enter the arithmetic); y is its valid part plus the bias.
		clear(cs)
		t := directTiles{depthwise: depthwise, rows: rows, kcb: kcb, mPad: mPad, nPad: nPad, stripsM: stripsM, stripW: stripW,
			ap: packedW[g], xpad: xpad, offs: offs, cs: cs}
		// A closure handed to parallelFor escapes to the heap: build one
		// only when the strips are really split between goroutines.
		if ec.threads() > 1 && stripsN > 1 && mPad*rows*nPad >= minParallelMACs {
			shared := t
			ec.parallelFor(stripsN, func(lo, hi int) { shared.run(lo, hi) })
		} else {
			t.run(0, stripsN)
		}
		// Epilogue: bias (and activation) over each output channel's whole
		// tile, discarded columns included, rounded up to 8 lanes (within
		// nPad) so that the vector code does it in one call without a
		// scalar tail; then the valid columns are copied out. Per output
		// row calls cost more than the arithmetic on 7×7 planes.
		span := min(nPad, (oh*wq+7)&^7)
		// With AVX-512 every element of an activation takes the same
		// code however the tensor is split (masked tails), so it runs
		// once over the whole output of the image and group: per
		// channel, calls on 7×7 planes cost more than the arithmetic.
		act := act
		actAll := act != nil && hasAVX512
		if actAll {
			act = nil
		}
		// Output rows as wide as the tile's: the bias of every channel in
		// one call (the same addition as addBias).
		biasDone := wq == ow && act == nil && bias != nil &&
			rowsScalar(yg, outSize, cs, nPad, bias[g*mg:(g+1)*mg], outSize, true)
		for mm := range mg {
			if biasDone {
				break
			}
			var bv float32
			if bias != nil {
				bv = bias[g*mg+mm]
			}
			dst := yg[mm*outSize : (mm+1)*outSize]
			if wq == ow && act == nil {
				addBias(dst, cs[mm*nPad:mm*nPad+outSize], bv)
				continue
			}
			tile := cs[mm*nPad : mm*nPad+span]
			addBias(tile, tile, bv)
			if act != nil {
				act(tile, tile)
			}
			if wq == ow {
				copy(dst, tile[:outSize])
				continue
			}
			for oy := range oh {
				copy(dst[oy*ow:(oy+1)*ow], tile[oy*wq:oy*wq+ow])
			}
		}
		if actAll {
			actFn(yg, yg)
		}
	}
	if workers > 1 {
		per := (items + workers - 1) / workers
		ec.parallelFor(workers, func(lo, hi int) {
			serial := ec.serial()
			for wk := lo; wk < hi; wk++ {
				xpad := xspace[wk*padLen : (wk+1)*padLen]
				cs := cspace[wk*mPad*nPad : (wk+1)*mPad*nPad]
				for i := wk * per; i < min((wk+1)*per, items); i++ {
					one(serial, i, xpad, cs)
				}
			}
		})
		return
	}
	for i := range items {
		one(ec, i, xspace[:padLen], cspace[:mPad*nPad])
	}
}

// directPlan holds convDirect's tables, which depend only on the layer's
// geometry: the per-tap offsets, and for strided layers where each input
// row starts in its phase plane and which columns each phase takes.
type directPlan struct {
	offs   []int
	rowOff []int
	phases []phaseCols
}

// phaseCols says that stride phase px takes every sx-th pixel of a row,
// from column first, into the padded buffer at [off, end) of the row.
type phaseCols struct{ first, off, end int }

func newDirectPlan(cg, kh, kw, ih, iw, sy, sx int, dil, pb []int, phase, wq int) *directPlan {
	p := &directPlan{offs: make([]int, cg*kh*kw)}
	for ch := range cg {
		for ky := range kh {
			for kx := range kw {
				dy, dx := ky*dil[0], kx*dil[1]
				plane := (ch*sy+dy%sy)*sx + dx%sx
				p.offs[(ch*kh+ky)*kw+kx] = plane*phase + dy/sy*wq + dx/sx
			}
		}
	}
	// The stride-phase gather's divisions, done once per layer instead of
	// per image row (on small depthwise planes they outweighed the copy).
	if sy != 1 || sx != 1 {
		p.rowOff = make([]int, ih)
		for iy := range ih {
			yy := iy + pb[0]
			p.rowOff[iy] = (yy%sy)*sx*phase + yy/sy*wq
		}
		for px := range sx {
			first := ((px-pb[1])%sx + sx) % sx
			if first >= iw {
				continue
			}
			q := (first + pb[1]) / sx
			p.phases = append(p.phases, phaseCols{first: first, off: px*phase + q, end: px*phase + wq})
		}
	}
	return p
}

// minParallelMACs is the work of one image below which its output strips
// are not split between goroutines: starting and joining them costs a few
// microseconds, as much as ~100K multiply-adds.
const minParallelMACs = 1 << 17

// directTiles is the work of one image and group of convDirect: output
// strips of the tile buffer cs computed from the padded image xpad.
type directTiles struct {
	depthwise                              bool
	rows, kcb, mPad, nPad, stripsM, stripW int
	ap, xpad, cs                           []float32
	offs                                   []int
}

// run computes output strips [lo, hi).
func (t *directTiles) run(lo, hi int) {
	if t.depthwise {
		for j := lo; j < hi; j++ {
			kernel1x64Indirect(t.rows, t.ap, t.xpad[j*t.stripW:], t.offs, t.cs[j*t.stripW:])
		}
		return
	}
	if hasAVX512 {
		t.runWide(lo, hi)
		return
	}
	for j := lo; j < hi; j++ {
		for s := range t.stripsM {
			for pc := 0; pc < t.rows; pc += t.kcb {
				kc := min(t.kcb, t.rows-pc)
				as := t.ap[pc*t.mPad+s*gemmMR*kc : pc*t.mPad+(s+1)*gemmMR*kc]
				kernel4x16Indirect(kc, as, t.xpad[j*gemmNR:], t.offs[pc:pc+kc], t.cs[s*gemmMR*t.nPad+j*gemmNR:], t.nPad)
			}
		}
	}
}

// runWide is run with the AVX-512 kernel on blocks of up to two row
// strips by two column strips (8×32). Each output is the same FMA chain
// as in the 4×16 kernel, so the results are bit-identical.
func (t *directTiles) runWide(lo, hi int) {
	for j := lo; j < hi; j += 2 {
		cols := min(2, hi-j) * gemmNR
		for s := 0; s < t.stripsM; s += 2 {
			rows := min(2, t.stripsM-s) * gemmMR
			for pc := 0; pc < t.rows; pc += t.kcb {
				kc := min(t.kcb, t.rows-pc)
				as := t.ap[pc*t.mPad+s*gemmMR*kc : pc*t.mPad+s*gemmMR*kc+rows*kc]
				kernelWideIndirect(kc, as, t.xpad[j*gemmNR:], t.offs[pc:pc+kc], t.cs[s*gemmMR*t.nPad+j*gemmNR:], t.nPad, rows, cols)
			}
		}
	}
}

// addBiasGo sets dst = src + b element by element (addBias without AVX2).
func addBiasGo(dst, src []float32, b float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v + b
	}
}
