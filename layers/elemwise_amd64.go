package layers

// Vector float32 arithmetic rows (elemwise_amd64.s): d[i] = a[i] op s
// (vs), s op a[i] (sv) or a[i] op b[i] (vv); n any length.

//go:noescape
func vsAddAVX2(n int, s float32, a, d *float32)

//go:noescape
func vsSubAVX2(n int, s float32, a, d *float32)

//go:noescape
func vsMulAVX2(n int, s float32, a, d *float32)

//go:noescape
func vsDivAVX2(n int, s float32, a, d *float32)

//go:noescape
func svSubAVX2(n int, s float32, a, d *float32)

//go:noescape
func svDivAVX2(n int, s float32, a, d *float32)

//go:noescape
func vvAddAVX2(n int, a, b, d *float32)

//go:noescape
func vvSubAVX2(n int, a, b, d *float32)

//go:noescape
func vvMulAVX2(n int, a, b, d *float32)

//go:noescape
func vvDivAVX2(n int, a, b, d *float32)

// arithRow computes a float32 arithmetic row with the vector code when
// both operands are not scalars at once; false means the caller's loop
// must do it (no AVX2, a short row, or another element type).
func arithRow[T num](op byte, d, a []T, sa int, b []T, sb int) bool {
	if !hasAVX2FMA || len(d) < 8 || (sa == 0 && sb == 0) {
		return false
	}
	df, ok := any(d).([]float32)
	if !ok {
		return false
	}
	af, bf := any(a).([]float32), any(b).([]float32)
	n := len(df)
	switch {
	case sa == 1 && sb == 1:
		_, _ = af[n-1], bf[n-1]
		switch op {
		case '+':
			vvAddAVX2(n, &af[0], &bf[0], &df[0])
		case '-':
			vvSubAVX2(n, &af[0], &bf[0], &df[0])
		case '*':
			vvMulAVX2(n, &af[0], &bf[0], &df[0])
		case '/':
			vvDivAVX2(n, &af[0], &bf[0], &df[0])
		}
	case sa == 1:
		_ = af[n-1]
		switch op {
		case '+':
			vsAddAVX2(n, bf[0], &af[0], &df[0])
		case '-':
			vsSubAVX2(n, bf[0], &af[0], &df[0])
		case '*':
			vsMulAVX2(n, bf[0], &af[0], &df[0])
		case '/':
			vsDivAVX2(n, bf[0], &af[0], &df[0])
		}
	default: // sb == 1: a scalar, b a vector
		_ = bf[n-1]
		switch op {
		case '+':
			vsAddAVX2(n, af[0], &bf[0], &df[0])
		case '-':
			svSubAVX2(n, af[0], &bf[0], &df[0])
		case '*':
			vsMulAVX2(n, af[0], &bf[0], &df[0])
		case '/':
			svDivAVX2(n, af[0], &bf[0], &df[0])
		}
	}
	return true
}
