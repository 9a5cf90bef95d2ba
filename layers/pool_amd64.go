package layers

import "unsafe"

// pool3s2Args is what poolPlane3s2AVX512 reads; the assembly addresses
// the fields by offset, checked by TestPool3s2ArgsLayout.
type pool3s2Args struct {
	src, out           *float32
	oh, ow, chunks, iw int
	rows               *int     // per output row: first input row, row count
	divs               *float32 // per output row: the average's divisor
	masks              *uint16  // per 16 outputs: three load masks, one store mask
	padLeft            int
	pad                float32
	isMax              bool
}

//go:noescape
func poolPlane3s2AVX512(a *pool3s2Args)

// pool3s2Offsets are the byte offsets of pool3s2Args' fields that the
// assembly uses, in declaration order.
var pool3s2Offsets = [...]uintptr{
	unsafe.Offsetof(pool3s2Args{}.src), unsafe.Offsetof(pool3s2Args{}.out),
	unsafe.Offsetof(pool3s2Args{}.oh), unsafe.Offsetof(pool3s2Args{}.ow),
	unsafe.Offsetof(pool3s2Args{}.chunks), unsafe.Offsetof(pool3s2Args{}.iw),
	unsafe.Offsetof(pool3s2Args{}.rows), unsafe.Offsetof(pool3s2Args{}.divs),
	unsafe.Offsetof(pool3s2Args{}.masks), unsafe.Offsetof(pool3s2Args{}.padLeft),
	unsafe.Offsetof(pool3s2Args{}.pad), unsafe.Offsetof(pool3s2Args{}.isMax),
}

// pool3s2PlanesAVX512 runs pool3s2 one whole plane per assembly call:
// on small planes the per-row calls of the AVX2 path cost more than the
// arithmetic. It returns false (doing nothing) without AVX-512.
func pool3s2PlanesAVX512(ec *execContext, x, y []float32, planes, ih, iw, oh, ow, padLeft int, rows []int, divs []float32, masks []uint16, isMax bool, padValue float32, fix func(src, dst []float32)) bool {
	if !hasAVX512 || ih*iw == 0 || oh*ow == 0 || masks == nil {
		return false
	}
	chunks := (ow + 15) / 16
	ec.par(planes, len(x), func(p0, p1 int) {
		a := pool3s2Args{oh: oh, ow: ow, chunks: chunks, iw: iw, rows: &rows[0], divs: &divs[0],
			masks: &masks[0], padLeft: padLeft, pad: padValue, isMax: isMax}
		for p := p0; p < p1; p++ {
			src := x[p*ih*iw : (p+1)*ih*iw]
			dst := y[p*oh*ow : (p+1)*oh*ow]
			a.src, a.out = &src[0], &dst[0]
			poolPlane3s2AVX512(&a)
			fix(src, dst)
		}
	})
	return true
}

// pool3s2Masks returns, per 16 outputs of a row, the load masks of the 33
// input columns the windows cover and the store mask (nil without
// AVX-512).
func pool3s2Masks(iw, ow, padLeft int) []uint16 {
	if !hasAVX512 || ow == 0 {
		return nil
	}
	chunks := (ow + 15) / 16
	masks := make([]uint16, 4*chunks)
	for c := range chunks {
		var m [4]uint16
		for j := range 33 {
			col := 32*c - padLeft + j
			if col >= 0 && col < iw {
				m[j/16] |= 1 << (j % 16)
			}
		}
		for i := range 16 {
			if 16*c+i < ow {
				m[3] |= 1 << i
			}
		}
		copy(masks[4*c:], m[:])
	}
	return masks
}

//go:noescape
func meanPlanesAVX512(n, planes int, src, dst *float32)

// meanPlanes sets dst[p] to the mean of src[p*n : (p+1)*n], summed in
// float64, one call for all the planes (GlobalAveragePool); it returns
// false without AVX-512.
func meanPlanes(dst, src []float32, n int) bool {
	if !hasAVX512 || n == 0 || len(dst) == 0 {
		return false
	}
	_ = src[len(dst)*n-1]
	meanPlanesAVX512(n, len(dst), &src[0], &dst[0])
	return true
}

//go:noescape
func rowsScalarAVX512(rows, l int, a *float32, lda int, s, dst *float32, ldd int, add bool)

// rowsScalar sets dst[r*ldd+i] = a[r*lda+i]·s[r] (or + s[r] when add) for
// r < len(s), i < l, in one call; false without AVX-512.
func rowsScalar(dst []float32, ldd int, a []float32, lda int, s []float32, l int, add bool) bool {
	rows := len(s)
	if !hasAVX512 || rows == 0 || l == 0 {
		return false
	}
	_, _ = a[(rows-1)*lda+l-1], dst[(rows-1)*ldd+l-1]
	rowsScalarAVX512(rows, l, &a[0], lda, &s[0], &dst[0], ldd, add)
	return true
}
