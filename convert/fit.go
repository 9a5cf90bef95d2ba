package convert

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// Parameter sources of a site.
const (
	SourceLibrary = "library" // fsfit's embedded parameters for the default range
	SourceStockl  = "stockl"  // Stöckl & Maass's released parameters
	SourceFitted  = "fitted"  // fitted for the site's input distribution
)

// DefaultSpikeBudget is the default mean spikes per neuron (over all
// sites, weighted by their neurons) that parameter choice aims at.
const DefaultSpikeBudget = 2.4

// FitOptions control how FS parameters are chosen per site.
type FitOptions struct {
	// Mode is "auto" (ready-made and fitted candidates compete on the
	// site's real inputs; the default), "library" (ready-made parameters
	// only, falling back to fits where there are none) or "fit" (fitted
	// candidates only).
	Mode string
	// PerSite fits each site's own distribution; otherwise the sites of
	// one activation whose input ranges are within an octave (gates apart)
	// share a fit to their pooled inputs, which is much faster on models
	// with many sites.
	PerSite bool
	// SpikeBudget is the mean spikes per neuron to stay within, traded
	// against fit error across sites (see FitSites); 0 means
	// DefaultSpikeBudget, a negative value no budget (most accurate).
	SpikeBudget float64
	Seed        int64
	Workers     int // concurrent fits; 0 = GOMAXPROCS
	// Points and Epochs are passed to fsfit.Fit (0 = 4000 points, which
	// fsfit measures its result on, and its default epochs).
	Points, Epochs int
	// NoRefit leaves every candidate's output weights d as made, instead
	// of also offering them re-solved for the site's inputs (refitD).
	NoRefit bool
	// SharedD keeps one set of output weights d per site instead of
	// re-solving them for each channel's inputs (channelD).
	SharedD  bool
	Progress Progress
}

// SiteFit is a site with the FS parameters chosen for it and how well they
// approximate the activation on the site's real inputs.
type SiteFit struct {
	Site
	Stats  *Stats
	Params layers.FSParams
	Source string
	// RefitD reports that the output weights d were re-solved by least
	// squares for the site's inputs, with zero mean error (refitD).
	RefitD bool
	// Active is the number of steps that can spike: a fit with fewer
	// steps than K is padded with steps that never spike.
	Active int
	// FitLo and FitHi are the input range the parameters were fitted on.
	FitLo, FitHi float64
	// MSE, MaxAbsError and SpikesPerInput are measured on the site's
	// calibration inputs (Stats.Sample), in float32 as the network runs.
	MSE, MaxAbsError, SpikesPerInput float64
	// ChannelD reports that Params.D holds K output weights per channel
	// of the site's input (axis 1), re-solved for each channel's inputs
	// (channelD); MSE and MaxAbsError are then measured per channel.
	ChannelD bool
	// BiasSteps is the number of steps of the fitted neuron that fired
	// for nearly every input and were replaced by the per-channel bias.
	BiasSteps int
}

// uniformFloor is the share of the fit weight spread uniformly over the
// range: the rare large inputs carry much of a network's signal, so the
// fit must stay accurate there too, not only where the mass is.
const uniformFloor = 0.1

// distBins is the resolution of the distribution a fit is weighted by and
// cached under.
const distBins = 48

const debugOptions = false

// Fitter chooses FS parameters for sites. It caches fits by activation,
// number of steps and quantised input distribution, so sites (and the K of
// a sweep) with the same distribution cost one fit; FitSites calls are
// serialised, and distinct fits run concurrently.
type Fitter struct {
	opt   FitOptions
	mu    sync.Mutex // one FitSites at a time, so a job is fitted once
	cache map[string]*fitJob
}

