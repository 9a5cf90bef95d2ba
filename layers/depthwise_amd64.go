package layers

import "unsafe"

//go:generate python3 gen/depthwise_avx512.py

// dwArgs is what depthwise3x3AVX512 reads; the assembly addresses the
// fields by offset, checked by TestDwArgsLayout.
type dwArgs struct {
	src, dst                       *float32
	ih, iw, oh, ow, chunks, stride int
	padTop, padLeft                int
	w                              *float32 // the plane's 9 weights
	masks                          *uint16  // per 16 outputs: three load masks, one store mask
	bias                           float32
	rowTab                         *int // per output row and ky: byte offset of the input row, or -1
}

//go:noescape
func depthwise3x3AVX512(a *dwArgs)

var dwOffsets = [...]uintptr{
	unsafe.Offsetof(dwArgs{}.src), unsafe.Offsetof(dwArgs{}.dst),
	unsafe.Offsetof(dwArgs{}.ih), unsafe.Offsetof(dwArgs{}.iw),
	unsafe.Offsetof(dwArgs{}.oh), unsafe.Offsetof(dwArgs{}.ow),
	unsafe.Offsetof(dwArgs{}.chunks), unsafe.Offsetof(dwArgs{}.stride),
	unsafe.Offsetof(dwArgs{}.padTop), unsafe.Offsetof(dwArgs{}.padLeft),
	unsafe.Offsetof(dwArgs{}.w), unsafe.Offsetof(dwArgs{}.masks),
	unsafe.Offsetof(dwArgs{}.bias), unsafe.Offsetof(dwArgs{}.rowTab),
}

// depthwise3x3 computes a depthwise 3×3 convolution (one input and one
// output channel per group, dilation 1, equal strides of 1 or 2) one
// plane per assembly call, straight from the input: no padded copy, no
// stride-phase gather, no tile to clear, which on 7×7 planes cost more
// than the 441 multiply-adds. It returns false (doing nothing) when the
// layer does not qualify or the CPU lacks AVX-512.
func depthwise3x3(ec *execContext, n *Node, w *window, x, wt *Tensor, bias []float32, y *Tensor, act func(dst, src []float32)) bool {
	if !hasAVX512 || w.rank() != 2 || w.kernel[0] != 3 || w.kernel[1] != 3 || w.dil[0] != 1 || w.dil[1] != 1 {
		return false
	}
	s := w.stride[0]
	if w.stride[1] != s || (s != 1 && s != 2) {
		return false
	}
	ih, iw, oh, ow := w.in[0], w.in[1], w.out[0], w.out[1]
	pt, pl := w.padBegin[0], w.padBegin[1]
	inSize, outSize := ih*iw, oh*ow
	if inSize == 0 || outSize == 0 {
		return false
	}
	if wp := pl + iw + w.padEnd[1]; s == 1 && iw <= 16 && wp-2 <= 16 && oh*wp <= 8*64 {
		depthwise3x3Flat(ec, x, wt, bias, y, ih, iw, oh, ow, wp, pt, pl, act)
		return true
	}
	chunks := (ow + 15) / 16
	var keyBuf [8]int
	key := append(append(keyBuf[:0], x.Shape...), s, pt, pl, 0)
	plan := ec.cachedPlan(n, planDepthwise, key, func() any {
		return newDwPlan(chunks, s, pl, iw, ow, oh, ih, pt)
	}).(*dwPlan)
	masks, rowTab := plan.masks, plan.rowTab
	planes, c := x.Shape[0]*x.Shape[1], x.Shape[1]
	ec.par(planes, planes*outSize*9, func(p0, p1 int) {
		a := dwArgs{ih: ih, iw: iw, oh: oh, ow: ow, chunks: chunks, stride: s, padTop: pt, padLeft: pl, masks: &masks[0], rowTab: &rowTab[0]}
		for p := p0; p < p1; p++ {
			ch := p % c
			src := x.F[p*inSize : (p+1)*inSize]
			dst := y.F[p*outSize : (p+1)*outSize]
			a.src, a.dst, a.w = &src[0], &dst[0], &wt.F[ch*9]
			a.bias = 0
			if bias != nil {
				a.bias = bias[ch]
			}
			depthwise3x3AVX512(&a)
		}
		// One call for the range: with AVX-512 an activation gives each
		// element the same bits however the tensor is split.
		if act != nil {
			span := y.F[p0*outSize : p1*outSize]
			act(span, span)
		}
	})
	return true
}

// dwPlan holds depthwise3x3's tables: per chunk of 16 outputs the load
// and store masks, per output row and kernel row the input row's offset.
type dwPlan struct {
	masks  []uint16
	rowTab []int
}

