package convert

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/fewspikes/fewspikes/layers"
)

// Float is a float64 that encodes as JSON null when it is not finite (an
// accuracy without labels, the PSNR of identical outputs).
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// Options configure Convert and Evaluate.
type Options struct {
	// Steps lists the K values to convert with: one, or several for a sweep.
	Steps []int
	// Sites selects sites; its Steps field is replaced by each K of Steps.
	Sites SiteOptions
	Fit   FitOptions
	// Batch is the number of samples per engine run (default 64).
	Batch int
	// Stage, when not nil, returns the progress callback of a named stage
	// ("calibrate", "fit", "ann", "snn K=16").
	Stage func(name string) Progress
}

func (o Options) stage(name string) Progress {
	if o.Stage == nil {
		return nil
	}
	return o.Stage(name)
}

// Conversion is an SNN made from a model, with what went into it.
type Conversion struct {
	Steps   int
	Sites   []SiteFit
	SNN     *layers.Graph
	Analog  []AnalogOp
	Seconds float64 // fitting and graph building (after calibration)
}

// Calibration is the result of running the ANN on calibration data.
type Calibration struct {
	Samples int
	Stats   map[string]*Stats
	Profile *Profile
	Seconds float64
	// probeX is the first probeSamples calibration samples and probeY the
	// ANN's output on them: the parameter choice measures the network's
	// sensitivity to each site on them.
	probeX, probeY *layers.Tensor
}

// probeSamples is the number of calibration samples the sensitivity of the
// output to each site is measured on.
const probeSamples = 256

// probeMinSamples is the fewest samples the probe runs on, and probeWork
// the MACs a probe round may take (sites+5 runs): 256 samples of the
// small test models, 64 of the EfficientNet-like model.
const (
	probeMinSamples = 64
	probeWork       = 7e9
)

// neurons returns each site's neurons per sample, from the profile.
func (c *Calibration) neurons(sites []Site) map[string]float64 {
	out := make(map[string]float64, len(sites))
	for _, s := range sites {
		if shape, ok := c.Profile.Shapes[s.Input]; ok && c.Profile.Batch > 0 {
			out[s.Node] = float64(layers.NumElements(shape)) / float64(c.Profile.Batch)
		}
	}
	return out
}