type fitJob struct {
	act    fsfit.Activation
	k      int
	lo, hi float64
	weight *fsfit.Histogram
	done   bool
	ready  chan struct{} // closed when done
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
	if opt.SpikeBudget == 0 {
		opt.SpikeBudget = DefaultSpikeBudget
	}
	if opt.Points == 0 {
		opt.Points = 4000
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

// member is one site's contribution to a pooled distribution: its sorted
// sample standing for weight input values.
type member struct {
	sample []float32
	weight float64
}

// fitDistribution quantises a (pooled) input distribution: the range
// [min, max] rounded outward to a grid of 1/8 of its power-of-two scale,
// and a histogram of distBins bins over it with each member's sample
// weighted by its share, rounded to 1/512 of the total. A floor of 1% of
// the mass spread uniformly keeps the fit sensible over the whole range,
// where the calibration data was thin.
func fitDistribution(members []member, mn, mx float64) (lo, hi float64, h *fsfit.Histogram, key string) {
	lo, hi = mn, mx
	if !(hi-lo > 1e-6) {
		lo, hi = lo-0.5, hi+0.5
	}
	step := math.Exp2(math.Floor(math.Log2(hi-lo)) - 3)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	mass := make([]float64, distBins)
	var wsum float64
	for _, m := range members {
		if len(m.sample) == 0 {
			continue
		}
		hist := histogram(m.sample, lo, hi, distBins)
		for i, c := range hist.Counts {
			mass[i] += c / float64(len(m.sample)) * m.weight
		}
		wsum += m.weight
	}
	counts := make([]float64, distBins)
	var b strings.Builder
	fmt.Fprintf(&b, "%g:%g", lo, hi)
	for i, c := range mass {
		q := 0.0
		if wsum > 0 {
			q = math.Round(c / wsum * 512)
		}
		counts[i] = q + 512*uniformFloor/distBins
		fmt.Fprintf(&b, ",%g", q)
	}
	edges := make([]float64, distBins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/distBins
	}
	edges[distBins] = hi
	return lo, hi, &fsfit.Histogram{Edges: edges, Counts: counts}, b.String()
}

// activeSteps lists the numbers of spiking steps tried for a site of K
// steps: fewer active steps give fewer spikes at a larger error.
func activeSteps(k int) []int {
	var ks []int
	for _, a := range []int{8, 10, 12} {
		if a < k {
			ks = append(ks, a)
		}
	}
	return append(ks, k)
}

// option is one candidate parameter set for one site, measured on its inputs.
type option struct {
	params  layers.FSParams
	source  string
	active  int
	lo, hi  float64
	metrics fsfit.Metrics
	refit   bool // d re-solved for the site's inputs (refitD)
	// perChannel: params.D holds d re-solved for each channel (channelD)
	perChannel bool
	// biasSteps steps that fired for nearly every input were replaced by
	// the per-channel bias (constantSteps)
	biasSteps int
}

// FitSites chooses parameters for every site. Candidates are the
// ready-made sets (mode auto or library) and fits with K active steps to
// the site's distribution (pooled per activation and input scale unless
// PerSite) and, for groups of sites holding at least a tenth of the
// neurons, fits with 8, 10 and 12 active steps that spend fewer spikes;
// each is measured on the site's own calibration inputs. With no
// spike budget each site takes its most accurate candidate. With a budget B,
// the choice minimises the sum over sites of the fit MSE subject to mean
// spikes per neuron (weighted by neurons[site]) <= B, each site's error
// weighted by its neurons but at least by the average site's: each site
// takes the candidate minimising MSE + λ·spikes·min(1, neurons/average),
// with the smallest λ >= 0 that meets the budget (bisection). Sites with
// few neurons, such as squeeze-excitation gates, cost little spike budget
// and stay accurate.
func (f *Fitter) FitSites(sites []Site, stats map[string]*Stats, neurons map[string]float64) ([]SiteFit, error) {
	return f.FitSitesProbed(sites, stats, neurons, Probes{})
}

// Probe measures the network's output error (against the ANN, on
// calibration data) and its spikes per neuron when the sites take the
// given FS parameters.
type Probe func(params map[string]layers.FSParams) (outErr, spikesPerNeuron float64, err error)

// FitSitesProbed is FitSites, except that with a probe and a spike budget
// that the most accurate candidates exceed, each site's fit error is
// weighted by the network's measured sensitivity to it instead of by its
// neurons: for each site, the probe measures the increase of the output
// error when only that site takes a cheaper candidate (the others their
// most accurate), per unit of the site's MSE increase. The budget then
// goes where the output is sensitive: each site takes the candidate
// minimising sensitivity·MSE + λ·neurons·spikes with the smallest λ that
// meets the budget.
func (f *Fitter) FitSitesProbed(sites []Site, stats map[string]*Stats, neurons map[string]float64, probe Probes) ([]SiteFit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acts := make([]fsfit.Activation, len(sites))
	groups := make(map[string][]int) // distribution group -> site indices
	var order []string
	for i, s := range sites {
		st := stats[s.Node]
		if st == nil || len(st.Sample) == 0 {
			return nil, fmt.Errorf("site %q: no calibration data", s.Node)
		}
		act, err := catalogueActivation(s.Activation)
		if err != nil {
			return nil, fmt.Errorf("site %q: %w", s.Node, err)
		}
		acts[i] = act
		// Sites share a pooled fit when they compute the same function on
		// inputs of a similar scale: the narrow inputs (range under 2) of a
		// squeeze-excitation block are not pooled with a feature map's.
		g := fmt.Sprintf("%s/%g/%g/gate=%v/narrow=%v", act.Name, act.Alpha, act.Beta, s.Gate, st.Max-st.Min < 2)
		if f.opt.PerSite {
			g = s.Node
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], i)
	}

	var totalNeurons float64
	for _, s := range sites {
		totalNeurons += neurons[s.Node]
	}
	// jobs[i] are the fits site i may use.
	jobs := make([][]*fitJob, len(sites))
	var todo []*fitJob
	for _, g := range order {
		idx := groups[g]
		var members []member
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, i := range idx {
			st := stats[sites[i].Node]
			w := neurons[sites[i].Node]
			if w <= 0 {
				w = 1
			}
			members = append(members, member{st.Sample, w})
			mn, mx = math.Min(mn, st.Min), math.Max(mx, st.Max)
		}
		lo, hi, w, dkey := fitDistribution(members, mn, mx)
		var groupNeurons float64
		for _, i := range idx {
			groupNeurons += neurons[sites[i].Node]
		}
		// Fits with fewer active steps save spikes; they are worth their
		// time only where the group holds a fair share of the neurons.
		saving := f.opt.SpikeBudget >= 0 && groupNeurons >= 0.1*totalNeurons
		for _, i := range idx {
			s := sites[i]
			if f.opt.Mode == "library" && len(libraryCandidates(acts[i], s.K)) > 0 {
				continue
			}
			steps := []int{s.K}
			if saving {
				steps = activeSteps(s.K)
			}
			for _, a := range steps {
				key := fmt.Sprintf("%s/%g/%g/%d/%s", acts[i].Name, acts[i].Alpha, acts[i].Beta, a, dkey)
				job := f.cache[key]
				if job == nil {
					job = &fitJob{act: acts[i], k: a, lo: lo, hi: hi, weight: w, ready: make(chan struct{})}
					f.cache[key] = job
				}
				if !job.done {
					todo = append(todo, job)
				}
				jobs[i] = append(jobs[i], job)
			}
		}
	}
	// Each site's candidates are measured as soon as its fits are done,
	// while the other fits run: the measuring fills the cores the last
	// fits leave idle.
	fitsDone := f.start(uniqueJobs(todo))

	// Measure every candidate of every site on the site's own inputs.
	opts := make([][]option, len(sites))
	var wg sync.WaitGroup
	for i := range sites {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := sites[i]
			sample := stats[s.Node].Sample
			fx := make([]float64, len(sample))
			for j, x := range sample {
				fx[j] = acts[i].F(float64(x))
			}
			channels := channelSamples(acts[i], stats[s.Node].Channels)
			add := func(p fsfit.Params, source string, lo, hi float64) {
				active := p.K()
				lp := pad(toLayers(p), s.K)
				m := measureOn(lp, sample, fx)
				if !f.opt.SharedD {
					// Re-solve d per channel (channelD); a pooled re-solve
					// of d would then be the same candidate.
					if cp, ok := channelD(lp, channels); ok {
						m.MSE, m.MaxAbsError = measureChannels(cp, channels)
						opts[i] = append(opts[i], option{params: cp, source: source, active: active, lo: lo, hi: hi, metrics: m, perChannel: true})
						// The same neuron without the steps that fire for
						// at least 90%, 70% or 50% of the inputs: the
						// per-channel bias gives their constant part, at
						// about one spike less each (constantSteps).
						prev := -1
						for _, share := range []float64{0.9, 0.7, 0.5} {
							q, ok := constantSteps(lp, sample, share)
							qActive := trimInert(q).K()
							if !ok || qActive == prev {
								continue
							}
							prev = qActive
							if cq, ok := channelD(q, channels); ok {
								mq := measureOn(q, sample, fx)
								mq.MSE, mq.MaxAbsError = measureChannels(cq, channels)
								opts[i] = append(opts[i], option{params: cq, source: source, active: qActive, lo: lo, hi: hi,
									metrics: mq, perChannel: true, biasSteps: active - qActive})
							}
						}
						// The shared-d candidates below compete too (see
						// choose).
					}
				}
				opts[i] = append(opts[i], option{params: lp, source: source, active: active, lo: lo, hi: hi, metrics: m})
				if f.opt.NoRefit {
					return
				}
				if rp, ok := refitD(acts[i], lp, sample); ok {
					opts[i] = append(opts[i], option{params: rp, source: source, active: active, lo: lo, hi: hi,
						refit: true, metrics: measureOn(rp, sample, fx)})
				}
			}
			if f.opt.Mode != "fit" {
				for _, c := range libraryCandidates(acts[i], s.K) {
					add(c.params, c.source, c.lo, c.hi)
				}
			}
			for _, j := range jobs[i] {
				<-j.ready
				if j.err == nil {
					add(j.params, SourceFitted, j.lo, j.hi)
				}
			}
		}(i)
	}
	wg.Wait()
	if err := fitsDone(); err != nil {
		return nil, err
	}
	for i, s := range sites {
		if len(opts[i]) == 0 {
			return nil, fmt.Errorf("site %q: no FS parameters for %s at K=%d", s.Node, acts[i].Name, s.K)
		}
	}

	if debugOptions {
		for i, s := range sites {
			for _, o := range opts[i] {
				fmt.Printf("  %-30s %-7s active %2d mse %.3g max %.3g spikes %.2f\n", s.Node, o.source, o.active, o.metrics.MSE, o.metrics.MaxAbsError, o.metrics.SpikesPerInput)
			}
		}
	}
	opts, choice, err := f.choose(sites, opts, neurons, probe)
	if err != nil {
		return nil, err
	}
	fits := make([]SiteFit, len(sites))
	for i, s := range sites {
		o := opts[i][choice[i]]
		fits[i] = SiteFit{Site: s, Stats: stats[s.Node], Params: o.params, Source: o.source, RefitD: o.refit, ChannelD: o.perChannel, BiasSteps: o.biasSteps, Active: o.active,
			FitLo: o.lo, FitHi: o.hi, MSE: o.metrics.MSE, MaxAbsError: o.metrics.MaxAbsError,
			SpikesPerInput: o.metrics.SpikesPerInput}
	}
	return fits, nil
}

