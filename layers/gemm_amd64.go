package layers

//go:noescape
func sgemmKernel4x16AVX2(kc int, a, b, c *float32, ldc int)

//go:noescape
func dotAVX2(n int, x, y *float32) float32

//go:noescape
func axpyAVX2(n int, alpha float32, x, y *float32)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// hasAVX2FMA reports whether the CPU and the operating system support the
// AVX2 and FMA instructions the assembly kernels use. It is computed once at
// start-up and never changes, so it is not mutable state.
var hasAVX2FMA = detectAVX2FMA()

func detectAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	// The OS must save the YMM registers (XCR0 bits 1 and 2).
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// hasAVX512 reports whether the CPU and the operating system support the
// AVX-512 Foundation instructions (with the opmask and upper ZMM state
// saved by the OS). Computed once at start-up; never changes.
var hasAVX512 = hasAVX2FMA && detectAVX512()

func detectAVX512() bool {
	// XCR0 bits 5-7: opmask registers, upper halves of ZMM0-15, ZMM16-31.
	if xcr0, _ := xgetbv(); xcr0&0xe0 != 0xe0 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0 // AVX512F
}

func kernel4x16(kc int, a, b, c []float32, ldc int) {
	if kc == 0 {
		return
	}
	if hasAVX2FMA {
		// Bounds were established by the caller; check the extremes so that
		// a bug there panics in Go instead of corrupting memory.
		_ = a[kc*gemmMR-1]
		_ = b[kc*gemmNR-1]
		_ = c[(gemmMR-1)*ldc+gemmNR-1]
		sgemmKernel4x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
		return
	}
	kernel4x16Go(kc, a, b, c, ldc)
}

func dot(x, y []float32) float32 {
	if hasAVX2FMA && len(x) > 0 {
		_ = y[len(x)-1]
		return dotAVX2(len(x), &x[0], &y[0])
	}
	return dotGo(x, y)
}

func axpy(alpha float32, x, y []float32) {
	if hasAVX2FMA && len(x) > 0 {
		_ = y[len(x)-1]
		axpyAVX2(len(x), alpha, &x[0], &y[0])
		return
	}
	axpyGo(alpha, x, y)
}

//go:noescape
func dotKernel4x3AVX512(k int, a *float32, lda int, b *float32, ldb int, out *float32)

//go:noescape
func dotKernel4x3AVX2(k8 int, a *float32, lda int, b *float32, ldb int, out *float32)

// hasDotKernel reports whether dotKernel4x3 runs in assembly; without it
// the packed GEMM is faster than Go dot products.
const hasDotKernelArch = true

// dotKernel4x3 sets out[r*3+c] to the dot product of row r of a (stride
// lda) with row c of b (stride ldb) over k elements, for r < 4, c < 3.
func dotKernel4x3(k int, a []float32, lda int, b []float32, ldb int, out *[12]float32) {
	_ = a[3*lda+k-1]
	_ = b[2*ldb+k-1]
	if hasAVX512 {
		dotKernel4x3AVX512(k, &a[0], lda, &b[0], ldb, &out[0])
		return
	}
	k8 := k / 8
	dotKernel4x3AVX2(k8, &a[0], lda, &b[0], ldb, &out[0])
	for kk := k8 * 8; kk < k; kk++ {
		for r := range 4 {
			av := a[r*lda+kk]
			for c := range 3 {
				out[r*3+c] += av * b[c*ldb+kk]
			}
		}
	}
}

//go:noescape
func sgemmKernel4x16IndirectAVX2(kc int, a, b *float32, offs *int, c *float32, ldc int)

