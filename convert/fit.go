package convert

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// Parameter sources of a site.
const (
	SourceLibrary = "library" // fsfit's embedded parameters for the default range
	SourceStockl  = "stockl"  // Stöckl & Maass's released parameters
	SourceFitted  = "fitted"  // fitted for the site's input distribution
)

// FitOptions control how FS parameters are chosen per site.
type FitOptions struct {
	// Mode is "auto" (the better of library and fitted parameters on the
	// site's real inputs; the default), "library" (library only, falling
	// back to a fit where the library has no entry) or "fit" (always fit).
	Mode    string
	Seed    int64
	Workers int // concurrent fits; 0 = GOMAXPROCS
	// Points and Epochs are passed to fsfit.Fit (0 = its defaults).
	Points, Epochs int
	Progress       Progress
}

// SiteFit is a site with the FS parameters chosen for it and how well they
// approximate the activation on the site's real inputs.
type SiteFit struct {
	Site
	Stats  *Stats
	Params layers.FSParams
	Source string
	// FitLo and FitHi are the input range the parameters were fitted on.
	FitLo, FitHi float64
	// MSE, MaxAbsError and SpikesPerInput are measured on the site's
	// calibration inputs (Stats.Sample), in float32 as the network runs.
	MSE, MaxAbsError, SpikesPerInput float64
}

// distBins is the resolution of the distribution a fit is weighted by and
// cached under: sites whose quantised distributions agree share one fit.
const distBins = 48

// Fitter chooses FS parameters for sites. It caches fits by activation, K
// and quantised input distribution, so that the many sites of a large
// model with similar inputs cost one fit; it is safe for concurrent use
// and may be reused across conversions (for a K sweep).
type Fitter struct {
	opt   FitOptions
	run1  sync.Mutex // one FitSites at a time, so a job is fitted once
	mu    sync.Mutex
	cache map[string]*fitJob
}

type fitJob struct {
	act    fsfit.Activation
	k      int
	lo, hi float64
	weight *fsfit.Histogram
	done   bool
	params fsfit.Params
	err    error
}

// NewFitter returns a Fitter with the given options.
func NewFitter(opt FitOptions) (*Fitter, error) {
	switch opt.Mode {
	case "":
		opt.Mode = "auto"
	case "auto", "library", "fit":
	default:
		return nil, fmt.Errorf("fit mode %q: want auto, library or fit", opt.Mode)
	}
	return &Fitter{opt: opt, cache: make(map[string]*fitJob)}, nil
}

// catalogueActivation returns fsfit's activation for a site.
func catalogueActivation(a layers.Activation) (fsfit.Activation, error) {
	act, err := fsfit.Lookup(a.Name)
	if err != nil {
		return act, err
	}
	if a.Alpha != 0 || a.Beta != 0 {
		act = act.WithParams(a.Alpha, a.Beta)
	}
	return act, nil
}

// fitDistribution quantises a site's input distribution: the range
// [min, max] rounded outward to a grid of 1/8 of its power-of-two scale,
// and a histogram of distBins bins over it with counts rounded to 1/512 of
// the total. A floor of 1% of the mass spread uniformly keeps the fit
// sensible over the whole range, where the calibration data was thin.
func fitDistribution(s *Stats) (lo, hi float64, h *fsfit.Histogram, key string) {
	lo, hi = s.Min, s.Max
	if !(hi-lo > 1e-6) {
		lo, hi = lo-0.5, hi+0.5
	}
	step := math.Exp2(math.Floor(math.Log2(hi-lo)) - 3)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	hist := histogram(s.Sample, lo, hi, distBins)
	total := 0.0
	for _, c := range hist.Counts {
		total += c
	}
	counts := make([]float64, distBins)
	var b strings.Builder
	fmt.Fprintf(&b, "%g:%g", lo, hi)
	for i, c := range hist.Counts {
		q := 0.0
		if total > 0 {
			q = math.Round(c / total * 512)
		}
		counts[i] = q + 512*0.01/distBins
		fmt.Fprintf(&b, ",%g", q)
	}
	return lo, hi, &fsfit.Histogram{Edges: hist.Edges(), Counts: counts}, b.String()
}

