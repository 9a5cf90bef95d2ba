package layers

import "runtime"

// This file holds the float32 matrix multiply that Conv, ConvTranspose, Gemm
// and MatMul share. It follows the BLIS design: both operands are packed
// into panels (A in strips of gemmMR rows, B in strips of gemmNR columns,
// gemmKC deep) so that a register-tiled micro-kernel streams through
// contiguous memory; on amd64 with AVX2/FMA the micro-kernel is assembly
// (gemm_amd64.s), elsewhere kernel4x16Go computes the same thing.

const (
	gemmMR = 4   // rows of the micro-kernel tile
	gemmNR = 16  // columns of the micro-kernel tile
	gemmKC = 256 // depth of a packed panel: an A strip plus a B strip fit in L1
	gemmMC = 64  // rows of A walked per B strip: an A block stays in L2

	// Below this many multiply-adds a product runs on one goroutine:
	// starting goroutines would cost more than it saves.
	gemmParallelMin = 1 << 15

	// gemmNTMaxElements bounds (m+n)·k for the unpacked A·Bᵀ path: both
	// operands (up to 1 MiB) stay in L2.
	gemmNTMaxElements = 1 << 18
)

// sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
// where op(A) is m×k, op(B) is k×n and C is m×n with row stride ldc.
// transA means A is stored k×m (row stride lda), otherwise m×k; likewise
// transB. When beta is 0, C is overwritten (its old values, even NaN, are
// ignored). It uses up to ec.Threads goroutines.
func sgemm(ec *execContext, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBuf(ec, nil, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmBuffers holds packing space that a caller running many products
// (one per image of a convolution) reuses between them.
type gemmBuffers struct {
	a, b []float32
}

func (g *gemmBuffers) take(na, nb int) ([]float32, []float32) {
	if g == nil {
		return make([]float32, na), make([]float32, nb)
	}
	if na == 0 {
		if cap(g.b) < nb {
			g.b = make([]float32, nb)
		}
		return nil, g.b[:nb]
	}
	if nb == 0 {
		if cap(g.a) < na {
			g.a = make([]float32, na)
		}
		return g.a[:na], nil
	}
	if cap(g.a) < na {
		g.a = make([]float32, na)
	}
	if cap(g.b) < nb {
		g.b = make([]float32, nb)
	}
	return g.a[:na], g.b[:nb]
}

// sgemmBuf is sgemm with packing space from buf (nil: allocate). buf must
// not be shared between concurrent calls.
func sgemmBuf(ec *execContext, buf *gemmBuffers, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(c, m, n, ldc, beta)
		return
	}
	if m*n*k < gemmParallelMin {
		ec = ec.serial()
	}
	if m == 1 || n == 1 {
		gemv(ec, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// A·Bᵀ with both operands small enough to stay in L2 while every tile
	// streams through them: dot products beat packing.
	if hasDotKernelArch && hasAVX2FMA && !transA && transB && k >= 16 && (m+n)*k <= gemmNTMaxElements {
		gemmNT(ec, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	stripsM := (m + gemmMR - 1) / gemmMR
	stripsN := (n + gemmNR - 1) / gemmNR
	mPad, nPad := stripsM*gemmMR, stripsN*gemmNR
	// Packing writes every element (padding included), so recycled
	// space needs no clearing.
	ap, bp := buf.take(mPad*k, nPad*k)
	ec.parallelFor(stripsM, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			packA(transA, a, lda, m, k, i, alpha, ap, mPad)
		}
	})
	ec.parallelFor(stripsN, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			packB(transB, b, ldb, n, k, j, bp, nPad)
		}
	})
	gemmPacked(ec, m, n, k, ap, bp, beta, c, ldc)
}

// packAAll packs alpha·op(A) for gemmPacked into space from buf.
func packAAll(ec *execContext, buf *gemmBuffers, transA bool, m, k int, alpha float32, a []float32, lda int) []float32 {
	stripsM := (m + gemmMR - 1) / gemmMR
	mPad := stripsM * gemmMR
	ap, _ := buf.take(mPad*k, 0)
	ec.parallelFor(stripsM, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			packA(transA, a, lda, m, k, i, alpha, ap, mPad)
		}
	})
	return ap
}

