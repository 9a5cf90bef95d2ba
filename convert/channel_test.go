package convert

import (
	"math"
	"math/rand"
	"testing"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// Channels whose inputs sit in different narrow ranges: d re-solved per
// channel removes each channel's mean error and most of the error a d
// shared by all channels leaves, without changing a spike.
func TestChannelDBeatsSharedD(t *testing.T) {
	act, p := librarySiLU8(t)
	rng := rand.New(rand.NewSource(2))
	centres := []struct{ mean, std float64 }{{-0.6, 0.1}, {0.3, 0.2}, {2, 0.5}, {-3, 1}}
	channels := make([][]float32, len(centres))
	var pooled []float32
	for c, m := range centres {
		for range 3000 {
			channels[c] = append(channels[c], float32(rng.NormFloat64()*m.std+m.mean))
		}
		pooled = append(pooled, channels[c]...)
	}
	shared, ok := refitD(act, p, pooled)
	if !ok {
		t.Fatal("pooled refit failed")
	}
	samples := channelSamples(act, channels)
	cp, ok := channelD(p, samples)
	if !ok {
		t.Fatal("per-channel refit failed")
	}
	if len(cp.D) != 16*len(channels) || len(cp.H) != 16 {
		t.Fatalf("per-channel params have %d weights for %d steps", len(cp.D), len(cp.H))
	}
	sharedMSE, _ := measureChannels(shared, samples)
	perMSE, _ := measureChannels(cp, samples)
	if perMSE > 0.5*sharedMSE {
		t.Errorf("per-channel MSE %.3g, shared %.3g: want at most half", perMSE, sharedMSE)
	}
	for c, xs := range channels {
		row, b := channelRow(cp, c, len(channels))
		var mean float64
		for _, x := range xs {
			y, s := layers.FSForward(row, x)
			_, s0 := layers.FSForward(p, x)
			if s != s0 {
				t.Fatalf("channel %d, x=%g: %d spikes, %d before", c, x, s, s0)
			}
			mean += (float64(y+b) - act.F(float64(x))) / float64(len(xs))
		}
		if math.Abs(mean) > 1e-4 {
			t.Errorf("channel %d: mean error %g, want 0", c, mean)
		}
	}
	// Trimming the never-spiking padded steps keeps each channel's row.
	tr := trimInert(cp)
	if tr.K() != trimInert(p).K() || len(tr.D) != tr.K()*len(channels) {
		t.Fatalf("trimmed to %d steps and %d weights", tr.K(), len(tr.D))
	}
	k := 16
	for c := range channels {
		for _, x := range channels[c][:100] {
			a, _ := layers.FSForward(layers.FSParams{H: cp.H, T: cp.T, D: cp.D[c*k : (c+1)*k]}, x)
			b, _ := layers.FSForward(layers.FSParams{H: tr.H, T: tr.T, D: tr.D[c*tr.K() : (c+1)*tr.K()]}, x)
			if a != b {
				t.Fatalf("channel %d: trimmed neuron gives %g, untrimmed %g", c, b, a)
			}
		}
	}
	t.Logf("MSE shared d %.3g, per-channel d %.3g", sharedMSE, perMSE)
}

// An FS node with output weights per channel unrolls into standard
// operators that the engine runs to the same bits as the FS node.
func TestUnrollPerChannelD(t *testing.T) {
	h := []float32{2, 1, 0.5, 0}
	th := []float32{1.9, 0.9, 0.3, -1}
	d := []float32{2, 1, 0.5, -0.25, 1.5, 0.75, 0, -0.5, -1, 0, 0.25, 0.125}
	g := &layers.Graph{
		Inputs:       []layers.ValueInfo{{Name: "x", DType: layers.Float32, Shape: []int{2, 3, 5}}},
		Outputs:      []layers.ValueInfo{{Name: "y"}},
		Initializers: map[string]*layers.Tensor{},
		Nodes: []*layers.Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: layers.Attrs{"h": h, "T": th, "d": d, "activation": "relu", "rank": int64(3)}}},
	}
	u, err := Unroll(g)
	if err != nil {
		t.Fatal(err)
	}
	x := layers.New(2, 3, 5)
	for i := range x.F {
		x.F[i] = float32(i%11)*0.4 - 1.5
	}
	run := func(g *layers.Graph) []float32 {
		p, err := layers.Compile(g, layers.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Run(map[string]*layers.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		return out["y"].F
	}
	want, got := run(g), run(u)
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) && !(want[i] == 0 && got[i] == 0) {
			t.Fatalf("element %d: unrolled %g, FS %g", i, got[i], want[i])
		}
	}
	delete(g.Nodes[0].Attrs, "rank")
	if _, err := Unroll(g); err == nil {
		t.Error("per-channel weights without a rank were unrolled")
	}
}