// CalibrateSites finds the sites (with Sites.Steps from opt.Steps[0]) and
// records their input distributions on calib.
func (m *Model) CalibrateSites(calib *layers.Tensor, opt Options) (*Calibration, error) {
	so := opt.Sites
	so.Steps = firstStep(opt.Steps)
	sites, err := FindSites(m.Graph, so)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	stats, prof, err := m.Calibrate(sites, calib, opt.Batch, opt.stage("calibrate"))
	if err != nil {
		return nil, err
	}
	// The probe runs the SNN about (sites+5)×rounds times: on large
	// networks it gets fewer samples, so that conversion stays quick.
	var macs int64
	for _, n := range m.Graph.Nodes {
		var in, out [][]int
		for _, v := range n.Inputs {
			in = append(in, prof.Shapes[v])
		}
		for _, v := range n.Outputs {
			out = append(out, prof.Shapes[v])
		}
		macs += layers.MACs(n, in, out)
	}
	samples := probeSamples
	if perSample := float64(macs) / float64(max(1, prof.Batch)) * float64(len(sites)+5); perSample > 0 {
		samples = int(math.Max(probeMinSamples, math.Min(probeSamples, probeWork/perSample)))
	}
	px := Slice(calib, 0, min(samples, calib.Shape[0]))
	py, err := runBatches(m.prog, m.Input.Name, m.Output, px, opt.Batch, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	return &Calibration{Samples: calib.Shape[0], Stats: stats, Profile: prof, Seconds: time.Since(start).Seconds(),
		probeX: px, probeY: py}, nil
}

func firstStep(ks []int) int {
	if len(ks) == 0 {
		return 16
	}
	return ks[0]
}

// Convert builds the SNN of m with k steps per site (unless set per site)
// from a calibration, choosing parameters with fitter.
func (m *Model) Convert(cal *Calibration, k int, fitter *Fitter, opt Options) (*Conversion, error) {
	start := time.Now()
	so := opt.Sites
	so.Steps = k
	sites, err := FindSites(m.Graph, so)
	if err != nil {
		return nil, err
	}
	var probe Probes
	if cal.probeX != nil {
		probe.One = func(params map[string]layers.FSParams) (float64, float64, error) {
			return m.outputError(sites, params, cal.probeX, cal.probeY, opt.Batch)
		}
		probe.Each = func(base map[string]layers.FSParams, variants []SiteVariant) (ProbeResult, []ProbeResult, error) {
			return m.outputErrorVariants(sites, base, variants, cal.probeX, cal.probeY, opt.Batch)
		}
		probe.OutputVariance = variance(cal.probeY.F)
	}
	fits, err := fitter.FitSitesProbed(sites, cal.Stats, cal.neurons(sites), probe)
	if err != nil {
		return nil, err
	}
	params := make(map[string]layers.FSParams, len(fits))
	for _, f := range fits {
		params[f.Node] = f.Params
	}
	snn, err := BuildSNN(m.Graph, sites, params)
	if err != nil {
		return nil, err
	}
	// Unrolling per-channel output weights into ONNX needs the rank of
	// the input they broadcast over.
	for _, n := range snn.Nodes {
		if n.Op == "FS" && len(n.Attrs.Floats("d", nil)) > len(n.Attrs.Floats("h", nil)) {
			n.Attrs["rank"] = int64(len(cal.Profile.Shapes[n.Inputs[0]]))
		}
	}
	return &Conversion{Steps: k, Sites: fits, SNN: snn, Analog: AnalogOps(snn), Seconds: time.Since(start).Seconds()}, nil
}

// SiteReport is one site's line of a report.
type SiteReport struct {
	Node            string     `json:"node"`
	Op              string     `json:"op"`
	Activation      string     `json:"activation"`
	Steps           int        `json:"steps"`
	ActiveSteps     int        `json:"active_steps"` // steps that can spike
	Neurons         int64      `json:"neurons"`      // per sample
	SpikesPerNeuron Float      `json:"spikes_per_neuron"`
	MSE             float64    `json:"mse"` // on the site's calibration inputs
	MaxAbsError     float64    `json:"max_abs_error"`
	Source          string     `json:"source"`
	DRefit          bool       `json:"d_refit,omitempty"`       // d re-solved for the site's inputs
	DPerChannel     bool       `json:"d_per_channel,omitempty"` // d and a bias re-solved for each channel's inputs
	BiasSteps       int        `json:"bias_steps,omitempty"`    // always-firing steps replaced by the bias
	FitRange        [2]float64 `json:"fit_range"`
	Gate            bool       `json:"gate,omitempty"`
	Input           *Stats     `json:"input,omitempty"`
	H               []float32  `json:"h,omitempty"`
	T               []float32  `json:"T,omitempty"`
	D               []float32  `json:"d,omitempty"`
	Bias            []float32  `json:"bias,omitempty"` // per channel, added to the output
}

// EnergyPJ is the energy per sample in picojoules.
type EnergyPJ struct {
	ANN float64 `json:"ann"`
	SNN float64 `json:"snn"`
}

// Report is the evaluation of one model at one K (or a sweep: the first K
// at the top level, all in Sweep).
type Report struct {
	Model           string       `json:"model"`
	Steps           int          `json:"steps"`
	Samples         int          `json:"samples"`
	Labelled        bool         `json:"labelled"`
	ANNAccuracy     Float        `json:"ann_accuracy"`
	SNNAccuracy     Float        `json:"snn_accuracy"`
	Agreement       Float        `json:"agreement"`
	Neurons         int64        `json:"neurons"`
	Spikes          float64      `json:"spikes"` // per sample
	SpikesPerNeuron Float        `json:"spikes_per_neuron"`
	MACs            float64      `json:"macs"` // ANN, per sample
	AnalogMACs      float64      `json:"analog_macs"`
	Synops          float64      `json:"synops"`
	Energy          EnergyPJ     `json:"energy_pj"`
	Fidelity        Fidelity     `json:"fidelity"`
	Sites           []SiteReport `json:"sites"`
	Layers          []LayerCost  `json:"layers"`
	AnalogOps       []AnalogOp   `json:"analog_ops"`
	Assumption      string       `json:"energy_assumption"`
	CalibSamples    int          `json:"calib_samples"`
	Seconds         Timings      `json:"seconds"`
	Sweep           []SweepPoint `json:"sweep,omitempty"`
}

// Timings are wall-clock seconds of the stages.
type Timings struct {
	Calibrate float64 `json:"calibrate"`
	Convert   float64 `json:"convert"` // fitting and building, this K
	ANN       float64 `json:"ann_eval"`
	SNN       float64 `json:"snn_eval"`
}

// SweepPoint summarises one K of a sweep.
type SweepPoint struct {
	Steps           int      `json:"steps"`
	SNNAccuracy     Float    `json:"snn_accuracy"`
	Agreement       Float    `json:"agreement"`
	SpikesPerNeuron Float    `json:"spikes_per_neuron"`
	Synops          float64  `json:"synops"`
	Energy          EnergyPJ `json:"energy_pj"`
	Fidelity        Fidelity `json:"fidelity"`
	MeanSiteMSE     float64  `json:"mean_site_mse"`
}

// Evaluate converts m at every K of opt.Steps (calibrating on calib) and
// runs ANN and SNN on x, with labels when not nil (len(labels) must be
// x.Shape[0]).
func Evaluate(m *Model, x, calib *layers.Tensor, labels []int64, opt Options) (*Report, error) {
	if len(opt.Steps) == 0 {
		opt.Steps = []int{16}
	}
	n := x.Shape[0]
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("%d labels for %d samples", len(labels), n)
	}
	cal, err := m.CalibrateSites(calib, opt)
	if err != nil {
		return nil, err
	}
	// Both timed passes start with the garbage of the work before them
	// (calibration, conversion) collected and its memory returned to the
	// system: otherwise the runtime's scavenger releases it during the
	// pass, which then took up to 1.5x as long.
	debug.FreeOSMemory()
	start := time.Now()
	annOut, err := runBatches(m.prog, m.Input.Name, m.Output, x, opt.Batch, nil, opt.stage("ANN"))
	if err != nil {
		return nil, fmt.Errorf("ANN: %w", err)
	}
	annSeconds := time.Since(start).Seconds()
	annTop := Argmax(annOut)
	fitOpt := opt.Fit
	if fitOpt.Progress == nil {
		fitOpt.Progress = opt.stage("fit")
	}
	fitter, err := NewFitter(fitOpt)
	if err != nil {
		return nil, err
	}
	var first *Report
	for _, k := range opt.Steps {
		conv, err := m.Convert(cal, k, fitter, opt)
		if err != nil {
			return nil, err
		}
		r, err := m.evaluateSNN(conv, cal, x, labels, annOut, annTop, opt)
		if err != nil {
			return nil, err
		}
		r.Seconds.ANN = annSeconds
		r.Seconds.Calibrate = cal.Seconds
		if first == nil {
			first = r
		}
		mean := 0.0
		for _, s := range r.Sites {
			mean += s.MSE / float64(len(r.Sites))
		}
		first.Sweep = append(first.Sweep, SweepPoint{Steps: k, SNNAccuracy: r.SNNAccuracy, Agreement: r.Agreement,
			SpikesPerNeuron: r.SpikesPerNeuron, Synops: r.Synops, Energy: r.Energy, Fidelity: r.Fidelity, MeanSiteMSE: mean})
	}
	if len(opt.Steps) == 1 {
		first.Sweep = nil
	}
	return first, nil
}

