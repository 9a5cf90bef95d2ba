package fsfit

import "math"

// Settings of the project's own method ("auto").
const (
	autoEpochs      = 600  // soft-continuation Adam epochs per start
	autoTrainPoints = 2000 // points while comparing starts
	autoFinalPoints = 6000 // points for the final refinement
	autoMaxSweeps   = 15   // block coordinate sweeps per polish
)

// autoStarts are the ratios β of the greedy β-expansion starts: thresholds
// spread over the range like a binary expansion (β = 2) but redundant
// (β < 2), which training can bend to curvature; found best for the
// catalogue by experiment.
var autoStarts = []float64{1.25, 1.4}

// betaStart is the greedy β-expansion of x - lo over [lo, hi]:
// h[t] = c β^-t with Σ h = hi - lo, T[t] = lo + h[t]. d is left zero (it is
// solved by least squares).
func (f *fitter) betaStart(beta float64) Params {
	r := f.hi - f.lo
	c := r * (1 - 1/beta) / (1 - math.Pow(beta, -float64(f.k)))
	p := Params{H: make([]float64, f.k), T: make([]float64, f.k), D: make([]float64, f.k)}
	for t := 0; t < f.k; t++ {
		p.H[t] = c * math.Pow(beta, -float64(t))
		p.T[t] = f.lo + p.H[t]
	}
	return p
}

// auto is the project's method. From each β-expansion start: variable
// projection (d is the exact least-squares solution at every epoch, Adam
// moves only h and T) with a continuation from a smoothed step to the hard
// one and a cosine learning-rate decay, then block coordinate search (each
// step's T and d exactly, h on a grid) on the true loss. The best start is
// refined on more points.
func (f *fitter) auto() Params {
	e := autoEpochs
	if f.opt.Epochs > 0 {
		e = f.opt.Epochs
	}
	unit := (f.hi - f.lo) / 20 // [-8, 12] has unit 1, the papers' scale
	f.plan(len(autoStarts)*(e+e/2+autoMaxSweeps) + e/2 + autoMaxSweeps)

	b := f.batch(autoTrainPoints)
	s := newSearcher(b, f.hi-f.lo)
	var best Params
	bestLoss := math.Inf(1)
	for _, beta := range autoStarts {
		p := f.betaStart(beta)
		trainAdam(b, p, trainConfig{epochs: e, sched: schedule{0.03 * unit, 0.1},
			width: 0.01 * unit, soft: unit, varPro: true, tick: f.tick})
		l := trainAdam(b, p, trainConfig{epochs: e / 2, sched: schedule{0.01 * unit, 0.01},
			width: unit, varPro: true, tick: f.tick})
		l = f.polish(s, p, l)
		if l < bestLoss {
			best, bestLoss = p, l
		}
	}

	fb := f.batch(autoFinalPoints)
	fs := newSearcher(fb, f.hi-f.lo)
	l := trainAdam(fb, best, trainConfig{epochs: e / 2, sched: schedule{0.003 * unit, 0.01},
		width: unit, varPro: true, tick: f.tick})
	f.polish(fs, best, l)
	return best
}

// polish runs block sweeps until the loss improves by less than 0.1%.
func (f *fitter) polish(s *searcher, p Params, cur float64) float64 {
	for i := 0; i < autoMaxSweeps; i++ {
		next := s.blockSweep(p, cur)
		f.tick()
		improved := next < cur*(1-1e-3)
		cur = math.Min(cur, next)
		if !improved {
			break
		}
	}
	return cur
}
