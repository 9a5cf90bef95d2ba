package convert

import (
	"math"
	"math/rand"
	"testing"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// reluNet is x[8] -> Gemm(8x16) -> Relu -> Gemm(16x4): a classifier with
// one ReLU site, deterministic weights.
func reluNet() *layers.Graph {
	rng := rand.New(rand.NewSource(7))
	w1, w2 := layers.New(8, 16), layers.New(16, 4)
	for i := range w1.F {
		w1.F[i] = float32(rng.NormFloat64() * 0.5)
	}
	for i := range w2.F {
		w2.F[i] = float32(rng.NormFloat64() * 0.5)
	}
	return &layers.Graph{
		Inputs:       []layers.ValueInfo{{Name: "x", DType: layers.Float32, Shape: []int{-1, 8}}},
		Outputs:      []layers.ValueInfo{{Name: "y", DType: layers.Float32, Shape: []int{-1, 4}}},
		Initializers: map[string]*layers.Tensor{"w1": w1, "w2": w2},
		Nodes: []*layers.Node{
			{Name: "fc1", Op: "Gemm", Inputs: []string{"x", "w1"}, Outputs: []string{"a"}, Attrs: layers.Attrs{}},
			{Name: "relu", Op: "Relu", Inputs: []string{"a"}, Outputs: []string{"h"}, Attrs: layers.Attrs{}},
			{Name: "fc2", Op: "Gemm", Inputs: []string{"h", "w2"}, Outputs: []string{"y"}, Attrs: layers.Attrs{}},
		},
	}
}

func randomInputs(n, d int, seed int64) *layers.Tensor {
	rng := rand.New(rand.NewSource(seed))
	x := layers.New(n, d)
	for i := range x.F {
		x.F[i] = float32(rng.NormFloat64())
	}
	return x
}

func TestCalibrateRecordsSiteInputs(t *testing.T) {
	g := reluNet()
	m, err := NewModel("relu-net", g, 1)
	if err != nil {
		t.Fatal(err)
	}
	sites, _ := FindSites(g, SiteOptions{Steps: 8})
	x := randomInputs(100, 8, 1)
	stats, prof, err := m.Calibrate(sites, x, 32, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Reference: the pre-activation values computed by running the
	// first layer alone.
	p, err := layers.Compile(&layers.Graph{Inputs: g.Inputs, Outputs: []layers.ValueInfo{{Name: "a"}},
		Initializers: g.Initializers, Nodes: g.Nodes[:1]}, layers.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(map[string]*layers.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	a := out["a"].F
	mn, mx, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, v := range a {
		mn, mx, sum = math.Min(mn, float64(v)), math.Max(mx, float64(v)), sum+float64(v)
	}
	s := stats["relu"]
	if s.Count != int64(len(a)) || s.Min != mn || s.Max != mx || math.Abs(s.Mean-sum/float64(len(a))) > 1e-9 {
		t.Errorf("stats %+v, want count %d min %g max %g mean %g", s, len(a), mn, mx, sum/float64(len(a)))
	}
	if prof.Batch != 32 || len(prof.Shapes["a"]) != 2 || prof.Shapes["a"][1] != 16 {
		t.Errorf("profile batch %d shape of a %v", prof.Batch, prof.Shapes["a"])
	}
}

// With exact binary-expansion ReLU parameters the SNN tends to the ANN as
// K grows: the error halves with each step.
func TestSNNTendsToANN(t *testing.T) {
	g := reluNet()
	x := randomInputs(200, 8, 2)
	ann, err := layers.Compile(g, layers.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	want, err := ann.Run(map[string]*layers.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	prev := math.Inf(1)
	for _, k := range []int{4, 8, 12, 16, 24} {
		sites, _ := FindSites(g, SiteOptions{Steps: k})
		snn, err := BuildSNN(g, sites, map[string]layers.FSParams{"relu": reluBinary(k, 16)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := layers.Compile(snn, layers.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Run(map[string]*layers.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		f := CompareOutputs(want["y"].F, got["y"].F)
		if f.MaxAbsError > prev/4 && k > 4 {
			t.Errorf("K=%d: max error %g did not shrink from %g", k, f.MaxAbsError, prev)
		}
		prev = f.MaxAbsError
		if k == 24 && (f.MaxAbsError > 1e-4 || f.Cosine < 1-1e-9) {
			t.Errorf("K=24: max error %g cosine %g, want the ANN", f.MaxAbsError, f.Cosine)
		}
	}
}

// The engine's spike count equals the reference FS neuron's on every input.
func TestSpikesCountedExactly(t *testing.T) {
	p := layers.FSParams{H: []float32{1, 0.5, 0.25}, T: []float32{1, 0.5, 0.25}, D: []float32{1, 0.5, 0.25}}
	g := &layers.Graph{
		Inputs:  []layers.ValueInfo{{Name: "x", DType: layers.Float32, Shape: []int{-1, 5}}},
		Outputs: []layers.ValueInfo{{Name: "y", DType: layers.Float32, Shape: []int{-1, 5}}},
		Nodes: []*layers.Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: layers.Attrs{"h": p.H, "T": p.T, "d": p.D, "activation": "relu"}}},
	}
	// 1.9 -> spikes at t=0 (v=0.9), t=1 (v=0.4), t=2 (v=0.15): 3.
	// 0.6 -> t=1 (v=0.1): 1.  0.3 -> t=2: 1.  -1 and 0 -> none.
	x := layers.FromFloat32([]float32{1.9, 0.6, 0.3, -1, 0, 1.9, 1.9, 0.6, 0.3, 0.3}, 2, 5)
	prog, err := layers.Compile(g, layers.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Run(map[string]*layers.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	st := prog.SpikeStats()
	if len(st) != 1 || st[0].Spikes != 3+1+1+3+3+1+1+1 || st[0].Elements != 10 || st[0].NeuronsPerSample != 5 {
		t.Fatalf("spike stats %+v, want 14 spikes over 10 elements of 5 neurons", st)
	}
	for i, v := range x.F {
		want, _ := layers.FSForward(p, v)
		if out["y"].F[i] != want {
			t.Errorf("y[%d] = %g, want %g", i, out["y"].F[i], want)
		}
	}
}

func TestFitterUsesRealDistribution(t *testing.T) {
	// Two SiLU sites with the same narrow input distribution share fits,
	// which beats the released (Stöckl) parameters, made for [-8, 12], on them.
	rng := rand.New(rand.NewSource(3))
	acc := newAccumulator(20000)
	buf := make([]float32, 20000)
	for i := range buf {
		buf[i] = float32(rng.NormFloat64()*1.2 - 0.5)
	}
	acc.add(buf)
	st := acc.stats()
	sites := []Site{
		{Node: "a", Op: "SiLU", Activation: layers.Activation{Name: "silu"}, K: 16},
		{Node: "b", Op: "SiLU", Activation: layers.Activation{Name: "silu"}, K: 16},
	}
	calls := 0
	f, err := NewFitter(FitOptions{SpikeBudget: -1, Progress: func(done, total int) { calls = total }})
	if err != nil {
		t.Fatal(err)
	}
	fits, err := f.FitSites(sites, map[string]*Stats{"a": st, "b": st}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("%d fits for two sites with one distribution and no spike budget, want 1", calls)
	}
	for _, sf := range fits {
		if sf.Source != SourceFitted {
			t.Errorf("site %s uses %s parameters, want fitted", sf.Node, sf.Source)
		}
		if sf.MSE > 1e-3 || sf.SpikesPerInput <= 0 {
			t.Errorf("site %s: MSE %g spikes %g", sf.Node, sf.MSE, sf.SpikesPerInput)
		}
	}
	lib, err := NewFitter(FitOptions{Mode: "library"})
	if err != nil {
		t.Fatal(err)
	}
	lfits, err := lib.FitSites(sites[:1], map[string]*Stats{"a": st}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lfits[0].MSE <= fits[0].MSE {
		t.Errorf("library MSE %g not worse than the distribution fit %g", lfits[0].MSE, fits[0].MSE)
	}
}

func TestChooseOptionsMeetsBudget(t *testing.T) {
	mk := func(mse, spikes float64) option {
		return option{metrics: fsfit.Metrics{MSE: mse, SpikesPerInput: spikes}}
	}
	sites := []Site{{Node: "big"}, {Node: "small"}}
	opts := [][]option{
		{mk(1e-4, 5), mk(1e-3, 2), mk(1e-2, 1)},
		{mk(1e-6, 9), mk(1e-3, 1)},
	}
	neurons := map[string]float64{"big": 1000, "small": 10}
	if c := chooseOptions(sites, opts, neurons, -1, nil); c[0] != 0 || c[1] != 0 {
		t.Errorf("no budget: choice %v, want the most accurate", c)
	}
	// Budget 2.5: the big site must drop to 2 spikes; the small gate-like
	// site keeps its accurate option (it costs 10*9/1010 = 0.09 spikes).
	if c := chooseOptions(sites, opts, neurons, 2.5, nil); c[0] != 1 || c[1] != 0 {
		t.Errorf("budget 2.5: choice %v, want [1 0]", c)
	}
	// An unreachable budget takes the fewest spikes, except at a tiny site
	// (under 1% of the neurons), which stays exact.
	if c := chooseOptions(sites, opts, neurons, 0.5, nil); c[0] != 2 || c[1] != 0 {
		t.Errorf("budget 0.5: choice %v, want [2 0]", c)
	}
	neurons["small"] = 100
	if c := chooseOptions(sites, opts, neurons, 0.5, nil); c[0] != 2 || c[1] != 1 {
		t.Errorf("budget 0.5 with a site of 9%% of the neurons: choice %v, want [2 1]", c)
	}
}

// The sensitivity-weighted choice spends the budget on the site the output
// depends on, measured through a probe.
func TestSensitivityMovesBudget(t *testing.T) {
	// Options are tagged by D[0] so the fake probe knows which one a site has.
	mk := func(tag float32, mse, spikes float64) option {
		return option{params: layers.FSParams{H: []float32{1}, T: []float32{0}, D: []float32{tag}},
			metrics: fsfit.Metrics{MSE: mse, SpikesPerInput: spikes}}
	}
	sites := []Site{{Node: "a"}, {Node: "b"}}
	opts := [][]option{
		{mk(0, 1e-4, 4), mk(1, 1e-2, 1)},
		{mk(0, 1e-4, 4), mk(1, 1e-2, 1)},
	}
	neurons := map[string]float64{"a": 100, "b": 100}
	// The output error is 50 times more sensitive to site a than to b.
	coef := map[string]float64{"a": 50, "b": 1}
	probe := func(p map[string]layers.FSParams) (float64, float64, error) {
		var e float64
		for i, s := range sites {
			e += coef[s.Node] * opts[i][int(p[s.Node].D[0])].metrics.MSE
		}
		return e, 0, nil
	}
	budgeted := chooseOptions(sites, opts, neurons, 2.5, nil)
	sens, _, err := sensitivities(sites, opts, budgeted, neurons, Probes{One: probe})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sens[0]-50) > 1e-6 || math.Abs(sens[1]-1) > 1e-6 {
		t.Fatalf("sensitivities %v, want [50 1]", sens)
	}
	if c := chooseOptions(sites, opts, neurons, 2.5, sens); c[0] != 0 || c[1] != 1 {
		t.Errorf("sensitivity-weighted choice %v, want [0 1] (the insensitive site b saves the spikes)", c)
	}
	coef["a"], coef["b"] = 1, 50
	sens, _, err = sensitivities(sites, opts, budgeted, neurons, Probes{One: probe})
	if err != nil {
		t.Fatal(err)
	}
	if c := chooseOptions(sites, opts, neurons, 2.5, sens); c[0] != 1 || c[1] != 0 {
		t.Errorf("sensitivity-weighted choice %v, want [1 0]", c)
	}
}

// The probe shares whole batches among single-threaded copies of the SNN:
// its output error and spikes must be those of one program running every
// batch, including a short last batch.
func TestOutputErrorSplitMatchesOneProgram(t *testing.T) {
	g := reluNet()
	x := randomInputs(150, 8, 3)
	want := randomInputs(150, 4, 4)
	sites, _ := FindSites(g, SiteOptions{Steps: 8})
	params := map[string]layers.FSParams{"relu": reluBinary(8, 4)}
	var errs, spikes []float64
	for _, threads := range []int{1, 2, 3} {
		m, err := NewModel("relu-net", g, threads)
		if err != nil {
			t.Fatal(err)
		}
		e, s, err := m.outputError(sites, params, x, want, 32)
		if err != nil {
			t.Fatal(err)
		}
		errs, spikes = append(errs, e), append(spikes, s)
	}
	for i := 1; i < len(errs); i++ {
		if errs[i] != errs[0] || spikes[i] != spikes[0] {
			t.Fatalf("threads %d: error %v spikes %v, one program %v %v", i+1, errs[i], spikes[i], errs[0], spikes[0])
		}
	}
	// And it is the real error: one program by hand.
	snn, err := BuildSNN(g, sites, params)
	if err != nil {
		t.Fatal(err)
	}
	p, err := layers.Compile(snn, layers.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	y, err := p.Run(map[string]*layers.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	var mse float64
	for i, v := range y["y"].F {
		d := float64(v) - float64(want.F[i])
		mse += d * d
	}
	mse /= float64(len(want.F))
	if math.Abs(mse-errs[0]) > 1e-12*mse {
		t.Fatalf("output error %v, by hand %v", errs[0], mse)
	}
}