func (m *Model) evaluateSNN(conv *Conversion, cal *Calibration, x *layers.Tensor, labels []int64, annOut *layers.Tensor, annTop []int64, opt Options) (*Report, error) {
	prog, err := layers.Compile(conv.SNN, layers.Options{Threads: m.Threads})
	if err != nil {
		return nil, fmt.Errorf("SNN K=%d: %w", conv.Steps, err)
	}
	// One untimed batch first, as calibration did for the ANN: the timings
	// then compare warmed-up programs. Its spikes are not counted.
	warm := opt.Batch
	if warm < 1 {
		warm = 64
	}
	if _, err := runBatches(prog, m.Input.Name, m.Output, Slice(x, 0, min(x.Shape[0], warm)), warm, nil, nil); err != nil {
		return nil, fmt.Errorf("SNN K=%d: %w", conv.Steps, err)
	}
	prog.ResetStats()
	debug.FreeOSMemory()
	start := time.Now()
	snnOut, err := runBatches(prog, m.Input.Name, m.Output, x, opt.Batch, nil, opt.stage(fmt.Sprintf("SNN K=%d", conv.Steps)))
	if err != nil {
		return nil, fmt.Errorf("SNN K=%d: %w", conv.Steps, err)
	}
	n := x.Shape[0]
	r := &Report{
		Model: m.Name, Steps: conv.Steps, Samples: n, Labelled: labels != nil,
		ANNAccuracy: Float(math.NaN()), SNNAccuracy: Float(math.NaN()),
		Fidelity:     CompareOutputs(annOut.F, snnOut.F),
		AnalogOps:    conv.Analog,
		Assumption:   EnergyAssumption,
		CalibSamples: cal.Samples,
		Seconds:      Timings{Convert: conv.Seconds, SNN: time.Since(start).Seconds()},
	}
	snnTop := Argmax(snnOut)
	r.Agreement = Float(fraction(annTop, snnTop))
	if annOut.Len()/n < 2 {
		r.Agreement = Float(math.NaN()) // one value per sample: not a classifier
	}
	if labels != nil {
		r.ANNAccuracy = Float(fraction(annTop, labels))
		r.SNNAccuracy = Float(fraction(snnTop, labels))
	}
	stats := make(map[string]layers.SpikeStats)
	for _, s := range prog.SpikeStats() {
		stats[s.Node] = s
	}
	spikes := make(map[string]float64)
	var elements, total int64
	for _, f := range conv.Sites {
		s := stats[f.Node]
		sr := SiteReport{Node: f.Node, Op: f.Op, Activation: f.Activation.Name, Steps: f.K, ActiveSteps: f.Active, Neurons: s.NeuronsPerSample,
			SpikesPerNeuron: Float(ratio(s.Spikes, s.Elements)), MSE: f.MSE, MaxAbsError: f.MaxAbsError,
			Source: f.Source, DRefit: f.RefitD, DPerChannel: f.ChannelD, FitRange: [2]float64{f.FitLo, f.FitHi}, Gate: f.Gate,
			Input: f.Stats, H: f.Params.H, T: f.Params.T, D: f.Params.D, Bias: f.Params.Bias, BiasSteps: f.BiasSteps}
		r.Sites = append(r.Sites, sr)
		r.Neurons += s.NeuronsPerSample
		elements += s.Elements
		total += s.Spikes
		spikes[f.Node] = float64(s.Spikes) / float64(n)
	}
	r.Spikes = float64(total) / float64(n)
	r.SpikesPerNeuron = Float(ratio(total, elements))
	costs := ComputeCosts(conv.SNN, cal.Profile.Shapes, cal.Profile.Batch, spikes, layers.MACs)
	r.Layers = costs.Layers
	r.MACs, r.AnalogMACs, r.Synops = costs.MACs, costs.AnalogMACs, costs.Synops
	r.Energy = EnergyPJ{ANN: costs.EnergyANN, SNN: costs.EnergySNN}
	return r, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// SiteReports describes the conversion's sites before any SNN run: neurons
// per sample from the calibration's shapes, spikes per neuron as the FS
// neurons emit them on the calibration inputs.
func (c *Conversion) SiteReports(cal *Calibration) []SiteReport {
	out := make([]SiteReport, len(c.Sites))
	for i, f := range c.Sites {
		var neurons int64
		if s, ok := cal.Profile.Shapes[f.Input]; ok && cal.Profile.Batch > 0 {
			neurons = int64(layers.NumElements(s) / cal.Profile.Batch)
		}
		out[i] = SiteReport{Node: f.Node, Op: f.Op, Activation: f.Activation.Name, Steps: f.K, ActiveSteps: f.Active, Neurons: neurons,
			SpikesPerNeuron: Float(f.SpikesPerInput), MSE: f.MSE, MaxAbsError: f.MaxAbsError,
			Source: f.Source, DRefit: f.RefitD, DPerChannel: f.ChannelD, FitRange: [2]float64{f.FitLo, f.FitHi}, Gate: f.Gate,
			Input: f.Stats, H: f.Params.H, T: f.Params.T, D: f.Params.D, Bias: f.Params.Bias, BiasSteps: f.BiasSteps}
	}
	return out
}

// outputError runs the SNN of m with the given site parameters on x and
// returns the mean squared difference of its output from want (the ANN's).
// The batches are shared among single-threaded copies of the SNN, one per
// thread: on a small network that uses the cores better than threads
// within each node, and each batch is computed as it would be anyway.
func (m *Model) outputError(sites []Site, params map[string]layers.FSParams, x, want *layers.Tensor, batch int) (outErr, spikesPerNeuron float64, err error) {
	g, err := BuildSNN(m.Graph, sites, params)
	if err != nil {
		return 0, 0, err
	}
	if batch < 1 {
		batch = 64
	}
	n := x.Shape[0]
	batches := (n + batch - 1) / batch
	workers := m.Threads
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, batches))
	threads := m.Threads
	if workers > 1 {
		threads = 1
	}
	progs := make([]*layers.Program, workers)
	for w := range progs {
		if progs[w], err = layers.Compile(g, layers.Options{Threads: threads}); err != nil {
			return 0, 0, fmt.Errorf("SNN: %w", err)
		}
	}
	// Worker w runs a contiguous run of whole batches.
	ys := make([]*layers.Tensor, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := min(n, w*batches/workers*batch), min(n, (w+1)*batches/workers*batch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ys[w], errs[w] = runBatches(progs[w], m.Input.Name, m.Output, Slice(x, lo, hi), batch, nil, nil)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, fmt.Errorf("SNN: %w", err)
	}
	y := ys[0]
	if workers > 1 {
		y = &layers.Tensor{DType: layers.Float32, Shape: append([]int{n}, ys[0].Shape[1:]...)}
		for _, part := range ys {
			y.F = append(y.F, part.F...)
		}
	}
	if y.Len() != want.Len() {
		return 0, 0, fmt.Errorf("SNN output has %d values, the ANN's %d", y.Len(), want.Len())
	}
	for i, v := range y.F {
		d := float64(v) - float64(want.F[i])
		outErr += d * d
	}
	outErr /= float64(max(1, y.Len()))
	var spikes, elems int64
	for _, prog := range progs {
		for _, st := range prog.SpikeStats() {
			spikes += st.Spikes
			elems += st.Elements
		}
	}
	if elems > 0 {
		spikesPerNeuron = float64(spikes) / float64(elems)
	}
	return outErr, spikesPerNeuron, nil
}

// SourceLabel is the site's parameter source for tables: "+d" marks
// output weights re-solved for the site's inputs, "+d/ch" output weights
// and a bias re-solved for each channel's inputs.
func (s SiteReport) SourceLabel() string {
	switch {
	case s.DPerChannel:
		return s.Source + "+d/ch"
	case s.DRefit:
		return s.Source + "+d"
	}
	return s.Source
}

// variance is the variance of xs.
func variance(xs []float32) float64 {
	if len(xs) == 0 {
		return 0
	}
	var mean float64
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= float64(len(xs))
	var v float64
	for _, x := range xs {
		d := float64(x) - mean
		v += d * d
	}
	return v / float64(len(xs))
}