// packedBWriter returns the packed-B space for a k×n matrix and a function
// that stores row kk of the matrix (n values) into it, for producers such
// as im2col that generate B one row at a time.
func packedBWriter(buf *gemmBuffers, n, k int) ([]float32, func(kk int, row []float32)) {
	stripsN := (n + gemmNR - 1) / gemmNR
	nPad := stripsN * gemmNR
	_, bp := buf.take(0, nPad*k)
	kcb := panelDepth(k)
	return bp, func(kk int, row []float32) {
		pc := kk - kk%kcb
		kc := min(kcb, k-pc)
		base := pc*nPad + (kk-pc)*gemmNR
		for j := range stripsN {
			dst := bp[base+j*gemmNR*kc : base+j*gemmNR*kc+gemmNR]
			col := j * gemmNR
			if col+gemmNR <= n {
				// An array assignment is a few vector moves; copy would
				// be a call per 64 bytes.
				*(*[gemmNR]float32)(dst) = *(*[gemmNR]float32)(row[col : col+gemmNR])
				continue
			}
			copy(dst, row[col:n])
			clear(dst[n-col:])
		}
	}
}

// gemmPacked computes C = ap·bp + beta·C from packed operands (alpha is
// folded into ap).
func gemmPacked(ec *execContext, m, n, k int, ap, bp []float32, beta float32, c []float32, ldc int) {
	if m*n*k < gemmParallelMin {
		ec = ec.serial()
	}
	stripsM := (m + gemmMR - 1) / gemmMR
	stripsN := (n + gemmNR - 1) / gemmNR
	mPad, nPad := stripsM*gemmMR, stripsN*gemmNR
	// Split the tiles between goroutines along the dimension with more
	// strips, so that each goroutine owns a disjoint block of C.
	threads := ec.threads()
	if stripsN >= stripsM || stripsN >= 2*threads {
		ec.parallelFor(stripsN, func(lo, hi int) {
			gemmBlock(0, stripsM, lo, hi, m, n, k, ap, mPad, bp, nPad, beta, c, ldc)
		})
	} else {
		ec.parallelFor(stripsM, func(lo, hi int) {
			gemmBlock(lo, hi, 0, stripsN, m, n, k, ap, mPad, bp, nPad, beta, c, ldc)
		})
	}
}

// serial returns a context that runs on the calling goroutine, for work
// nested inside a parallel loop.
func (ec *execContext) serial() *execContext {
	if ec.one != nil {
		return ec.one
	}
	return &execContext{Threads: 1, weights: ec.weights}
}

// threads returns the number of goroutines parallelFor may use.
func (ec *execContext) threads() int {
	if ec.Threads <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return ec.Threads
}

