package fsfit

import (
	"cmp"
	"math"
	"sort"
)

// autoConfig are the settings of the project's own method ("auto").
type autoConfig struct {
	starts      int // population of starts (the least, see nStarts)
	maxStarts   int // the most starts (see nStarts)
	startWork   int // sets the number of starts (see nStarts)
	keep        int // best starts refined on more points
	epochs      int // soft-continuation epochs per start
	trainPoints int // points while screening starts
	finalPoints int // points for the refinement
	rounds      int // Adam+polish rounds in the refinement
	// mutationWork sets the number of memetic iterations (see mutations).
	mutationWork int
	mutationPow  int  // exponent of K in mutations (0: 3)
	maxMutations int  // cap on mutations (0: 100)
	mutEpochs    int  // Adam epochs after each mutation
	memPoints    int  // points of the memetic search (0: finalPoints)
	templates    bool // add quantiserStarts to the constructive starts
	// trainStructured also trains a copy of each constructive start by
	// Adam before its polish.
	trainStructured bool
	relocate        int // every relocate-th mutation re-draws in place, the others move a step
	childSweeps     int // block sweeps of a child's polish (0: autoMaxSweeps)
	// exactIters, if > 0, refines every child of the memetic search by
	// that many steps of the exact gradient of the loss on all the
	// evaluation points (grid.refine), and ranks the children by that
	// loss.
	exactIters int
	finalIters int // exact refinement steps of each survivor at the end
}

// moveStep moves step from to position to, shifting the steps between.
func moveStep(p Params, from, to int) {
	for _, s := range [][]float64{p.H, p.T, p.D} {
		v := s[from]
		if from < to {
			copy(s[from:to], s[from+1:to+1])
		} else {
			copy(s[to+1:from+1], s[to:from])
		}
		s[to] = v
	}
}

// defaultAuto was chosen by experiment on Swish (docs/fit-bench.md): it
// spends about 2.7 CPU-seconds at K <= 12 (24 starts, 300 mutations) and
// less above (13 starts and 53 mutations at K=16) to keep a K=16 fit under
// 2 s on one core. thoroughAuto (Options.Thorough, used for the embedded
// library) is the earlier search with a larger budget, kept as it was so
// that the library regenerates unchanged.
var (
	defaultAuto = autoConfig{starts: 8, maxStarts: 24, startWork: 3456, keep: 3, epochs: 300, trainPoints: 500,
		finalPoints: 2000, rounds: 1, mutationWork: 896_000_000, mutationPow: 6, maxMutations: 300, mutEpochs: 30,
		memPoints: 500, templates: true, trainStructured: true, relocate: 2, childSweeps: 2, exactIters: 50, finalIters: 300}
	thoroughAuto = autoConfig{starts: 12, keep: 4, epochs: 300, trainPoints: 500, finalPoints: 2000, rounds: 1,
		mutationWork: 200000, mutEpochs: 30, memPoints: 500, templates: true, relocate: 2}
)

// mutations is the number of memetic iterations at K steps:
// mutationWork/K^mutationPow, between 2 and maxMutations. A child's cost
// grows about as K³ (a polish sweep searches K steps, each evaluating the
// K-step tail), so power 3 keeps the time of a fit roughly independent of
// K; a higher power spends more at small K, where a fit is cheap.
func (c autoConfig) mutations(k int) int {
	limit := cmp.Or(c.maxMutations, 100)
	kp := math.Pow(float64(k), float64(cmp.Or(c.mutationPow, 3)))
	return max(2, min(limit, int(float64(c.mutationWork)/kp)))
}

// nStarts is the number of starts at K steps: startWork/K² (a start's
// training and polish cost grows about as K²), between starts and
// maxStarts; starts alone if startWork is zero.
func (c autoConfig) nStarts(k int) int {
	if c.startWork == 0 {
		return c.starts
	}
	return max(c.starts, min(c.maxStarts, c.startWork/(k*k)))
}