func newDwPlan(chunks, s, pl, iw, ow, oh, ih, pt int) *dwPlan {
	masks := make([]uint16, 4*chunks)
	for c := range chunks {
		m := masks[4*c : 4*c+4]
		if s == 1 {
			for kx := range 3 {
				for i := range 16 {
					col := 16*c - pl + kx + i
					if col >= 0 && col < iw {
						m[kx] |= 1 << i
					}
				}
			}
		} else {
			for j := range 33 {
				col := 32*c - pl + j
				if col >= 0 && col < iw {
					m[j/16] |= 1 << (j % 16)
				}
			}
		}
		for i := range 16 {
			if 16*c+i < ow {
				m[3] |= 1 << i
			}
		}
	}
	rowTab := make([]int, 3*oh)
	for oy := range oh {
		for ky := range 3 {
			iy := oy*s + ky - pt
			rowTab[3*oy+ky] = -1
			if iy >= 0 && iy < ih {
				rowTab[3*oy+ky] = iy * iw * 4
			}
		}
	}
	return &dwPlan{masks: masks, rowTab: rowTab}
}

// dwFlatArgs is what depthwise3x3FlatAVX512 reads; the assembly addresses
// the fields by offset, checked by TestDwArgsLayout.
type dwFlatArgs struct {
	src, dst, buf, tile, w                *float32
	ih, iw, oh, ow, wp, groups, padOffset int
	bias                                  float32
	inMask, outMask                       int
	// The second plane of the call.
	srcB, dstB, bufB, tileB, wB *float32
	biasB                       float32
}

//go:noescape
func depthwise3x3FlatAVX512(a *dwFlatArgs)

var dwFlatOffsets = [...]uintptr{
	unsafe.Offsetof(dwFlatArgs{}.src), unsafe.Offsetof(dwFlatArgs{}.dst),
	unsafe.Offsetof(dwFlatArgs{}.buf), unsafe.Offsetof(dwFlatArgs{}.tile),
	unsafe.Offsetof(dwFlatArgs{}.w), unsafe.Offsetof(dwFlatArgs{}.ih),
	unsafe.Offsetof(dwFlatArgs{}.iw), unsafe.Offsetof(dwFlatArgs{}.oh),
	unsafe.Offsetof(dwFlatArgs{}.ow), unsafe.Offsetof(dwFlatArgs{}.wp),
	unsafe.Offsetof(dwFlatArgs{}.groups), unsafe.Offsetof(dwFlatArgs{}.padOffset),
	unsafe.Offsetof(dwFlatArgs{}.bias), unsafe.Offsetof(dwFlatArgs{}.inMask),
	unsafe.Offsetof(dwFlatArgs{}.outMask),
	unsafe.Offsetof(dwFlatArgs{}.srcB), unsafe.Offsetof(dwFlatArgs{}.dstB),
	unsafe.Offsetof(dwFlatArgs{}.bufB), unsafe.Offsetof(dwFlatArgs{}.tileB),
	unsafe.Offsetof(dwFlatArgs{}.wB), unsafe.Offsetof(dwFlatArgs{}.biasB),
}

// depthwise3x3Flat is depthwise3x3 at stride 1 on planes at most 16 wide
// (after padding, 18): each plane is copied into a zero-bordered padded
// buffer, where every output is the same fixed offset from its nine taps,
// so 64 outputs cost 36 FMAs with memory operands in four independent
// chains (the 7×7 planes of mobile networks: a few times fewer
// instructions than row by row).
func depthwise3x3Flat(ec *execContext, x, wt *Tensor, bias []float32, y *Tensor, ih, iw, oh, ow, wp, pt, pl int, act func(dst, src []float32)) {
	groups := (oh*wp + 63) / 64
	bufLen := groups*64 + 2*wp + 2
	inSize, outSize := ih*iw, oh*ow
	planes, c := x.Shape[0]*x.Shape[1], x.Shape[1]
	ec.par(planes, planes*outSize*9, func(p0, p1 int) {
		// Borders and slack stay zero: only the interiors are written.
		space := make([]float32, 2*(bufLen+groups*64))
		bufA, bufB := space[:bufLen], space[bufLen:2*bufLen]
		tileA, tileB := space[2*bufLen:2*bufLen+groups*64], space[2*bufLen+groups*64:]
		a := dwFlatArgs{buf: &bufA[0], tile: &tileA[0], bufB: &bufB[0], tileB: &tileB[0],
			ih: ih, iw: iw, oh: oh, ow: ow, wp: wp, groups: groups,
			padOffset: (pt*wp + pl) * 4, inMask: 1<<iw - 1, outMask: 1<<ow - 1}
		// Two planes per call; an odd last plane goes in twice (the
		// same values written twice).
		for p := p0; p < p1; p += 2 {
			q := min(p+1, p1-1)
			chA, chB := p%c, q%c
			srcA, srcB := x.F[p*inSize:(p+1)*inSize], x.F[q*inSize:(q+1)*inSize]
			dstA, dstB := y.F[p*outSize:(p+1)*outSize], y.F[q*outSize:(q+1)*outSize]
			a.src, a.dst, a.w = &srcA[0], &dstA[0], &wt.F[chA*9]
			a.srcB, a.dstB, a.wB = &srcB[0], &dstB[0], &wt.F[chB*9]
			a.bias, a.biasB = 0, 0
			if bias != nil {
				a.bias, a.biasB = bias[chA], bias[chB]
			}
			depthwise3x3FlatAVX512(&a)
		}
		if act != nil {
			span := y.F[p0*outSize : p1*outSize]
			act(span, span)
		}
	})
}

