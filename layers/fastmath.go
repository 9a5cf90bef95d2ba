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
