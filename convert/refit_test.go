package convert

import (
	"math"
	"math/rand"
	"testing"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// Re-solving d for a site's inputs keeps every spike, removes the mean
// error and does not raise the error on those inputs much (the fit also
// weighs a uniform floor over the range, so it may trade a little).
func TestRefitDZeroMeanSameSpikes(t *testing.T) {
	act, p := librarySiLU8(t)
	rng := rand.New(rand.NewSource(1))
	xs := make([]float32, 20000)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64()*1.5 + 0.5)
	}
	rp, ok := refitD(act, p, xs)
	if !ok {
		t.Fatal("refit failed")
	}
	before, after := measure(act, p, xs), measure(act, rp, xs)
	if before.SpikesPerInput != after.SpikesPerInput {
		t.Errorf("spikes changed: %g -> %g", before.SpikesPerInput, after.SpikesPerInput)
	}
	if after.MSE > before.MSE*1.05 {
		t.Errorf("MSE rose: %g -> %g", before.MSE, after.MSE)
	}
	var mean float64
	for _, x := range xs {
		y, _ := layers.FSForward(rp, x)
		mean += (float64(y) - act.F(float64(x))) / float64(len(xs))
	}
	if math.Abs(mean) > 1e-4 {
		t.Errorf("mean error %g after the refit, want 0", mean)
	}
	if trimInert(rp).K() != trimInert(p).K() {
		t.Errorf("padded steps became active: %d -> %d", trimInert(p).K(), trimInert(rp).K())
	}
	t.Logf("MSE %.3g -> %.3g at %.2f spikes", before.MSE, after.MSE, after.SpikesPerInput)
}

// measure is measureOn with the activation computed at xs.
func measure(act fsfit.Activation, p layers.FSParams, xs []float32) fsfit.Metrics {
	fx := make([]float64, len(xs))
	for i, x := range xs {
		fx[i] = act.F(float64(x))
	}
	return measureOn(p, xs, fx)
}

// librarySiLU8 is SiLU and its 8-step library neuron padded to 16 steps.
func librarySiLU8(t *testing.T) (fsfit.Activation, layers.FSParams) {
	t.Helper()
	act, err := fsfit.Lookup("silu")
	if err != nil {
		t.Fatal(err)
	}
	lib, ok := fsfit.Library("silu", 8)
	if !ok {
		t.Skip("no silu K=8 in the library")
	}
	return act, pad(toLayers(lib), 16)
}