// conv1chArgs is what conv1chAVX512 reads (offsets checked by
// TestDwArgsLayout); the first fields are laid out as in dwArgs.
type conv1chArgs struct {
	src, dst                       *float32
	ih, iw, oh, ow, chunks, stride int
	padTop, padLeft                int
	w                              *float32 // 16×9 weights, zero beyond the channels
	masks                          *uint16
	_                              float32
	rowTab                         *int
	bias                           *float32 // 16 biases
	chanStride                     int      // bytes between output planes
	channels                       int      // output channels to store (1..16)
}

//go:noescape
func conv1chAVX512(a *conv1chArgs)

var conv1chOffsets = [...]uintptr{
	unsafe.Offsetof(conv1chArgs{}.src), unsafe.Offsetof(conv1chArgs{}.dst),
	unsafe.Offsetof(conv1chArgs{}.ih), unsafe.Offsetof(conv1chArgs{}.iw),
	unsafe.Offsetof(conv1chArgs{}.oh), unsafe.Offsetof(conv1chArgs{}.ow),
	unsafe.Offsetof(conv1chArgs{}.chunks), unsafe.Offsetof(conv1chArgs{}.stride),
	unsafe.Offsetof(conv1chArgs{}.padTop), unsafe.Offsetof(conv1chArgs{}.padLeft),
	unsafe.Offsetof(conv1chArgs{}.w), unsafe.Offsetof(conv1chArgs{}.masks),
	unsafe.Offsetof(conv1chArgs{}.rowTab), unsafe.Offsetof(conv1chArgs{}.bias),
	unsafe.Offsetof(conv1chArgs{}.chanStride), unsafe.Offsetof(conv1chArgs{}.channels),
}

// conv1ch3x3 computes a 3×3 convolution of a single input channel (the
// stem of small image networks: K = 9 is far too short for the GEMM
// micro-kernel's tiles) with stride 1 or 2 straight from the input: each
// group of 16 outputs of a row loads its nine taps once and feeds one FMA
// chain per output channel, in the taps' order from zero and then the
// bias, as the other paths do. It returns false (doing nothing) when the
// layer does not qualify or the CPU lacks AVX-512.
func conv1ch3x3(ec *execContext, n *Node, w *window, x, wt *Tensor, bias []float32, y *Tensor, act func(dst, src []float32)) bool {
	if !hasAVX512 || w.rank() != 2 || x.Shape[1] != 1 || wt.Shape[1] != 1 || w.kernel[0] != 3 || w.kernel[1] != 3 || w.dil[0] != 1 || w.dil[1] != 1 {
		return false
	}
	s := w.stride[0]
	if w.stride[1] != s || (s != 1 && s != 2) {
		return false
	}
	ih, iw, oh, ow := w.in[0], w.in[1], w.out[0], w.out[1]
	pt, pl := w.padBegin[0], w.padBegin[1]
	inSize, outSize := ih*iw, oh*ow
	if inSize == 0 || outSize == 0 {
		return false
	}
	m := wt.Shape[0]
	chunks := (ow + 15) / 16
	var keyBuf [8]int
	key := append(append(keyBuf[:0], x.Shape...), s, pt, pl, 0)
	plan := ec.cachedPlan(n, planDepthwise, key, func() any {
		return newDwPlan(chunks, s, pl, iw, ow, oh, ih, pt)
	}).(*dwPlan)
	// Weights and biases in blocks of 16 channels, zero-padded.
	blocks := (m + 15) / 16
	wpad := make([]float32, blocks*16*9+blocks*16)
	bpad := wpad[blocks*16*9:]
	copy(wpad, wt.F[:m*9])
	if bias != nil {
		copy(bpad, bias[:m])
	}
	batch := x.Shape[0]
	ec.par(batch*blocks, batch*m*outSize*9, func(i0, i1 int) {
		a := conv1chArgs{ih: ih, iw: iw, oh: oh, ow: ow, chunks: chunks, stride: s, padTop: pt, padLeft: pl,
			masks: &plan.masks[0], rowTab: &plan.rowTab[0], chanStride: outSize * 4}
		for i := i0; i < i1; i++ {
			b, blk := i/blocks, i%blocks
			c0, c1 := blk*16, min(blk*16+16, m)
			src := x.F[b*inSize : (b+1)*inSize]
			dst := y.F[(b*m+c0)*outSize : (b*m+c1)*outSize]
			a.src, a.dst = &src[0], &dst[0]
			a.w, a.bias, a.channels = &wpad[blk*16*9], &bpad[blk*16], c1-c0
			conv1chAVX512(&a)
			if act != nil {
				act(dst, dst)
			}
		}
	})
	return true
}