// Removing a step that fires for most inputs leaves every other spike of
// those inputs as it was, and saves one spike on each of them.
func TestConstantStepsKeepOtherSpikes(t *testing.T) {
	p := layers.FSParams{
		H: []float32{4, 0.4, 2, 1, 0.5, 0},
		T: []float32{3.9, -3.5, 1.5, 0.6, 0.2, 0},
		D: []float32{4, -0.2, 2, 1, 0.5, 0},
	}
	xs := make([]float32, 1000)
	for i := range xs {
		xs[i] = -4 + 12*(float32(i)+0.37)/float32(len(xs)) // off the thresholds: float32 rounding differs there
	}
	q, ok := constantSteps(p, xs, 0.9)
	if !ok {
		t.Fatal("the step with threshold -3.5 fires for 96% of the inputs and was not removed")
	}
	if trimInert(q).K() != 5 {
		t.Fatalf("%d active steps left, want 5", trimInert(q).K())
	}
	pattern := func(p layers.FSParams, x float32) []bool {
		var z []bool
		v := x
		for t := range p.H {
			if v > p.T[t] && p.T[t] != math.MaxFloat32 {
				z = append(z, true)
				v -= p.H[t]
			} else if p.T[t] != math.MaxFloat32 {
				z = append(z, false)
			}
		}
		return z
	}
	saved := 0
	for _, x := range xs {
		if x <= p.T[1] {
			continue // did not fire the removed step: its later spikes may change
		}
		before, after := pattern(p, x), pattern(q, x)
		// before without the removed step (index 1) must equal after.
		want := append(append([]bool(nil), before[:1]...), before[2:]...)
		for i := range want {
			if i >= len(after) || want[i] != after[i] {
				t.Fatalf("x=%g: spikes %v became %v", x, before, after)
			}
		}
		_, s0 := layers.FSForward(p, x)
		_, s1 := layers.FSForward(q, x)
		saved += s0 - s1
	}
	if saved == 0 {
		t.Fatal("no spike saved")
	}
	if _, ok := constantSteps(p, xs, 0.99); ok {
		t.Error("a step firing for 96% of the inputs was removed at a 99% threshold")
	}
}

// A per-channel bias unrolls into one Add, computing the same bits.
func TestUnrollBias(t *testing.T) {
	g := &layers.Graph{
		Inputs:       []layers.ValueInfo{{Name: "x", DType: layers.Float32, Shape: []int{2, 3}}},
		Outputs:      []layers.ValueInfo{{Name: "y"}},
		Initializers: map[string]*layers.Tensor{},
		Nodes: []*layers.Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: layers.Attrs{"h": []float32{1, 0.5}, "T": []float32{0.9, 0.4}, "d": []float32{1, 0.5},
				"bias": []float32{0.25, -1, 3}, "rank": int64(2)}}},
	}
	u, err := Unroll(g)
	if err != nil {
		t.Fatal(err)
	}
	x := layers.FromFloat32([]float32{-1, 0.5, 1.2, 2, 0, 0.95}, 2, 3)
	var outs [2][]float32
	for i, gr := range []*layers.Graph{g, u} {
		p, err := layers.Compile(gr, layers.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Run(map[string]*layers.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = res["y"].F
	}
	for i := range outs[0] {
		fs, _ := layers.FSForward(layers.FSParams{H: []float32{1, 0.5}, T: []float32{0.9, 0.4}, D: []float32{1, 0.5}}, x.F[i])
		want := fs + []float32{0.25, -1, 3}[i%3]
		if outs[0][i] != want || outs[1][i] != want {
			t.Fatalf("element %d: FS node %g, unrolled %g, want %g", i, outs[0][i], outs[1][i], want)
		}
	}
}

// The choice with one d per site is kept when the probe finds its output
// error within sharedMargin of the per-channel choice's, and not beyond,
// nor when that error exceeds sharedErrorLimit of the outputs' variance.
func TestChooseSharedWithinMargin(t *testing.T) {
	sites := []Site{{Node: "a", K: 2}}
	shared := layers.FSParams{H: []float32{1, 1}, T: []float32{0, 1}, D: []float32{1, 1}}
	perChannel := layers.FSParams{H: shared.H, T: shared.T, D: []float32{1, 1, 2, 2}, Bias: []float32{0, 0}}
	opts := [][]option{{
		{params: shared, metrics: fsfit.Metrics{MSE: 2e-3, SpikesPerInput: 1}},
		{params: perChannel, perChannel: true, metrics: fsfit.Metrics{MSE: 1e-3, SpikesPerInput: 1}},
	}}
	for _, tc := range []struct {
		sharedErr, variance float64
		wantShared          bool
	}{
		{sharedErr: 0.9 * sharedMargin, wantShared: true},
		{sharedErr: 1.1 * sharedMargin, wantShared: false},
		// Within the margin, but a large part of the outputs' variance.
		{sharedErr: 0.9 * sharedMargin, variance: 0.9 * sharedMargin / sharedErrorLimit / 2, wantShared: false},
		{sharedErr: 0.9 * sharedMargin, variance: 0.9 * sharedMargin / sharedErrorLimit * 2, wantShared: true},
	} {
		probe := func(params map[string]layers.FSParams) (float64, float64, error) {
			if len(params["a"].D) > 2 {
				return 1, 1, nil // the per-channel candidate's output error
			}
			return tc.sharedErr, 1, nil
		}
		f := &Fitter{opt: FitOptions{SpikeBudget: 2.4}}
		o, c, err := f.choose(sites, opts, map[string]float64{"a": 100}, Probes{One: probe, OutputVariance: tc.variance})
		if err != nil {
			t.Fatal(err)
		}
		if got := !o[0][c[0]].perChannel; got != tc.wantShared {
			t.Errorf("shared error %g vs per-channel 1 (output variance %g): shared chosen = %v, want %v", tc.sharedErr, tc.variance, got, tc.wantShared)
		}
	}
}
