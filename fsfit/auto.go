package fsfit

import (
	"math"
	"sort"
)

// Settings of the project's own method ("auto"), chosen by experiment on
// Swish (see docs/fit-bench.md).
const (
	autoStarts      = 16   // population of starts
	autoKeep        = 2    // best starts refined on more points
	autoEpochs      = 300  // soft-continuation epochs per start
	autoTrainPoints = 500  // points while screening starts
	autoFinalPoints = 3000 // points for the refinement
	autoMaxSweeps   = 15   // block coordinate sweeps per polish
)

// betaStart is the greedy β-expansion of x - lo over [lo, hi]:
// h[t] = c β^-t with Σ h = hi - lo, T[t] = lo + h[t], d zero (it is solved
// by least squares). β = 2 is the binary expansion; β < 2 is redundant,
// which training can bend to curvature.
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

// start returns the i-th start of the population: in turn the papers'
// random start (rescaled to the range), a jittered β-expansion, and random
// resets with thresholds spread uniformly over the range.
func (f *fitter) start(i int, unit float64) Params {
	switch i % 3 {
	case 1:
		p := f.betaStart(1.2 + 0.3*f.rng.Float64())
		for t := range p.H {
			p.H[t] *= math.Exp(0.3 * f.rng.NormFloat64())
			p.T[t] += 0.3 * unit * f.rng.NormFloat64()
		}
		return p
	case 2:
		p := f.randomParams()
		for t := range p.H {
			p.H[t] *= 2 * unit
			p.T[t] = f.lo + (f.hi-f.lo)*f.rng.Float64()
		}
		return p
	}
	p := f.randomParams()
	mid := (f.lo + f.hi) / 2
	for t := range p.H {
		p.H[t] *= unit
		p.T[t] = mid + p.T[t]*unit
	}
	return p
}

// auto is the project's method. Each start of a population is trained by
// variable projection (d is the exact least-squares solution at every
// epoch and Adam moves only h and T), with a continuation from a smoothed
// step to the hard one and a cosine learning-rate decay, then polished by
// block coordinate search (each step's T and d exactly, h on a grid) on
// the true loss. The best few are refined on more points.
func (f *fitter) auto() Params {
	e := autoEpochs
	if f.opt.Epochs > 0 {
		e = f.opt.Epochs
	}
	// The papers' scale: [-8, 12] has unit 1.
	unit := (f.hi - f.lo) / 20
	f.plan(autoStarts*(e+e/2+autoMaxSweeps) + autoKeep*(e+autoMaxSweeps))

	type cand struct {
		p    Params
		loss float64
	}
	b := f.batch(autoTrainPoints)
	s := newSearcher(b, f.hi-f.lo)
	cands := make([]cand, 0, autoStarts)
	for i := 0; i < autoStarts; i++ {
		p := f.start(i, unit)
		trainAdam(b, p, trainConfig{epochs: e, sched: schedule{0.03 * unit, 0.1},
			width: 0.01 * unit, soft: unit, varPro: true, tick: f.tick})
		l := trainAdam(b, p, trainConfig{epochs: e / 2, sched: schedule{0.01 * unit, 0.01},
			width: unit, varPro: true, tick: f.tick})
		l = f.polish(s, p, l)
		cands = append(cands, cand{p, l})
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].loss < cands[j].loss })

	fb := f.batch(autoFinalPoints)
	fs := newSearcher(fb, f.hi-f.lo)
	var best Params
	bestLoss := math.Inf(1)
	for _, c := range cands[:min(autoKeep, len(cands))] {
		p := c.p
		l := trainAdam(fb, p, trainConfig{epochs: e, sched: schedule{0.01 * unit, 0.01},
			width: unit, varPro: true, tick: f.tick})
		l = f.polish(fs, p, l)
		if l < bestLoss {
			best, bestLoss = p, l
		}
	}
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
