package fsfit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Initialisations accepted in Options.Init.
const (
	InitAuto   = "auto"   // the project's own method (the default)
	InitRandom = "random" // the papers' random start, then Adam
	InitStockl = "stockl" // Stöckl & Maass's released parameters, as released
	InitTBPI   = "tbpi"   // Jeong et al.'s tendency-based initialisation
)

// Inits lists the accepted initialisation names.
func Inits() []string { return []string{InitAuto, InitRandom, InitStockl, InitTBPI} }

// Limits on Options that keep memory bounded.
const (
	MaxPoints = 10_000_000
	MaxEpochs = 10_000_000
)

// Options control Fit. The zero value fits with the default method on the
// activation's default range, measured on 100000 uniform points.
type Options struct {
	// Init is one of Inits(); "" means InitAuto.
	Init string
	// Lo, Hi is the input range; both zero means the activation's default
	// range, or the histogram's range when Weight is set.
	Lo, Hi float64
	// Points is the number of evenly spaced inputs on [Lo, Hi] the result
	// is measured on (default 100000). Training uses at most
	// min(Points, a few thousand) of them: the errors are measured on all.
	Points int
	// Epochs is the number of Adam epochs per training phase; 0 means the
	// method's default (20000 per phase for random and tbpi as in the
	// paper, 300 per start for auto).
	Epochs int
	// Seed makes the random starts reproducible.
	Seed int64
	// Weight, if set, weights the squared error by this input
	// distribution instead of uniformly (conversion passes the measured
	// distribution of each site's inputs; see also Gaussian).
	Weight *Histogram
	// Thorough makes the auto method search about twice as long (the
	// embedded library is fitted this way).
	Thorough bool
	// Context, if set, interrupts the fit when it is done: Fit then
	// returns its error (checked every epoch and search sweep).
	Context context.Context
	// Progress, if set, is called now and then with the work done so far
	// and the total.
	Progress func(done, total int)
}

// Result is a fitted neuron and its errors measured on Points inputs.
type Result struct {
	Params
	Init           string
	Lo, Hi         float64
	Points         int
	MSE            float64
	MaxAbsError    float64
	SpikesPerInput float64
	Seconds        float64 // wall time of the fit
	// CPUSeconds is the process CPU time the fit took (zero where the
	// platform does not report it); on a busy machine it is the fairer
	// speed figure.
	CPUSeconds float64
}

// Histogram is an input distribution: Counts[i] inputs fell in
// [Edges[i], Edges[i+1]). Counts need not be normalised.
type Histogram struct {
	Edges  []float64
	Counts []float64
}

// Validate checks that the edges increase, the counts are finite and
// non-negative and not all zero, and the lengths agree.
func (h *Histogram) Validate() error {
	if len(h.Edges) < 2 || len(h.Counts) != len(h.Edges)-1 {
		return fmt.Errorf("histogram: %d edges and %d counts, want n+1 edges for n >= 1 counts", len(h.Edges), len(h.Counts))
	}
	for i, e := range h.Edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return fmt.Errorf("histogram: edge %d = %v is not finite", i, e)
		}
		if i > 0 && !(e > h.Edges[i-1]) {
			return fmt.Errorf("histogram: edges not increasing at %d (%v <= %v)", i, e, h.Edges[i-1])
		}
		if i > 0 && math.IsInf(e-h.Edges[0], 0) {
			return fmt.Errorf("histogram: edges %v .. %v span more than a float64 holds", h.Edges[0], e)
		}
	}
	var total float64
	for i, c := range h.Counts {
		if !(c >= 0) || math.IsInf(c, 0) {
			return fmt.Errorf("histogram: count %d = %v is not a finite non-negative number", i, c)
		}
		if d := c / (h.Edges[i+1] - h.Edges[i]); math.IsInf(d, 0) {
			return fmt.Errorf("histogram: bin %d is too narrow for its count (density overflows)", i)
		}
		total += c
	}
	if math.IsInf(total, 0) {
		return errors.New("histogram: counts sum to infinity")
	}
	if total == 0 {
		return errors.New("histogram: all counts are zero")
	}
	return nil
}

// Density returns the (unnormalised) density of the histogram at x:
// count over bin width, zero outside the edges.
func (h *Histogram) Density(x float64) float64 {
	e := h.Edges
	if !(x >= e[0] && x <= e[len(e)-1]) { // also NaN
		return 0
	}
	// Binary search for the bin containing x.
	lo, hi := 0, len(e)-1
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if x < e[m] {
			hi = m
		} else {
			lo = m
		}
	}
	return h.Counts[lo] / (e[lo+1] - e[lo])
}