// gemmBlock computes the tiles of C in row strips [i0, i1) and column strips
// [j0, j1) from the packed panels.
func gemmBlock(i0, i1, j0, j1, m, n, k int, ap []float32, mPad int, bp []float32, nPad int, beta float32, c []float32, ldc int) {
	r0, r1 := i0*gemmMR, min(i1*gemmMR, m)
	c0, c1 := j0*gemmNR, min(j1*gemmNR, n)
	for r := r0; r < r1; r++ {
		scaleRows(c[r*ldc+c0:], 1, c1-c0, ldc, beta)
	}
	var edge [gemmMR * gemmNR]float32
	kcb := panelDepth(k)
	for pc := 0; pc < k; pc += kcb {
		kc := min(kcb, k-pc)
		apc := ap[pc*mPad:]
		bpc := bp[pc*nPad:]
		for ic := i0; ic < i1; ic += gemmMC / gemmMR {
			icEnd := min(ic+gemmMC/gemmMR, i1)
			if hasAVX512 {
				gemmBlockWide(ic, icEnd, j0, j1, m, n, kc, apc, mPad, bpc, nPad, c, ldc)
				continue
			}
			for j := j0; j < j1; j++ {
				bs := bpc[j*gemmNR*kc : (j+1)*gemmNR*kc]
				col := j * gemmNR
				cols := min(gemmNR, n-col)
				for i := ic; i < icEnd; i++ {
					as := apc[i*gemmMR*kc : (i+1)*gemmMR*kc]
					row := i * gemmMR
					rows := min(gemmMR, m-row)
					if rows == gemmMR && cols == gemmNR {
						kernel4x16(kc, as, bs, c[row*ldc+col:], ldc)
						continue
					}
					// A partial tile: compute it in full into a scratch
					// tile (the panels are zero-padded) and add the part
					// that exists.
					edge = [gemmMR * gemmNR]float32{}
					kernel4x16(kc, as, bs, edge[:], gemmNR)
					for r := 0; r < rows; r++ {
						cr := c[(row+r)*ldc+col : (row+r)*ldc+col+cols]
						er := edge[r*gemmNR : r*gemmNR+cols]
						for x := range cr {
							cr[x] += er[x]
						}
					}
				}
			}
		}
	}
}

// gemmBlockWide is the inner part of gemmBlock (one panel of depth kc,
// row strips [i0, i1), column strips [j0, j1)) with the AVX-512 kernel on
// whole blocks of up to 8×32; blocks that cross the edge of C run tile by
// tile through a scratch tile as in gemmBlock.
func gemmBlockWide(i0, i1, j0, j1, m, n, kc int, apc []float32, mPad int, bpc []float32, nPad int, c []float32, ldc int) {
	var edge [gemmMR * gemmNR]float32
	for j := j0; j < j1; j += 2 {
		js := min(2, j1-j)
		col := j * gemmNR
		for i := i0; i < i1; i += 2 {
			is := min(2, i1-i)
			row := i * gemmMR
			as := apc[i*gemmMR*kc : (i+is)*gemmMR*kc]
			if row+is*gemmMR <= m && col+js*gemmNR <= n {
				kernelWide(kc, as, bpc[j*gemmNR*kc:(j+js)*gemmNR*kc], c[row*ldc+col:], ldc, is*gemmMR, js*gemmNR)
				continue
			}
			for jj := j; jj < j+js; jj++ {
				bs := bpc[jj*gemmNR*kc : (jj+1)*gemmNR*kc]
				tc := jj * gemmNR
				cols := min(gemmNR, n-tc)
				for ii := i; ii < i+is; ii++ {
					ts := apc[ii*gemmMR*kc : (ii+1)*gemmMR*kc]
					tr := ii * gemmMR
					rows := min(gemmMR, m-tr)
					if rows == gemmMR && cols == gemmNR {
						kernel4x16(kc, ts, bs, c[tr*ldc+tc:], ldc)
						continue
					}
					edge = [gemmMR * gemmNR]float32{}
					kernel4x16(kc, ts, bs, edge[:], gemmNR)
					for r := 0; r < rows; r++ {
						cr := c[(tr+r)*ldc+tc : (tr+r)*ldc+tc+cols]
						er := edge[r*gemmNR : r*gemmNR+cols]
						for x := range cr {
							cr[x] += er[x]
						}
					}
				}
			}
		}
	}
}

// panelDepth splits k into panels of at most gemmKC of equal depth, so
// that no short last panel pays the micro-kernel's fixed cost for little work.
func panelDepth(k int) int {
	panels := (k + gemmKC - 1) / gemmKC
	return (k + panels - 1) / panels
}