// sharedMargin is how much more output error (on the probe) the choice
// among candidates with one d per site may have and still be preferred
// to the choice among candidates with d per channel. Per-channel weights
// make candidates with more active steps the most accurate, and the
// engine's time grows with active steps: on the EfficientNet-like model
// they lower the probe error 4-fold but evaluation runs 1.41x the ANN's
// time instead of 1.25x, at the same accuracy; on the nets that need
// them they lower it 6- to 32-fold.
const sharedMargin = 4

// sharedErrorLimit is the output error, relative to the variance of the
// ANN's outputs on the probe, beyond which the shared choice is taken
// only if the per-channel one is no more accurate. The nets that lose
// accuracy with one d per site had 2.6-65 % there (dwsep_se at one seed
// 6.8 % with a ratio of 3.5, inside sharedMargin), effnet-se 0.8-1.7 %.
const sharedErrorLimit = 0.025

// choose makes the choice of FitSitesProbed among opts. Per-channel
// candidates (channelD) and shared ones are chosen among separately, and
// with a probe, the shared choice is kept when its output error is
// within sharedMargin of the per-channel one's (or, when it exceeds
// sharedErrorLimit of the outputs' variance, no larger).
func (f *Fitter) choose(sites []Site, opts [][]option, neurons map[string]float64, probe Probes) ([][]option, []int, error) {
	split := func(perChannel bool) [][]option {
		out := make([][]option, len(opts))
		for i := range opts {
			for _, o := range opts[i] {
				if o.perChannel == perChannel {
					out[i] = append(out[i], o)
				}
			}
			if len(out[i]) == 0 {
				out[i] = opts[i] // a site without per-channel candidates
			}
		}
		return out
	}
	// probed is the output error of choice c among o on the probe.
	probed := func(o [][]option, c []int) (float64, error) {
		e, _, err := probe.One(chosenParams(sites, o, c))
		if err != nil {
			return 0, fmt.Errorf("probe: %w", err)
		}
		return e, nil
	}
	// pick returns the choice among o and, if measure, its output error
	// (measured by probedChoice when that made the choice; NaN without a
	// probe).
	pick := func(o [][]option, measure bool) ([][]option, []int, float64, error) {
		c := chooseOptions(sites, o, neurons, f.opt.SpikeBudget, nil)
		if probe.One == nil {
			return o, c, math.NaN(), nil
		}
		if f.opt.SpikeBudget >= 0 && !sameChoice(c, chooseOptions(sites, o, neurons, -1, nil)) {
			return probedChoice(sites, o, neurons, f.opt.SpikeBudget, probe)
		}
		if !measure {
			return o, c, math.NaN(), nil
		}
		e, err := probed(o, c)
		return o, c, e, err
	}
	channel, shared := split(true), split(false)
	if probe.One == nil || f.opt.SharedD {
		o := channel
		if f.opt.SharedD {
			o = shared
		}
		o, c, _, err := pick(o, false)
		return o, c, err
	}
	so, sc, se, err := pick(shared, true)
	if err != nil {
		return nil, nil, err
	}
	// A shared choice whose output error is a sizeable part of the
	// outputs' variance costs accuracy: then the more accurate choice wins
	// whatever its time.
	margin := float64(sharedMargin)
	if probe.OutputVariance > 0 && se > sharedErrorLimit*probe.OutputVariance {
		margin = 1
	}
	// The per-channel candidates' error within the budget is at least
	// that of the most accurate ones: when even those do not beat the
	// shared choice by the margin, the budgeted choice need not be made.
	best, err := probed(channel, chooseOptions(sites, channel, neurons, -1, nil))
	if err != nil {
		return nil, nil, err
	}
	if debugOptions {
		fmt.Printf("shared output error %.4g (variance %.4g), per-channel most accurate %.4g\n", se, probe.OutputVariance, best)
	}
	if se <= margin*best {
		return so, sc, nil
	}
	co, cc, ce, err := pick(channel, true)
	if err != nil {
		return nil, nil, err
	}
	if debugOptions {
		fmt.Printf("per-channel output error %.4g\n", ce)
	}
	if se <= margin*ce {
		return so, sc, nil
	}
	return co, cc, nil
}