// kernel4x16Indirect is kernel4x16 with B read in place: row k of the B
// strip is b[offs[k] : offs[k]+16].
func kernel4x16Indirect(kc int, a, b []float32, offs []int, c []float32, ldc int) {
	if kc == 0 {
		return
	}
	if hasAVX2FMA {
		_ = a[kc*gemmMR-1]
		_ = offs[kc-1]
		_ = c[(gemmMR-1)*ldc+gemmNR-1]
		// The caller guarantees that every offs[k]+16 is within b.
		sgemmKernel4x16IndirectAVX2(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		return
	}
	kernel4x16IndirectGo(kc, a, b, offs, c, ldc)
}

//go:noescape
func sgemmKernel1x64IndirectAVX2(kc int, a, b *float32, offs *int, c *float32)

// kernel1x64Indirect sets c[0:64] += sum over k of a[k]·b[offs[k]:offs[k]+64].
func kernel1x64Indirect(kc int, a, b []float32, offs []int, c []float32) {
	if kc == 0 {
		return
	}
	if hasAVX2FMA {
		_ = a[kc-1]
		_ = offs[kc-1]
		_ = c[63]
		// The caller guarantees that every offs[k]+64 is within b.
		sgemmKernel1x64IndirectAVX2(kc, &a[0], &b[0], &offs[0], &c[0])
		return
	}
	kernel1x64IndirectGo(kc, a, b, offs, c)
}

//go:noescape
func maxIntoAVX2(n int, x, y *float32)

// maxInto sets y[i] = max(x[i], y[i]).
func maxInto(x, y []float32) {
	if hasAVX2FMA && len(x) > 0 {
		_ = y[len(x)-1]
		maxIntoAVX2(len(x), &x[0], &y[0])
		return
	}
	maxIntoGo(x, y)
}

//go:noescape
func addScalarAVX2(n int, b float32, src, dst *float32)

// addBias sets dst = src + b element by element.
func addBias(dst, src []float32, b float32) {
	if hasAVX2FMA && len(dst) > 0 {
		_ = src[len(dst)-1]
		addScalarAVX2(len(dst), b, &src[0], &dst[0])
		return
	}
	addBiasGo(dst, src, b)
}

//go:noescape
func maxPool2x2AVX2(n int, r0, r1, out *float32)

//go:noescape
func avgPool2x2AVX2(n int, r0, r1, out *float32)

// pool2x2Row sets out[i] from the 2×2 window at columns 2i, 2i+1 of rows
// r0 and r1 (max, or mean summing the rows first); the vector code does
// the multiple of 8 and pool2x2RowGo the rest.
func pool2x2Row(out, r0, r1 []float32, isMax bool) {
	n := len(out) &^ 7
	if hasAVX2FMA && n > 0 {
		_, _ = r0[2*len(out)-1], r1[2*len(out)-1]
		if isMax {
			maxPool2x2AVX2(n, &r0[0], &r1[0], &out[0])
		} else {
			avgPool2x2AVX2(n, &r0[0], &r1[0], &out[0])
		}
	} else {
		n = 0
	}
	pool2x2RowGo(out[n:], r0[2*n:], r1[2*n:], isMax)
}

//go:noescape
func maxPool3s2AVX2(n int, acc, out *float32)

//go:noescape
func avgPool3s2AVX2(n int, acc, out *float32, div float32)

// pool3s2Row sets out[i] to the maximum, or the left-to-right sum divided
// by div, of acc[2i : 2i+3] for the largest multiple of 8 outputs, and
// returns how many it computed (0 without AVX2). acc must hold 2·len(out)+2
// values beyond the last window's end (one past it is read).
func pool3s2Row(out, acc []float32, isMax bool, div float32) int {
	n := len(out) &^ 7
	if !hasAVX2FMA || n == 0 {
		return 0
	}
	_ = acc[2*n+1]
	if isMax {
		maxPool3s2AVX2(n, &acc[0], &out[0])
	} else {
		avgPool3s2AVX2(n, &acc[0], &out[0], div)
	}
	return n
}

//go:noescape
func maxRowsAVX2(n, nrows int, r0, r1, r2, dst *float32)

//go:noescape
func sumRowsAVX2(n, nrows int, r0, r1, r2, dst *float32)

// reduceRows sets dst to the element-wise maximum (or left-to-right sum)
// of one to three rows of len(dst) values, in one call instead of a copy
// and one call per further row.
func reduceRows(dst []float32, rows [][]float32, isMax bool) {
	n := len(dst)
	if !hasAVX2FMA || n == 0 || len(rows) > 3 {
		reduceRowsGo(dst, rows, isMax)
		return
	}
	var p [3]*float32
	for i := range p {
		r := rows[min(i, len(rows)-1)]
		_ = r[n-1]
		p[i] = &r[0]
	}
	if isMax {
		maxRowsAVX2(n, len(rows), p[0], p[1], p[2], &dst[0])
	} else {
		sumRowsAVX2(n, len(rows), p[0], p[1], p[2], &dst[0])
	}
}