// FitSites chooses parameters for every site, fitting distinct (activation,
// K, distribution) combinations concurrently.
func (f *Fitter) FitSites(sites []Site, stats map[string]*Stats) ([]SiteFit, error) {
	type plan struct {
		act  fsfit.Activation
		job  *fitJob
		lo   float64
		hi   float64
		stat *Stats
	}
	f.run1.Lock()
	defer f.run1.Unlock()
	plans := make([]plan, len(sites))
	var todo []*fitJob
	f.mu.Lock()
	for i, s := range sites {
		st := stats[s.Node]
		if st == nil || len(st.Sample) == 0 {
			f.mu.Unlock()
			return nil, fmt.Errorf("site %q: no calibration data", s.Node)
		}
		act, err := catalogueActivation(s.Activation)
		if err != nil {
			f.mu.Unlock()
			return nil, fmt.Errorf("site %q: %w", s.Node, err)
		}
		lo, hi, w, dkey := fitDistribution(st)
		plans[i] = plan{act: act, lo: lo, hi: hi, stat: st}
		if f.opt.Mode == "library" && len(libraryCandidates(act, s.K)) > 0 {
			continue
		}
		key := fmt.Sprintf("%s/%g/%g/%d/%s", act.Name, act.Alpha, act.Beta, s.K, dkey)
		job := f.cache[key]
		if job == nil {
			job = &fitJob{act: act, k: s.K, lo: lo, hi: hi, weight: w}
			f.cache[key] = job
		}
		if !job.done {
			todo = append(todo, job)
		}
		plans[i].job = job
	}
	f.mu.Unlock()
	todo = uniqueJobs(todo)
	if err := f.run(todo); err != nil {
		return nil, err
	}

	fits := make([]SiteFit, len(sites))
	for i, s := range sites {
		p := plans[i]
		sf := SiteFit{Site: s, Stats: p.stat}
		best := math.Inf(1)
		consider := func(fp fsfit.Params, source string, lo, hi float64) {
			lp := toLayers(fp)
			m := measure(p.act, lp, p.stat.Sample)
			if m.MSE < best {
				best = m.MSE
				sf.Params, sf.Source, sf.FitLo, sf.FitHi = lp, source, lo, hi
				sf.MSE, sf.MaxAbsError, sf.SpikesPerInput = m.MSE, m.MaxAbsError, m.SpikesPerInput
			}
		}
		if f.opt.Mode != "fit" {
			for _, c := range libraryCandidates(p.act, s.K) {
				consider(c.params, c.source, c.lo, c.hi)
			}
		}
		if p.job != nil {
			if p.job.err != nil {
				return nil, fmt.Errorf("site %q: %w", s.Node, p.job.err)
			}
			consider(p.job.params, SourceFitted, p.job.lo, p.job.hi)
		}
		if math.IsInf(best, 1) {
			return nil, fmt.Errorf("site %q: no FS parameters for %s at K=%d", s.Node, p.act.Name, s.K)
		}
		fits[i] = sf
	}
	return fits, nil
}

func uniqueJobs(jobs []*fitJob) []*fitJob {
	seen := make(map[*fitJob]bool)
	var out []*fitJob
	for _, j := range jobs {
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return out
}

// run fits the jobs on a pool of workers, largest K first so the pool
// drains evenly.
func (f *Fitter) run(jobs []*fitJob) error {
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].k > jobs[j].k })
	workers := f.opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var mu sync.Mutex
	done := 0
	next := 0
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(jobs) {
					mu.Unlock()
					return
				}
				j := jobs[next]
				next++
				mu.Unlock()
				res, err := fsfit.Fit(j.act, j.k, fsfit.Options{
					Lo: j.lo, Hi: j.hi, Weight: j.weight,
					Points: f.opt.Points, Epochs: f.opt.Epochs, Seed: f.opt.Seed,
				})
				mu.Lock()
				if err != nil {
					j.err = fmt.Errorf("fit %s K=%d on [%g, %g]: %w", j.act.Name, j.k, j.lo, j.hi, err)
				} else {
					j.params = res.Params
				}
				j.done = true
				done++
				if f.opt.Progress != nil {
					f.opt.Progress(done, len(jobs))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			return j.err
		}
	}
	return nil
}

func toLayers(p fsfit.Params) layers.FSParams {
	h, t, d := p.Float32()
	return layers.FSParams{H: h, T: t, D: d}
}

// measure evaluates FS parameters against act on real inputs, in float32
// as the engine computes.
func measure(act fsfit.Activation, p layers.FSParams, xs []float32) fsfit.Metrics {
	var m fsfit.Metrics
	for _, x := range xs {
		out, s := layers.FSForward(p, x)
		e := float64(out) - act.F(float64(x))
		m.MSE += e * e
		m.MaxAbsError = math.Max(m.MaxAbsError, math.Abs(e))
		m.SpikesPerInput += float64(s)
	}
	if len(xs) > 0 {
		m.MSE /= float64(len(xs))
		m.SpikesPerInput /= float64(len(xs))
	}
	return m
}