// chooseOptions picks one option per site: the most accurate without a
// budget (budget < 0), else the Lagrangian choice of FitSites.
//
// With sens (one weight per site), a site's MSE is weighted by sens[i]
// and its spikes by its neurons: the choice minimises the summed
// sensitivity-weighted error subject to the budget.
func chooseOptions(sites []Site, opts [][]option, neurons map[string]float64, budget float64, sens []float64) []int {
	n := make([]float64, len(sites))
	var total float64
	for i, s := range sites {
		n[i] = math.Max(neurons[s.Node], 1)
		total += n[i]
	}
	// A site's error weighs by its neurons, but never less than an
	// average site's: small sites such as squeeze-excitation gates scale
	// whole feature maps, so their error matters beyond their size.
	avg := total / float64(len(sites))
	pick := func(lambda float64) ([]int, float64) {
		choice := make([]int, len(sites))
		var spikes float64
		for i := range sites {
			rate, w := lambda*n[i]/math.Max(n[i], avg), 1.0
			if sens != nil {
				rate, w = lambda*n[i]/total, sens[i]
			}
			if n[i] < tinySite*total {
				rate = 0 // a tiny site's spikes hardly count; keep it exact
			}
			best := math.Inf(1)
			for j, o := range opts[i] {
				cost := w*o.metrics.MSE + rate*o.metrics.SpikesPerInput
				if cost < best {
					best, choice[i] = cost, j
				}
			}
			spikes += n[i] * opts[i][choice[i]].metrics.SpikesPerInput
		}
		return choice, spikes / total
	}
	choice, mean := pick(0)
	if budget < 0 || mean <= budget {
		return choice
	}
	lo, hi := 0.0, 1e-9
	for {
		c, m := pick(hi)
		if m <= budget || hi > 1e30 {
			choice = c
			break
		}
		lo, hi = hi, hi*4
	}
	for it := 0; it < 100; it++ {
		mid := (lo + hi) / 2
		c, m := pick(mid)
		if m <= budget {
			choice, hi = c, mid
		} else {
			lo = mid
		}
	}
	return choice
}