const (
	autoMaxSweeps   = 15    // block coordinate sweeps per polish
	autoValidPoints = 20000 // points the final choice is made on
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

// kinks returns up to three inputs where the second difference of f has
// its largest local maxima in magnitude on the range: the places where a
// piecewise-linear view of f bends (0 for relu, ±2.5 for hard_sigmoid, 0
// for swish).
func (f *fitter) kinks() []float64 {
	const n = 400
	xs := Linspace(f.lo, f.hi, n)
	c := make([]float64, n)
	for i := 1; i < n-1; i++ {
		c[i] = math.Abs(f.act.F(xs[i-1]) - 2*f.act.F(xs[i]) + f.act.F(xs[i+1]))
	}
	type peak struct{ x, v float64 }
	var peaks []peak
	var top float64
	for i := 1; i < n-1; i++ {
		if c[i] > c[i-1] && c[i] >= c[i+1] {
			// Refine the kink inside the cell pair by the centre of mass.
			x := (xs[i-1]*c[i-1] + xs[i]*c[i] + xs[i+1]*c[i+1]) / (c[i-1] + c[i] + c[i+1])
			peaks = append(peaks, peak{x, c[i]})
			top = math.Max(top, c[i])
		}
	}
	sort.SliceStable(peaks, func(i, j int) bool { return peaks[i].v > peaks[j].v })
	var ks []float64
	for _, p := range peaks {
		if p.v >= 0.1*top && len(ks) < 3 {
			ks = append(ks, p.x)
		}
	}
	return ks
}

// binaryOn is the binary expansion of x - a over [a, b] in the steps
// from..k-1: h[t] = T[t] - a halving each step, as Stöckl & Maass's ReLU
// rule (a = 0). Below a those steps stay silent.
func binaryOn(p Params, from int, a, b float64) {
	w := b - a
	for t := from; t < len(p.H); t++ {
		w /= 2
		p.H[t], p.T[t] = w, a+w
	}
}

// structuredStarts are constructive starts from the shape of f: a binary
// expansion above each kink (exact for relu), and a clamp step (a spike
// above the kink b that drives v far below every later threshold, so f is
// constant there) followed by a binary expansion between kinks.
func (f *fitter) structuredStarts() []Params {
	var starts []Params
	ks := f.kinks()
	newP := func() Params {
		return Params{H: make([]float64, f.k), T: make([]float64, f.k), D: make([]float64, f.k)}
	}
	for _, a := range ks {
		p := newP()
		binaryOn(p, 0, a, f.hi)
		starts = append(starts, p)
	}
	if f.k >= 2 {
		for _, a := range append([]float64{f.lo}, ks...) {
			for _, b := range ks {
				if b <= a {
					continue
				}
				p := newP()
				p.T[0], p.H[0] = b, 4*(f.hi-f.lo)
				binaryOn(p, 1, a, b)
				starts = append(starts, p)
			}
		}
	}
	return starts
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
// the true loss. The best few are refined on more points and evolved by a
// memetic search whose children, with exactIters, compete on the exact
// loss over all evaluation points (grid); the survivors are refined on
// its exact gradient and the best there is returned.
func (f *fitter) auto(cfg autoConfig) Params {
	e := cfg.epochs
	if f.opt.Epochs > 0 {
		e = f.opt.Epochs
	}
	// The papers' scale: [-8, 12] has unit 1.
	unit := (f.hi - f.lo) / 20
	starts := cfg.nStarts(f.k)
	childSweeps := cmp.Or(cfg.childSweeps, autoMaxSweeps)
	f.plan(starts*(e+e/2+autoMaxSweeps) + cfg.keep*cfg.rounds*(e+autoMaxSweeps+cfg.exactIters) +
		cfg.mutations(f.k)*(cfg.mutEpochs+childSweeps+cfg.exactIters) + 2*(cfg.keep+1)*(autoMaxSweeps+cfg.finalIters))

	type cand struct {
		p    Params
		loss float64
	}
	b := f.batch(cfg.trainPoints)
	s := newSearcher(b, f.hi-f.lo)
	var cands []cand
	structured := f.structuredStarts()
	structured = structured[:min(len(structured), starts/2)]
	if cfg.templates {
		structured = append(structured, f.quantiserStarts()...)
	}
	for i := 0; i < starts && !f.stop; i++ {
		var p Params
		if i < len(structured) && i < starts-2 {
			// Constructive starts compete as they are (for piecewise-linear
			// f they are near exact, below the resolution of the screening
			// points) and polished.
			p = structured[i]
			cands = append(cands, cand{p.Clone(), 0})
			b.forward(p, false, 0)
			l := b.solveD(p)
			if cfg.trainStructured {
				// Also trained, as a copy: the templates are coarse
				// shapes that Adam bends to f before the polish.
				q := p.Clone()
				lq := trainAdam(b, q, trainConfig{epochs: e, sched: schedule{0.01 * unit, 0.01},
					width: unit, varPro: true, tick: f.tick})
				f.polish(s, q, lq)
				cands = append(cands, cand{q, 0})
			}
			f.polish(s, p, l)
		} else {
			p = f.start(i, unit)
			trainAdam(b, p, trainConfig{epochs: e, sched: schedule{0.03 * unit, 0.1},
				width: 0.01 * unit, soft: unit, varPro: true, tick: f.tick})
			l := trainAdam(b, p, trainConfig{epochs: e / 2, sched: schedule{0.01 * unit, 0.01},
				width: unit, varPro: true, tick: f.tick})
			f.polish(s, p, l)
		}
		cands = append(cands, cand{p, 0})
	}
	// Rank on denser points: with few screening points a large K can fit
	// them almost exactly and the ranking would be noise.
	fb := f.batch(cfg.finalPoints)
	fs := newSearcher(fb, f.hi-f.lo)
	var gr *grid
	vb := f.batch(autoValidPoints)
	if cfg.exactIters > 0 || cfg.finalIters > 0 {
		gr = f.grid()
	}
	for i := range cands {
		fb.forward(cands[i].p, false, 0)
		cands[i].loss = fb.solveD(cands[i].p)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].loss < cands[j].loss })

	// Refine the best few on the denser points, then evolve the
	// population: a parent from the best three gets one to three steps
	// re-drawn at random, or one step moved to another place in the
	// sequence and re-drawn, is retrained briefly and polished, and
	// replaces the worst member if it beats it (a memetic search: the
	// block search does the local work, the mutations leave its local
	// minima). The mutations run on the screening points, where they are
	// four times cheaper; the survivors are re-polished on the denser ones.
	pop := cands[:min(cfg.keep, len(cands))]
	for i := range pop {
		p := pop[i].p
		for r := 0; r < cfg.rounds; r++ {
			l := trainAdam(fb, p, trainConfig{epochs: e, sched: schedule{0.01 * unit, 0.01},
				width: unit, varPro: true, tick: f.tick})
			pop[i].loss = f.polish(fs, p, l)
		}
	}
	byLoss := func() { sort.SliceStable(pop, func(i, j int) bool { return pop[i].loss < pop[j].loss }) }
	byLoss()
	// The best so far competes in the final choice whatever the
	// mutations do: on the few points of the memetic search, children can
	// overfit and push out a neuron that is better on the whole range
	// (the exact binary expansion for relu, for example).
	elite := cand{pop[0].p.Clone(), pop[0].loss}
	// With exactIters the memetic search ranks on the loss over all the
	// evaluation points (its grid), which the few points of the search
	// only estimate.
	exact := cfg.exactIters > 0
	mb, ms := fb, fs
	if cfg.memPoints > 0 && cfg.memPoints != cfg.finalPoints {
		mb = f.batch(cfg.memPoints)
		ms = newSearcher(mb, f.hi-f.lo)
		for i := range pop {
			mb.forward(pop[i].p, false, 0)
			pop[i].loss = mb.solveD(pop[i].p)
		}
		byLoss()
	}
	if exact {
		for i := range pop {
			pop[i].loss = f.exactRefine(gr, vb, pop[i].p, cfg.exactIters)
		}
		byLoss()
	}
	for it := 0; it < cfg.mutations(f.k) && !f.stop; it++ {
		q := pop[f.rng.IntN(min(3, len(pop)))].p.Clone()
		if cfg.relocate > 0 && f.k > 1 && it%cfg.relocate != 0 {
			// Move a step: the order of the steps matters as much as
			// their values, and in-place re-draws never change it.
			from, to := f.rng.IntN(f.k), f.rng.IntN(f.k)
			moveStep(q, from, to)
			q.H[to] = 2 * unit * f.rng.NormFloat64()
			q.T[to] = f.lo + (f.hi-f.lo)*f.rng.Float64()
		} else {
			for j, n := 0, 1+f.rng.IntN(3); j < n; j++ {
				t := f.rng.IntN(f.k)
				q.H[t] = 2 * unit * f.rng.NormFloat64()
				q.T[t] = f.lo + (f.hi-f.lo)*f.rng.Float64()
			}
		}
		l := trainAdam(mb, q, trainConfig{epochs: cfg.mutEpochs, sched: schedule{0.01 * unit, 0.01},
			width: unit, varPro: true, tick: f.tick})
		l = f.polishN(ms, q, l, childSweeps)
		if exact {
			l = f.exactRefine(gr, vb, q, cfg.exactIters)
		}
		if worst := len(pop) - 1; l < pop[worst].loss {
			pop[worst] = cand{q, l}
			byLoss()
		}
	}

	// Re-polish the survivors on the denser points (and refine them on
	// the grid), and choose on the whole evaluation grid, or on denser
	// validation points, since the refinement can also overfit its points.
	var best Params
	bestLoss := math.Inf(1)
	for _, c := range append(pop, elite) {
		q := c.p
		if mb != fb {
			q = c.p.Clone()
			fb.forward(q, false, 0)
			f.polish(fs, q, fb.solveD(q))
		}
		for _, r := range []Params{c.p, q} {
			var l float64
			if gr != nil {
				l = f.exactRefine(gr, vb, r, cfg.finalIters)
			} else {
				vb.forward(r, false, 0)
				l = vb.solveD(r)
			}
			if l < bestLoss {
				best, bestLoss = r, l
			}
			if mb == fb {
				break
			}
		}
	}
	return best
}

