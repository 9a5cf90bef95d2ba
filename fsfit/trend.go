package fsfit

import "math"

// Trend is a least-squares fit of one parameter sequence p[t-1] against
// the step number t = 1..K, the re-initialisation rule of TBPI (Jeong et
// al. 2024): either quadratic a t² + b t + c or logarithmic a ln t + b,
// whichever leaves the smaller sum of squared residuals.
type Trend struct {
	Family string    // "quadratic" or "logarithmic"
	Coef   []float64 // a, b, c (quadratic) or a, b (logarithmic)
	SSE    float64   // sum of squared residuals
}

// At evaluates the trend at step t (1-based).
func (tr Trend) At(t int) float64 {
	x := float64(t)
	if tr.Family == "logarithmic" {
		return tr.Coef[0]*math.Log(x) + tr.Coef[1]
	}
	return tr.Coef[0]*x*x + tr.Coef[1]*x + tr.Coef[2]
}

// FitTrend fits both families to y (y[t-1] at step t) and returns the
// better one. With fewer than three points the quadratic is not
// determined and the logarithmic trend is used.
func FitTrend(y []float64) Trend {
	quad := lsqBasis(y, func(t float64) []float64 { return []float64{t * t, t, 1} })
	lg := lsqBasis(y, func(t float64) []float64 { return []float64{math.Log(t), 1} })
	q := Trend{Family: "quadratic", Coef: quad, SSE: sse(y, quad, func(t float64) []float64 { return []float64{t * t, t, 1} })}
	l := Trend{Family: "logarithmic", Coef: lg, SSE: sse(y, lg, func(t float64) []float64 { return []float64{math.Log(t), 1} })}
	if len(y) < 3 || quad == nil || l.SSE <= q.SSE {
		return l
	}
	return q
}

// lsqBasis solves the least-squares fit of y against the basis functions
// at t = 1..len(y) through the normal equations (at most 3 unknowns).
func lsqBasis(y []float64, basis func(t float64) []float64) []float64 {
	m := len(basis(1))
	a := make([]float64, m*m)
	rhs := make([]float64, m)
	for i, v := range y {
		phi := basis(float64(i + 1))
		for r := 0; r < m; r++ {
			rhs[r] += phi[r] * v
			for c := 0; c < m; c++ {
				a[r*m+c] += phi[r] * phi[c]
			}
		}
	}
	var tr float64
	for r := 0; r < m; r++ {
		tr += a[r*m+r]
	}
	for r := 0; r < m; r++ {
		a[r*m+r] += 1e-14 * tr
	}
	x, ok := choleskySolve(a, rhs, m)
	if !ok {
		return nil
	}
	return x
}

func sse(y, coef []float64, basis func(t float64) []float64) float64 {
	if coef == nil {
		return math.Inf(1)
	}
	var s float64
	for i, v := range y {
		phi := basis(float64(i + 1))
		var p float64
		for j, c := range coef {
			p += c * phi[j]
		}
		s += (p - v) * (p - v)
	}
	return s
}