// pad extends p to k steps with steps that never spike (threshold at the
// largest float32, no reset, no output).
func pad(p layers.FSParams, k int) layers.FSParams {
	for p.K() < k {
		p.H = append(p.H, 0)
		p.T = append(p.T, math.MaxFloat32)
		p.D = append(p.D, 0)
	}
	return p
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

// start fits the jobs on a pool of workers, in the background, the
// costliest first so that the pool drains evenly; each job's ready channel
// closes when it is done. The returned function waits for all of them and
// returns the first error.
func (f *Fitter) start(jobs []*fitJob) (wait func() error) {
	sort.SliceStable(jobs, func(i, j int) bool { return fitCost(jobs[i]) > fitCost(jobs[j]) })
	workers := f.opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var mu sync.Mutex
	done, next := 0, 0
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
				close(j.ready)
				done++
				if f.opt.Progress != nil {
					f.opt.Progress(done, len(jobs))
				}
				mu.Unlock()
			}
		}()
	}
	return func() error {
		wg.Wait()
		for _, j := range jobs {
			if j.err != nil {
				return j.err
			}
		}
		return nil
	}
}

// fitCost orders fits by their expected time: fsfit's default search
// spends most at 12 steps and less at 16 than at 10 (docs/fit-bench.md).
func fitCost(j *fitJob) int {
	if j.k <= 12 {
		return j.k
	}
	return 9
}