// grid returns the exact evaluator over the fit's evaluation points (at
// most maxGridPoints of them, evenly spaced, for very large Points).
func (f *fitter) grid() *grid {
	var w func(float64) float64
	if f.opt.Weight != nil {
		w = f.opt.Weight.Density
	}
	return newGrid(f.act.F, f.lo, f.hi, min(f.points, maxGridPoints), w, f.k)
}

// maxGridPoints bounds the memory of a grid (five float64 per point).
const maxGridPoints = 1 << 18

// exactRefine refines p by iters steps of the exact gradient on the grid
// and returns its loss there; where the grid cannot evaluate p (too many
// pieces) it returns p's loss on the validation points vb instead.
func (f *fitter) exactRefine(g *grid, vb *batch, p Params, iters int) float64 {
	unit := (f.hi - f.lo) / 20
	if l, ok := g.refine(p, iters, 0.005*unit, 0.00005*unit, f.tick); ok {
		return l
	}
	vb.forward(p, false, 0)
	return vb.solveD(p)
}

// polish runs block sweeps until the loss improves by less than 0.1%.
func (f *fitter) polish(s *searcher, p Params, cur float64) float64 {
	return f.polishN(s, p, cur, autoMaxSweeps)
}

// polishN is polish with at most sweeps sweeps.
func (f *fitter) polishN(s *searcher, p Params, cur float64, sweeps int) float64 {
	for i := 0; i < sweeps; i++ {
		next := s.blockSweep(p, cur)
		goOn := f.tick()
		improved := next < cur*(1-1e-3)
		cur = math.Min(cur, next)
		if !improved || !goOn {
			break
		}
	}
	return cur
}

