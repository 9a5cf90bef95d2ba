package layers

import "math"

// Float32 versions of exp and erf for the activation hot paths. Go's math
// package works in float64 and is several times slower than these; their
// accuracy (exp32: within 2 ulp; erf32: absolute error below 6e-7, used only inside GELU) is far
// inside the 1e-5 relative / 1e-4 absolute agreement the engine promises.

// exp32 is the Cephes expf: exp(x) = 2^n · exp(r) with |r| <= ln2/2 and a
// degree-6 polynomial for exp(r). Overflow gives +Inf, underflow 0.
func exp32(x float32) float32 {
	const (
		hi     = 88.3762626647950
		lo     = -88.3762626647949
		log2e  = 1.44269504088896341
		c1     = 0.693359375
		c2     = -2.12194440e-4
		p0     = 1.9875691500e-4
		p1     = 1.3981999507e-3
		p2     = 8.3334519073e-3
		p3     = 4.1665795894e-2
		p4     = 1.6666665459e-1
		p5     = 5.0000001201e-1
		mantis = 23
	)
	if x > hi {
		x = hi
	}
	if x < lo {
		x = lo
	}
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*c1
	r -= n * c2
	z := r * r
	y := ((((((p0*r+p1)*r+p2)*r+p3)*r+p4)*r+p5)*z + r) + 1
	// 2^n by building the exponent bits; n in [-127, 128]: -127 gives 0
	// (flushed subnormal), 128 gives +Inf.
	return y * math.Float32frombits(uint32(int32(n)+127)<<mantis)
}

// erf32 is Abramowitz & Stegun 7.1.26 (1.5e-7 in exact arithmetic; below 6e-7 in float32).
func erf32(x float32) float32 {
	const (
		p  = 0.3275911
		a1 = 0.254829592
		a2 = -0.284496736
		a3 = 1.421413741
		a4 = -1.453152027
		a5 = 1.061405429
	)
	ax := x
	if ax < 0 {
		ax = -ax
	}
	t := 1 / (1 + p*ax)
	y := 1 - ((((a5*t+a4)*t+a3)*t+a2)*t+a1)*t*exp32(-ax*ax)
	if x < 0 {
		return -y
	}
	return y
}

// tanh32 is the Cephes tanhf: an odd polynomial for |x| < 0.625, else
// 1 - 2/(exp(2|x|) + 1).
func tanh32(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax < 0.625 {
		z := x * x
		return x + x*z*((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)
	}
	y := 1 - 2/(exp32(2*ax)+1)
	if x < 0 {
		return -y
	}
	return y
}

// log32 is the Cephes logf for positive normal x: x = m·2^e with m in
// [√½, √2), log(m) from a degree-9 polynomial in m-1.
func log32(x float32) float32 {
	bits := math.Float32bits(x)
	e := int32(bits>>23) - 126 // x = m·2^e, m in [0.5, 1)
	m := math.Float32frombits(bits&0x007fffff | 0x3f000000)
	if m < 0.70710677 {
		e--
		m = m + m - 1
	} else {
		m = m - 1
	}
	z := m * m
	y := ((((((((7.0376836292e-2*m-1.1514610310e-1)*m+1.1676998740e-1)*m-1.2420140846e-1)*m+
		1.4249322787e-1)*m-1.6668057665e-1)*m+2.0000714765e-1)*m-2.4999993993e-1)*m + 3.3333331174e-1) * m * z
	fe := float32(e)
	y += -2.12194440e-4 * fe
	y += -0.5 * z
	return m + y + 0.693359375*fe
}

// log1p32 is log(1+u) for u >= 0, accurate for small u: log(w)·u/(w-1)
// with w = 1+u rounded corrects the rounding of w (Goldberg).
func log1p32(u float32) float32 {
	w := 1 + u
	if w == 1 {
		return u
	}
	return log32(w) * (u / (w - 1))
}

// softplus32 is log(1+exp(x)) = max(x, 0) + log1p(exp(-|x|)), which
// neither overflows nor loses the small values of large negative x.
func softplus32(x float32) float32 {
	if x > 0 {
		return x + log1p32(exp32(-x))
	}
	return log1p32(exp32(x))
}

// expm132 is exp(x)-1 for x <= 0 (ELU's negative side): a Taylor
// polynomial where the subtraction would cancel (|x| < 0.5; truncation
// below 3e-7 relative), exp32(x)-1 beyond.
func expm132(x float32) float32 {
	if x > -0.5 {
		return x * (1 + x*(1.0/2+x*(1.0/6+x*(1.0/24+x*(1.0/120+x*(1.0/720+x*(1.0/5040)))))))
	}
	return exp32(x) - 1
}