// scaleRows multiplies an m×n block of c (row stride ldc) by beta; beta 0
// writes zeros so that NaN or Inf in uninitialised output cannot leak.
func scaleRows(c []float32, m, n, ldc int, beta float32) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packA copies alpha times rows [s*MR, s*MR+MR) of op(A) into ap, one panel
// per gemmKC-deep slice: within a panel, element (r, kk) of the strip is at
// kk*MR + r. Rows beyond m are zero.
func packA(trans bool, a []float32, lda, m, k, s int, alpha float32, ap []float32, mPad int) {
	kcb := panelDepth(k)
	row0 := s * gemmMR
	for pc := 0; pc < k; pc += kcb {
		kc := min(kcb, k-pc)
		dst := ap[pc*mPad+s*gemmMR*kc : pc*mPad+(s+1)*gemmMR*kc]
		for r := range gemmMR {
			i := row0 + r
			if i >= m {
				for kk := range kc {
					dst[kk*gemmMR+r] = 0
				}
				continue
			}
			if trans {
				for kk := range kc {
					dst[kk*gemmMR+r] = alpha * a[(pc+kk)*lda+i]
				}
			} else {
				src := a[i*lda+pc : i*lda+pc+kc]
				for kk, v := range src {
					dst[kk*gemmMR+r] = alpha * v
				}
			}
		}
	}
}

// packB copies columns [s*NR, s*NR+NR) of op(B) into bp, one panel per
// gemmKC-deep slice: within a panel, element (kk, c) of the strip is at
// kk*NR + c. Columns beyond n are zero.
func packB(trans bool, b []float32, ldb, n, k, s int, bp []float32, nPad int) {
	kcb := panelDepth(k)
	col0 := s * gemmNR
	cols := min(gemmNR, n-col0)
	for pc := 0; pc < k; pc += kcb {
		kc := min(kcb, k-pc)
		dst := bp[pc*nPad+s*gemmNR*kc : pc*nPad+(s+1)*gemmNR*kc]
		if trans {
			for c := range gemmNR {
				if c >= cols {
					for kk := range kc {
						dst[kk*gemmNR+c] = 0
					}
					continue
				}
				src := b[(col0+c)*ldb+pc : (col0+c)*ldb+pc+kc]
				for kk, v := range src {
					dst[kk*gemmNR+c] = v
				}
			}
			continue
		}
		for kk := range kc {
			d := dst[kk*gemmNR : kk*gemmNR+gemmNR]
			if cols == gemmNR {
				*(*[gemmNR]float32)(d) = *(*[gemmNR]float32)(b[(pc+kk)*ldb+col0 : (pc+kk)*ldb+col0+gemmNR])
				continue
			}
			copy(d, b[(pc+kk)*ldb+col0:(pc+kk)*ldb+col0+cols])
			clear(d[cols:])
		}
	}
}

// gemv handles m == 1 or n == 1, where packing would cost as much as the
// product: each output element is a dot product or the output row is a sum
// of scaled rows.
func gemv(ec *execContext, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 1 {
		// c[0, j] = alpha * sum_kk x[kk] * op(B)[kk, j], x = row 0 of op(A).
		x := vectorOf(a, transA, k, lda)
		if transB {
			// op(B)[kk, j] = b[j*ldb+kk]: row j of b is contiguous. Small
			// products run inline, without a closure (which would be
			// allocated) or goroutines (which cost more than they save).
			if ec.threads() == 1 || n*k < parallelThreshold*4 {
				gemvRowsNT(x, b, ldb, k, alpha, beta, c, 0, n)
				return
			}
			ec.parallelFor(n, func(lo, hi int) { gemvRowsNT(x, b, ldb, k, alpha, beta, c, lo, hi) })
			return
		}
		ec.parallelFor((n+63)/64, func(lo, hi int) {
			j0, j1 := lo*64, min(hi*64, n)
			out := c[j0:j1]
			scaleRows(out, 1, len(out), len(out), beta)
			for kk := range k {
				axpy(alpha*x[kk], b[kk*ldb+j0:kk*ldb+j1], out)
			}
		})
		return
	}
	// n == 1: c[i, 0] = alpha * sum_kk op(A)[i, kk] * y[kk], y = column 0 of op(B).
	y := vectorOf(b, !transB, k, ldb)
	if !transA {
		ec.parallelFor(m, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				v := alpha * dot(a[i*lda:i*lda+k], y)
				if beta != 0 {
					v += beta * c[i*ldc]
				}
				c[i*ldc] = v
			}
		})
		return
	}
	// op(A)[i, kk] = a[kk*lda+i]: accumulate scaled rows of a.
	ec.parallelFor((m+63)/64, func(lo, hi int) {
		i0, i1 := lo*64, min(hi*64, m)
		acc := make([]float32, i1-i0)
		for kk := range k {
			axpy(alpha*y[kk], a[kk*lda+i0:kk*lda+i1], acc)
		}
		for i := i0; i < i1; i++ {
			v := acc[i-i0]
			if beta != 0 {
				v += beta * c[i*ldc]
			}
			c[i*ldc] = v
		}
	})
}