// Gaussian returns a histogram of the normal distribution N(mean, std²)
// over mean ± 4 std in 256 bins, for fits weighted by a Gaussian.
func Gaussian(mean, std float64) *Histogram {
	const bins = 256
	lo, hi := mean-4*std, mean+4*std
	h := &Histogram{Edges: Linspace(lo, hi, bins+1), Counts: make([]float64, bins)}
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(x-mean)/(std*math.Sqrt2)) }
	for i := range h.Counts {
		h.Counts[i] = cdf(h.Edges[i+1]) - cdf(h.Edges[i])
	}
	return h
}

// Fit fits a K-step FS neuron to act.
func Fit(act Activation, k int, opt Options) (*Result, error) {
	start, cpuStart := time.Now(), processCPUSeconds()
	if act.F == nil {
		return nil, errors.New("fsfit: activation has no function")
	}
	if k < 1 || k > MaxSteps {
		return nil, fmt.Errorf("fsfit: steps K=%d out of range 1..%d", k, MaxSteps)
	}
	if opt.Init == "" {
		opt.Init = InitAuto
	}
	if opt.Weight != nil {
		if err := opt.Weight.Validate(); err != nil {
			return nil, fmt.Errorf("fsfit: weight: %w", err)
		}
	}
	lo, hi := opt.Lo, opt.Hi
	if lo == 0 && hi == 0 {
		lo, hi = act.Lo, act.Hi
		if opt.Weight != nil {
			lo, hi = opt.Weight.Edges[0], opt.Weight.Edges[len(opt.Weight.Edges)-1]
		}
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(hi-lo, 0) || !(lo < hi) {
		return nil, fmt.Errorf("fsfit: range [%v, %v] is empty or not finite", lo, hi)
	}
	points := opt.Points
	if points == 0 {
		points = 100000
	}
	if points < 2 || points > MaxPoints {
		return nil, fmt.Errorf("fsfit: points %d out of range 2..%d", points, MaxPoints)
	}
	if opt.Epochs < 0 || opt.Epochs > MaxEpochs {
		return nil, fmt.Errorf("fsfit: epochs %d out of range 0..%d", opt.Epochs, MaxEpochs)
	}
	f := &fitter{act: act, k: k, lo: lo, hi: hi, points: points, opt: opt,
		rng: newRand(opt.Seed)}
	if opt.Weight != nil && len(f.batch(defaultAuto.trainPoints).x) < 2 {
		return nil, fmt.Errorf("fsfit: weight: the histogram has (almost) no mass on [%v, %v]", lo, hi)
	}
	var p Params
	var err error
	switch opt.Init {
	case InitAuto:
		cfg := defaultAuto
		if opt.Thorough {
			cfg = thoroughAuto
		}
		p = f.auto(cfg)
	case InitRandom:
		p = f.random()
	case InitTBPI:
		p = f.tbpi()
	case InitStockl:
		p, err = Stockl(act, k)
	default:
		err = fmt.Errorf("fsfit: unknown init %q (valid: auto, random, stockl, tbpi)", opt.Init)
	}
	if err != nil {
		return nil, err
	}
	if f.stop {
		return nil, fmt.Errorf("fsfit: fit %s K=%d interrupted: %w", act.Name, k, opt.Context.Err())
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("fsfit: fit diverged: %w", err)
	}
	xs := Linspace(lo, hi, points)
	m := Evaluate(act, p, xs, f.weights(xs))
	if opt.Progress != nil {
		opt.Progress(1, 1)
	}
	return &Result{Params: p, Init: opt.Init, Lo: lo, Hi: hi, Points: points,
		MSE: m.MSE, MaxAbsError: m.MaxAbsError, SpikesPerInput: m.SpikesPerInput,
		Seconds: time.Since(start).Seconds(), CPUSeconds: processCPUSeconds() - cpuStart}, nil
}

// newRand is the generator behind every random choice of a fit, so that
// a seed fixes the result.
func newRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x5eed5eed)) }

// fitter carries one Fit call's settings.
type fitter struct {
	act    Activation
	k      int
	lo, hi float64
	points int
	opt    Options
	rng    *rand.Rand

	done, total int  // progress units
	stop        bool // Options.Context is done: wind up
}

// weights returns the Histogram density at xs, or nil for uniform.
func (f *fitter) weights(xs []float64) []float64 {
	if f.opt.Weight == nil {
		return nil
	}
	w := make([]float64, len(xs))
	for i, x := range xs {
		w[i] = f.opt.Weight.Density(x)
	}
	return w
}

