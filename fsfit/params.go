package fsfit

import (
	"fmt"
	"math"
)

// MaxSteps is the largest number of time steps Fit and Params.Validate
// accept.
const MaxSteps = 64

// Params are the per-step parameters of an FS neuron: reset H[t],
// threshold T[t] and output weight D[t] for t = 0..K-1.
type Params struct {
	H []float64 `json:"h"`
	T []float64 `json:"T"`
	D []float64 `json:"d"`
}

// K returns the number of time steps.
func (p Params) K() int { return len(p.H) }

// Validate checks that the three slices have the same length between 1 and
// MaxSteps and hold only finite values.
func (p Params) Validate() error {
	k := len(p.H)
	if k == 0 || k > MaxSteps {
		return fmt.Errorf("fs params: K=%d, want 1..%d", k, MaxSteps)
	}
	if len(p.T) != k || len(p.D) != k {
		return fmt.Errorf("fs params: lengths differ: h %d, T %d, d %d", k, len(p.T), len(p.D))
	}
	for name, s := range map[string][]float64{"h": p.H, "T": p.T, "d": p.D} {
		for i, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("fs params: %s[%d] = %v is not finite", name, i, v)
			}
		}
	}
	return nil
}

// Clone returns a deep copy of p.
func (p Params) Clone() Params {
	return Params{
		H: append([]float64(nil), p.H...),
		T: append([]float64(nil), p.T...),
		D: append([]float64(nil), p.D...),
	}
}

// Forward runs the FS neuron on x (the semantics of the package comment)
// and returns its output and the number of spikes it emitted.
func (p Params) Forward(x float64) (out float64, spikes int) {
	v := x
	for t, th := range p.T {
		if v > th {
			out += p.D[t]
			v -= p.H[t]
			spikes++
		}
	}
	return out, spikes
}

// Float32 returns the parameters rounded to float32, the precision the
// network engine runs FS neurons in.
func (p Params) Float32() (h, t, d []float32) {
	conv := func(s []float64) []float32 {
		r := make([]float32, len(s))
		for i, v := range s {
			r[i] = float32(v)
		}
		return r
	}
	return conv(p.H), conv(p.T), conv(p.D)
}

// Metrics are the errors of an FS approximation over a set of inputs.
type Metrics struct {
	MSE            float64 // (weighted) mean squared error
	MaxAbsError    float64 // largest |out - f| over inputs of nonzero weight
	SpikesPerInput float64 // (weighted) mean number of spikes
}

// Evaluate measures params against act on the inputs xs. weights, if not
// nil, must have len(xs) entries; they are normalised to sum to one.
// Entries of zero weight are ignored for the max error too.
func Evaluate(act Activation, p Params, xs, weights []float64) Metrics {
	var m Metrics
	if len(xs) == 0 {
		return m
	}
	var wsum float64
	for i, x := range xs {
		w := 1.0
		if weights != nil {
			w = weights[i]
			if w == 0 {
				continue
			}
		}
		out, s := p.Forward(x)
		e := out - act.F(x)
		m.MSE += w * e * e
		m.SpikesPerInput += w * float64(s)
		m.MaxAbsError = math.Max(m.MaxAbsError, math.Abs(e))
		wsum += w
	}
	if wsum > 0 {
		m.MSE /= wsum
		m.SpikesPerInput /= wsum
	}
	return m
}

// Linspace returns n evenly spaced points from lo to hi inclusive (as
// torch.linspace, which the papers' error figures use).
func Linspace(lo, hi float64, n int) []float64 {
	xs := make([]float64, n)
	if n == 1 {
		xs[0] = lo
		return xs
	}
	step := (hi - lo) / float64(n-1)
	for i := range xs {
		xs[i] = lo + float64(i)*step
	}
	xs[n-1] = hi
	return xs
}
