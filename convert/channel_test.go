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
	act, err := fsfit.Lookup("silu")
	if err != nil {
		t.Fatal(err)
	}
	lib, ok := fsfit.Library("silu", 8)
	if !ok {
		t.Skip("no silu K=8 in the library")
	}
	p := pad(toLayers(lib), 16)
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
	cp, ok := channelD(act, p, channels)
	if !ok {
		t.Fatal("per-channel refit failed")
	}
	if len(cp.D) != 16*len(channels) || len(cp.H) != 16 {
		t.Fatalf("per-channel params have %d weights for %d steps", len(cp.D), len(cp.H))
	}
	sharedMSE, _ := measureChannels(act, shared, channels)
	perMSE, _ := measureChannels(act, cp, channels)
	if perMSE > 0.5*sharedMSE {
		t.Errorf("per-channel MSE %.3g, shared %.3g: want at most half", perMSE, sharedMSE)
	}
	k := 16
	for c, xs := range channels {
		row := layers.FSParams{H: cp.H, T: cp.T, D: cp.D[c*k : (c+1)*k]}
		var mean float64
		for _, x := range xs {
			y, s := layers.FSForward(row, x)
			_, s0 := layers.FSForward(p, x)
			if s != s0 {
				t.Fatalf("channel %d, x=%g: %d spikes, %d before", c, x, s, s0)
			}
			mean += (float64(y) - act.F(float64(x))) / float64(len(xs))
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