// batch builds a training batch of n evenly spaced points (at most
// f.points), dropping points of zero weight.
func (f *fitter) batch(n int) *batch {
	n = min(n, f.points)
	xs := Linspace(f.lo, f.hi, n)
	ws := f.weights(xs)
	var x, y, w []float64
	var sum float64
	for i, v := range xs {
		wi := 1.0
		if ws != nil {
			wi = ws[i]
		}
		if wi == 0 {
			continue
		}
		x = append(x, v)
		y = append(y, f.act.F(v))
		w = append(w, wi)
		sum += wi
	}
	for i := range w {
		w[i] /= sum
	}
	return newBatch(x, y, w, f.k)
}

// plan sets the total number of progress units.
func (f *fitter) plan(total int) { f.total, f.done = total, 0 }

// tick records one unit of progress, reporting about every percent, and
// reports whether to go on (false once Options.Context is done).
func (f *fitter) tick() bool {
	f.done++
	if f.opt.Progress != nil && f.total > 0 && (f.done%max(1, f.total/100) == 0) && f.done < f.total {
		f.opt.Progress(f.done, f.total)
	}
	if f.opt.Context != nil && f.opt.Context.Err() != nil {
		f.stop = true
	}
	return !f.stop
}

// randomParams is the papers' random start: h, d ~ |N(0,1)|, T ~ N(0,1).
func (f *fitter) randomParams() Params {
	p := Params{H: make([]float64, f.k), T: make([]float64, f.k), D: make([]float64, f.k)}
	for t := 0; t < f.k; t++ {
		p.H[t] = math.Abs(f.rng.NormFloat64())
		p.T[t] = f.rng.NormFloat64()
		p.D[t] = math.Abs(f.rng.NormFloat64())
	}
	return p
}

// Settings of the papers' procedure. The papers train 20000 full-batch
// epochs per phase on 100000 points; we keep the epochs but train on 1000
// evenly spaced points (100 times cheaper per epoch); the errors are still
// measured on all Points.
const (
	paperLR          = 1e-3
	paperEpochs      = 20000
	paperTrainPoints = 1000
)

// tbpiRestarts is how many times TBPI runs the whole procedure from a
// random start, keeping the best final neuron: the paper reports one run,
// but a random start that misses the negative half of Swish entirely is
// common (then K=8 ends near 9e-3 instead of the paper's 6.3e-3).
const tbpiRestarts = 3

func (f *fitter) paperEpochs() int {
	if f.opt.Epochs > 0 {
		return f.opt.Epochs
	}
	return paperEpochs
}

// paperTrain is the papers' trainer: Adam lr 1e-3 on all three parameter
// groups, hard forward pass, pseudo-derivative of width 1.
func (f *fitter) paperTrain(b *batch, p Params, epochs int) {
	trainAdam(b, p, trainConfig{epochs: epochs, sched: schedule{paperLR, 1}, width: 1, tick: f.tick})
}

// random trains from the random start for as many epochs as TBPI uses in
// total, the baseline TBPI is compared with.
func (f *fitter) random() Params {
	e := f.paperEpochs()
	f.plan(2 * e)
	b := f.batch(paperTrainPoints)
	p := f.randomParams()
	f.paperTrain(b, p, 2*e)
	return p
}

// tbpi is Jeong et al.'s procedure: pre-train from random, replace each
// parameter sequence by its least-squares trend over t = 1..K, train again.
// It runs the whole procedure from tbpiRestarts random starts and keeps
// the neuron with the lowest error on tbpiSolvePoints points.
func (f *fitter) tbpi() Params {
	e := f.paperEpochs()
	f.plan(2 * tbpiRestarts * e)
	b := f.batch(paperTrainPoints)
	fine := f.batch(tbpiSolvePoints)
	var p Params
	best := math.Inf(1)
	for r := 0; r < tbpiRestarts && !f.stop; r++ {
		q := f.randomParams()
		f.paperTrain(b, q, e)
		q = trendParams(q)
		f.paperTrain(b, q, e)
		// Not in the paper: d enters the output linearly, so for the
		// trained h and T its exact least-squares value on finer points
		// is one solve.
		loss := fine.forward(q, false, 0)
		qd := q.Clone()
		if l := fine.solveD(qd); l < loss {
			q, loss = qd, l
		}
		if loss < best {
			p, best = q, loss
		}
	}
	return p
}

// tbpiSolvePoints is how many evenly spaced points the final least-squares
// solve of d in tbpi uses.
const tbpiSolvePoints = 20000

// trendParams replaces each of h, T and d by its fitted trend.
func trendParams(p Params) Params {
	q := p.Clone()
	for _, s := range [][]float64{q.H, q.T, q.D} {
		tr := FitTrend(s)
		for t := range s {
			s[t] = tr.At(t + 1)
		}
	}
	return q
}