// vectorOf returns the k elements of a row (strided false: contiguous from
// index 0) or a column (strided true: element kk at kk*ld) as a contiguous
// slice, copying only when needed.
func vectorOf(s []float32, strided bool, k, ld int) []float32 {
	if !strided || ld == 1 {
		return s[:k]
	}
	v := make([]float32, k)
	for kk := range v {
		v[kk] = s[kk*ld]
	}
	return v
}

// kernel4x16Go is the portable micro-kernel: C[r][0:16] += sum over kk of
// a[kk*4+r] * b[kk*16:kk*16+16].
func kernel4x16Go(kc int, a, b, c []float32, ldc int) {
	var acc [gemmMR][gemmNR]float32
	for kk := range kc {
		bk := (*[gemmNR]float32)(b[kk*gemmNR : kk*gemmNR+gemmNR])
		ak := a[kk*gemmMR : kk*gemmMR+gemmMR]
		for r := range gemmMR {
			av := ak[r]
			ar := &acc[r]
			for x := range gemmNR {
				ar[x] += av * bk[x]
			}
		}
	}
	for r := range gemmMR {
		cr := c[r*ldc : r*ldc+gemmNR]
		for x := range cr {
			cr[x] += acc[r][x]
		}
	}
}

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// kernel4x16IndirectGo is the portable kernel4x16Indirect.
func kernel4x16IndirectGo(kc int, a, b []float32, offs []int, c []float32, ldc int) {
	var acc [gemmMR][gemmNR]float32
	for kk := range kc {
		bk := (*[gemmNR]float32)(b[offs[kk] : offs[kk]+gemmNR])
		ak := a[kk*gemmMR : kk*gemmMR+gemmMR]
		for r := range gemmMR {
			av := ak[r]
			ar := &acc[r]
			for x := range gemmNR {
				ar[x] += av * bk[x]
			}
		}
	}
	for r := range gemmMR {
		cr := c[r*ldc : r*ldc+gemmNR]
		for x := range cr {
			cr[x] += acc[r][x]
		}
	}
}

// kernel1x64IndirectGo is the portable kernel1x64Indirect.
func kernel1x64IndirectGo(kc int, a, b []float32, offs []int, c []float32) {
	c = c[:64]
	for kk := range kc {
		av := a[kk]
		bk := b[offs[kk] : offs[kk]+64]
		for x := range c {
			c[x] += av * bk[x]
		}
	}
}

func maxIntoGo(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		if v > y[i] {
			y[i] = v
		}
	}
}

// gemvRowsNT sets c[j] = alpha·x·b[j,:] + beta·c[j] for j in [lo, hi).
func gemvRowsNT(x, b []float32, ldb, k int, alpha, beta float32, c []float32, lo, hi int) {
	if hasAVX512 && k > 0 {
		var out [8]float32
		for ; lo+8 <= hi; lo += 8 {
			dotRows8(k, x, b[lo*ldb:], ldb, &out)
			for r, v := range out {
				v *= alpha
				if beta != 0 {
					v += beta * c[lo+r]
				}
				c[lo+r] = v
			}
		}
	}
	for j := lo; j < hi; j++ {
		v := alpha * dot(x, b[j*ldb:j*ldb+k])
		if beta != 0 {
			v += beta * c[j]
		}
		c[j] = v
	}
}