func toLayers(p fsfit.Params) layers.FSParams {
	h, t, d := p.Float32()
	return layers.FSParams{H: h, T: t, D: d}
}

// measureOn measures p against the activation's values fx at xs, in
// float32 as the network runs.
func measureOn(p layers.FSParams, xs []float32, fx []float64) fsfit.Metrics {
	var m fsfit.Metrics
	if len(xs) == 0 {
		return m
	}
	out := make([]float32, len(xs))
	spikes := layers.FSForwardAll(p, xs, out)
	for i, o := range out {
		e := float64(o) - fx[i]
		m.MSE += e * e
		m.MaxAbsError = math.Max(m.MaxAbsError, math.Abs(e))
	}
	m.MSE /= float64(len(xs))
	m.SpikesPerInput = float64(spikes) / float64(len(xs))
	return m
}

func sameChoice(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sensitivities measures, for each site, the output error added per unit
// of site MSE when only that site leaves its most accurate candidate for a
// cheaper one: the candidate budgeted is (the MSE-weighted budget choice),
// or, where that is the most accurate one, the most accurate candidate
// that spends fewer spikes. Sites with no cheaper candidate, or whose
// probe added no error, get a small positive weight.
func chosenParams(sites []Site, opts [][]option, choice []int) map[string]layers.FSParams {
	params := make(map[string]layers.FSParams, len(sites))
	for i, s := range sites {
		params[s.Node] = opts[i][choice[i]].params
	}
	return params
}

func sensitivities(sites []Site, opts [][]option, budgeted []int, neurons map[string]float64, probe Probes) (sens, limit []float64, err error) {
	best := chooseOptions(sites, opts, neurons, -1, nil)
	params := make(map[string]layers.FSParams, len(sites))
	for i, s := range sites {
		params[s.Node] = opts[i][best[i]].params
	}
	sens = make([]float64, len(sites))
	limit = make([]float64, len(sites))
	var total float64
	for _, s := range sites {
		total += math.Max(neurons[s.Node], 1)
	}
	// Each site is probed at one cheaper candidate, the others at their
	// most accurate.
	var variants []SiteVariant
	var probed, cheaper []int
	for i, s := range sites {
		if math.Max(neurons[s.Node], 1) < tinySite*total {
			// A tiny site keeps its most accurate candidate whatever its
			// sensitivity (chooseOptions): no probe.
			sens[i] = -1
			continue
		}
		b := opts[i][best[i]]
		c := budgeted[i]
		if c == best[i] {
			c = -1
			for j, o := range opts[i] {
				if o.metrics.SpikesPerInput < b.metrics.SpikesPerInput && o.metrics.MSE > b.metrics.MSE &&
					(c < 0 || o.metrics.MSE < opts[i][c].metrics.MSE) {
					c = j
				}
			}
		}
		if c < 0 || opts[i][c].metrics.MSE <= b.metrics.MSE {
			sens[i] = -1 // filled in below
			continue
		}
		variants = append(variants, SiteVariant{Site: s.Node, Params: opts[i][c].params})
		probed, cheaper = append(probed, i), append(cheaper, c)
	}
	base, res, err := probe.variants(params, variants, true)
	if err != nil {
		return nil, nil, fmt.Errorf("sensitivity probe: %w", err)
	}
	var measured []float64
	for k, i := range probed {
		c, b := cheaper[k], opts[i][best[i]]
		limit[i] = trustFactor * opts[i][c].metrics.MSE
		sens[i] = math.Max(res[k].OutErr-base.OutErr, 0) / (opts[i][c].metrics.MSE - b.metrics.MSE)
		measured = append(measured, sens[i])
	}
	// Probes can add no error (noise, cancellation); a floor of a
	// hundredth of the median keeps such sites from taking arbitrarily bad
	// candidates on a sample of limited size.
	floor := 1e-12
	if len(measured) > 0 {
		sort.Float64s(measured)
		floor = math.Max(floor, measured[len(measured)/2]/100)
	}
	for i := range sens {
		if sens[i] < floor {
			sens[i] = floor
		}
	}
	return sens, limit, nil
}

// tinySite is the share of all neurons below which a site always takes its
// most accurate candidate: squeeze-excitation gates and their hidden layers
// scale whole feature maps, and their spikes hardly count in the mean.
const tinySite = 0.01

// trustFactor bounds the MSE a site may take, relative to the candidate its
// sensitivity was measured at.
const trustFactor = 3

// Probes measure the network during the parameter choice (see
// FitSitesProbed).
type Probes struct {
	One Probe // one choice of parameters
	// Each, if set, measures a choice and its variants at one site each
	// together, faster than One on each.
	Each VariantProbe
	// OutputVariance is the variance of the ANN's outputs on the probe's
	// samples: the scale of the output error.
	OutputVariance float64
}

// variants measures base (if needBase) and each variant of it.
func (p Probes) variants(base map[string]layers.FSParams, variants []SiteVariant, needBase bool) (ProbeResult, []ProbeResult, error) {
	if p.Each != nil {
		return p.Each(base, variants)
	}
	return variantsWhole(p.One, base, variants, needBase)
}

// probeRounds is the number of times the sensitivity-weighted choice is
// made: each round measures the sensitivities around the previous round's
// choice and corrects the budget by the spikes the network really spent.
const probeRounds = 3

// probedChoice makes the budgeted choice with measured sensitivities (see
// FitSitesProbed): in each round, the MSE-weighted choice and the
// sensitivity-weighted one are both run through the probe, and the choice
// with the least output error whose measured spikes per neuron stay within
// the budget wins (or the one with the fewest spikes if none does). The
// spikes the probe measures differ from the sum of the sites' estimates,
// because in the SNN the sites see the upstream sites' errors: the budget
// the next round aims at is corrected by their ratio. It returns the
// option lists the choice indexes.
func probedChoice(sites []Site, opts [][]option, neurons map[string]float64, budget float64, probe Probes) ([][]option, []int, float64, error) {
	start := time.Now()
	var bestOpts [][]option
	var bestChoice []int
	bestErr, bestSpikes := math.Inf(1), math.Inf(1)
	consider := func(o [][]option, c []int, what string) (float64, error) {
		e, spk, err := probe.One(chosenParams(sites, o, c))
		if err != nil {
			return 0, fmt.Errorf("sensitivity probe: %w", err)
		}
		if debugOptions {
			fmt.Printf("probe %s: output error %.4g, %.3f spikes/neuron (%.2fs)\n", what, e, spk, time.Since(start).Seconds())
		}
		fits := spk <= budget
		bestFits := bestSpikes <= budget
		if (fits && (!bestFits || e < bestErr)) || (!fits && !bestFits && spk < bestSpikes) {
			bestOpts, bestChoice, bestErr, bestSpikes = o, c, e, spk
		}
		return spk, nil
	}
	// Each choice aims at its own target: the calibration estimate of the
	// spikes the last choice spends, scaled by the budget over the spikes
	// the SNN really spent.
	correct := func(target, spk float64, o [][]option, c []int) float64 {
		var est, total float64
		for i, s := range sites {
			n := math.Max(neurons[s.Node], 1)
			est += n * o[i][c[i]].metrics.SpikesPerInput
			total += n
		}
		if spk <= 0 || est <= 0 {
			return target
		}
		return est / total * budget / spk
	}
	targetM, targetS := budget, budget
	var prevM []int
	var prevS []fsfit.Metrics
	for round := range probeRounds {
		choice := chooseOptions(sites, opts, neurons, targetM, nil)
		if !slices.Equal(choice, prevM) {
			spk, err := consider(opts, choice, fmt.Sprintf("MSE-weighted round %d", round+1))
			if err != nil {
				return nil, nil, 0, err
			}
			prevM = choice
			targetM = correct(targetM, spk, opts, choice)
		}
		sens, limit, err := sensitivities(sites, opts, chooseOptions(sites, opts, neurons, targetS, nil), neurons, probe)
		if err != nil {
			return nil, nil, 0, err
		}
		// The sensitivity is measured at one cheaper candidate; the
		// output error is far from linear in a site's MSE beyond it, so
		// candidates much worse than the probed one are not offered.
		trusted := make([][]option, len(sites))
		for i := range opts {
			trusted[i] = opts[i]
			if limit[i] > 0 {
				trusted[i] = nil
				for _, o := range opts[i] {
					if o.metrics.MSE <= limit[i] {
						trusted[i] = append(trusted[i], o)
					}
				}
			}
		}
		sc := chooseOptions(sites, trusted, neurons, targetS, sens)
		cur := make([]fsfit.Metrics, len(sites))
		for i := range sites {
			cur[i] = trusted[i][sc[i]].metrics
		}
		if slices.Equal(cur, prevS) {
			continue // a fixed point: the probe would repeat itself
		}
		prevS = cur
		spk, err := consider(trusted, sc, fmt.Sprintf("sensitivity-weighted round %d", round+1))
		if err != nil {
			return nil, nil, 0, err
		}
		targetS = correct(targetS, spk, trusted, sc)
	}
	if bestSpikes > budget {
		return bestOpts, bestChoice, bestErr, nil
	}
	// Spend what the budget leaves (the choices above move whole sites
	// at a time and often stop well short of it): in each round, every
	// site's most accurate candidate that the calibration estimate keeps
	// within the budget is probed, and the one that lowers the output
	// error most, within the budget as measured, is taken.
	var total float64
	for _, s := range sites {
		total += math.Max(neurons[s.Node], 1)
	}
	choice := slices.Clone(bestChoice)
	for range slackRounds {
		upI, upJ := -1, -1
		upErr, upSpikes := bestErr, bestSpikes
		var variants []SiteVariant
		var up, to []int
		for i, s := range sites {
			cur := bestOpts[i][choice[i]].metrics
			share := math.Max(neurons[s.Node], 1) / total
			j := -1
			for k, o := range bestOpts[i] {
				if o.metrics.MSE >= cur.MSE || bestSpikes+share*(o.metrics.SpikesPerInput-cur.SpikesPerInput) > budget {
					continue
				}
				if j < 0 || o.metrics.MSE < bestOpts[i][j].metrics.MSE {
					j = k
				}
			}
			if j >= 0 {
				variants = append(variants, SiteVariant{Site: s.Node, Params: bestOpts[i][j].params})
				up, to = append(up, i), append(to, j)
			}
		}
		if len(variants) == 0 {
			break
		}
		_, res, err := probe.variants(chosenParams(sites, bestOpts, choice), variants, false)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("sensitivity probe: %w", err)
		}
		for k, i := range up {
			e, spk := res[k].OutErr, res[k].SpikesPerNeuron
			if debugOptions {
				fmt.Printf("probe slack %s: output error %.4g, %.3f spikes/neuron\n", sites[i].Node, e, spk)
			}
			if spk <= budget && e < upErr {
				upI, upJ, upErr, upSpikes = i, to[k], e, spk
			}
		}
		if upI < 0 {
			break
		}
		choice[upI] = upJ
		bestErr, bestSpikes = upErr, upSpikes
	}
	return bestOpts, choice, bestErr, nil
}

// slackRounds bounds the rounds of probedChoice that spend the budget
// left over by the Lagrangian choices (one probe per site each).
const slackRounds = 3