// quantiserStarts are constructive starts for a function that is near
// linear above its main kink c: m equal "chunk" steps of width W fold
// (c, hi] into (c, c+W], nb binary steps quantise that interval exactly
// (d = h there), and the remaining steps are indicators over [lo, c]
// (h = 0, thresholds spread evenly) that shape f below the kink.
func (f *fitter) quantiserStarts() []Params {
	c := f.lo + 0.4*(f.hi-f.lo)
	if ks := f.kinks(); len(ks) > 0 {
		c = ks[0]
	}
	unit := (f.hi - f.lo) / 20
	var starts []Params
	for _, tpl := range []struct {
		shift float64
		m, nb int
	}{{unit, 2, f.k - 3}, {unit, 3, f.k / 3}, {0, 3, f.k / 2}} {
		if tpl.m+tpl.nb > f.k || tpl.nb < 1 {
			continue
		}
		starts = append(starts, quantiserStart(f.k, f.lo, f.hi, c+tpl.shift, tpl.m, tpl.nb))
	}
	return starts
}

func quantiserStart(k int, lo, hi, c float64, m, nb int) Params {
	p := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	w := (hi - c) / float64(m+1)
	t := 0
	for j := 0; j < m; j++ {
		p.H[t], p.T[t], p.D[t] = w, c+w, w
		t++
	}
	for j := 0; j < nb; j++ {
		w /= 2
		p.H[t], p.T[t], p.D[t] = w, c+w, w
		t++
	}
	nf := k - t
	for j := 0; t < k; j, t = j+1, t+1 {
		p.T[t] = lo + (c-lo)*(float64(j)+1)/(float64(nf)+0.5)
	}
	return p
}

// splitStart divides the range at c into two problems that share no
// step: the first K-m steps are a β-expansion of (c, hi] (thresholds above
// c, so inputs below c never spike there), the last m steps a β-expansion
// of [lo, c]; inputs above c end those first steps with a potential just
// above c and so spike at every later step, which adds the same amount to
// all of them. Each side gets its own steps and levels instead of
// competing for shared ones.
func splitStart(k, m int, lo, hi, c, beta float64) Params {
	p := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	expand := func(from, n int, a, b float64) {
		r := b - a
		w := r * (1 - 1/beta) / (1 - math.Pow(beta, -float64(n)))
		for j := 0; j < n; j++ {
			p.H[from+j] = w
			p.T[from+j] = a + w
			p.D[from+j] = w
			w /= beta
		}
	}
	expand(0, k-m, c, hi)
	expand(k-m, m, lo, c)
	return p
}
