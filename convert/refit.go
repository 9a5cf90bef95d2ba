package convert

import (
	"math"
	"math/bits"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// refitShare is the share of the least-squares weight on the site's real
// inputs; the rest is spread uniformly over their range, for the reason
// of uniformFloor.
const refitShare = 0.95

// refitGrid is the number of uniform points standing for the floor.
const refitGrid = 1024

// refitD re-solves the output weights d of p for the site's real inputs
// xs. Which steps spike depends only on h and T, so d enters the output
// linearly: the best d for the site's distribution is a small least-squares
// problem, and the spike count does not change. It is solved under the
// constraint that the error has zero mean over xs, so the FS approximation
// adds no bias to what the next layer sums up. Steps that never spike on
// these inputs keep their d. ok is false when the system is singular.
func refitD(act fsfit.Activation, p layers.FSParams, xs []float32) (layers.FSParams, bool) {
	return refitWeights(p, newFitSample(act, xs, refitGrid), false)
}

// fitSample is a sample of inputs with the activation's values on it and
// on the uniform grid over its range that stands for the floor (see
// refitShare), computed once for the many candidates refitted on it.
type fitSample struct {
	xs, grid   []float32
	fxs, fgrid []float64
}

func newFitSample(act fsfit.Activation, xs []float32, gridPoints int) fitSample {
	s := fitSample{xs: xs, fxs: make([]float64, len(xs))}
	if len(xs) == 0 {
		return s
	}
	mn, mx := xs[0], xs[0]
	for i, x := range xs {
		mn, mx = min(mn, x), max(mx, x)
		s.fxs[i] = act.F(float64(x))
	}
	if mx > mn {
		s.grid, s.fgrid = make([]float32, gridPoints), make([]float64, gridPoints)
		for i := range gridPoints {
			s.grid[i] = mn + (mx-mn)*float32(i)/float32(gridPoints-1)
			s.fgrid[i] = act.F(float64(s.grid[i]))
		}
	}
	return s
}

// refitWeights is refitD, with intercept also solving for a constant added
// to the output (returned as Bias of length 1): an intercept lets the
// neuron stay silent where f is nearly constant instead of spending a
// spike on every input to produce that constant.
func refitWeights(p layers.FSParams, sample fitSample, intercept bool) (layers.FSParams, bool) {
	xs := sample.xs
	steps := p.K()
	if len(xs) == 0 || steps == 0 || (intercept && steps >= 64) {
		return p, false
	}
	// The intercept is solved as one more step that always spikes.
	k := steps
	if intercept {
		k++
	}
	// Normal equations of the weighted least squares, and the mean spike
	// pattern over xs for the zero-mean constraint. The matrix depends on
	// the inputs only through their spike patterns, of which there are
	// few: it is summed per distinct pattern (in order of first sight, so
	// the result is deterministic), not per input.
	a := make([]float64, k*k)
	b := make([]float64, k)
	c := make([]float64, k)
	var meanF float64
	var patterns []uint64
	var patternWeight []float64
	index := make(map[uint64]int)
	// Neighbouring inputs (a feature map's background, say) often share
	// a pattern: remember the last one before asking the map.
	lastMask, lastJ := uint64(0), -1
	accumulate := func(x float32, f, w float64, real bool) {
		var mask uint64
		if intercept {
			mask = 1 << steps
		}
		v := x
		for t := range steps {
			if v > p.T[t] {
				mask |= 1 << t
				v -= p.H[t]
			}
		}
		j := lastJ
		if j < 0 || mask != lastMask {
			var ok bool
			if j, ok = index[mask]; !ok {
				j = len(patterns)
				index[mask] = j
				patterns = append(patterns, mask)
				patternWeight = append(patternWeight, 0)
			}
			lastMask, lastJ = mask, j
		}
		patternWeight[j] += w
		for m := mask; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			b[i] += w * f
			if real {
				c[i] += 1 / float64(len(xs))
			}
		}
		if real {
			meanF += f / float64(len(xs))
		}
	}
	for i, x := range xs {
		accumulate(x, sample.fxs[i], refitShare/float64(len(xs)), true)
	}
	for i, x := range sample.grid {
		accumulate(x, sample.fgrid[i], (1-refitShare)/float64(len(sample.grid)), false)
	}
	for j, mask := range patterns {
		for mi := mask; mi != 0; mi &= mi - 1 {
			i := bits.TrailingZeros64(mi)
			for mj := mask; mj != 0; mj &= mj - 1 {
				a[i*k+bits.TrailingZeros64(mj)] += patternWeight[j]
			}
		}
	}
	// Active steps: those that spike on some input.
	var active []int
	for i := range k {
		if a[i*k+i] > 0 {
			active = append(active, i)
		}
	}
	n := len(active)
	if n == 0 {
		return p, false
	}
	// KKT system [[A c] [cᵀ 0]] [d μ] = [b meanF] over the active steps.
	m := n + 1
	sys := make([]float64, m*(m+1))
	for r, i := range active {
		for s, j := range active {
			sys[r*(m+1)+s] = a[i*k+j]
		}
		sys[r*(m+1)+n] = c[i]
		sys[n*(m+1)+r] = c[i]
		sys[r*(m+1)+m] = b[i]
		sys[r*(m+1)+r] += 1e-10 // keeps steps that always spike together solvable
	}
	sys[n*(m+1)+m] = meanF
	sol, ok := solve(sys, m)
	if !ok {
		return p, false
	}
	out := layers.FSParams{H: append([]float32(nil), p.H...), T: append([]float32(nil), p.T...), D: append([]float32(nil), p.D...)}
	if intercept {
		out.Bias = []float32{0}
	}
	for r, i := range active {
		if math.IsNaN(sol[r]) || math.IsInf(sol[r], 0) || math.Abs(sol[r]) > math.MaxFloat32 {
			return p, false
		}
		if i == steps {
			out.Bias[0] = float32(sol[r])
		} else {
			out.D[i] = float32(sol[r])
		}
	}
	return out, true
}

// solve solves the m×m system held row by row in aug (each row m
// coefficients and the right-hand side) by Gaussian elimination with
// partial pivoting; ok is false when it is singular.
func solve(aug []float64, m int) ([]float64, bool) {
	w := m + 1
	for col := range m {
		piv := col
		for r := col + 1; r < m; r++ {
			if math.Abs(aug[r*w+col]) > math.Abs(aug[piv*w+col]) {
				piv = r
			}
		}
		if math.Abs(aug[piv*w+col]) < 1e-300 {
			return nil, false
		}
		if piv != col {
			for j := range w {
				aug[col*w+j], aug[piv*w+j] = aug[piv*w+j], aug[col*w+j]
			}
		}
		for r := range m {
			if r == col {
				continue
			}
			f := aug[r*w+col] / aug[col*w+col]
			if f == 0 {
				continue
			}
			for j := col; j < w; j++ {
				aug[r*w+j] -= f * aug[col*w+j]
			}
		}
	}
	x := make([]float64, m)
	for i := range m {
		x[i] = aug[i*w+m] / aug[i*w+i]
	}
	return x, true
}
