package fsfit

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func swish(t *testing.T) Activation {
	a, err := Lookup("swish")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testBatch is a batch of n uniform points of act on [lo, hi].
func testBatch(act Activation, lo, hi float64, n, k int) *batch {
	f := &fitter{act: act, k: k, lo: lo, hi: hi, points: n}
	return f.batch(n)
}

func TestStocklSwishReproduces(t *testing.T) {
	act := swish(t)
	p, err := Stockl(act, 16)
	if err != nil {
		t.Fatal(err)
	}
	m := Evaluate(act, p, Linspace(-8, 12, 100000), nil)
	// Published check values (reference/fs-parameters.json).
	if math.Abs(m.MSE-3.446e-3) > 0.01*3.446e-3 {
		t.Errorf("Stöckl swish MSE = %.5g, want 3.446e-3 ±1%%", m.MSE)
	}
	if math.Abs(m.MaxAbsError-0.29516) > 1e-3 {
		t.Errorf("max abs error = %.5g, want 0.29516", m.MaxAbsError)
	}
	if math.Abs(m.SpikesPerInput-4.169) > 0.01 {
		t.Errorf("spikes = %.4g, want 4.169", m.SpikesPerInput)
	}
	sig, _ := Lookup("sigmoid")
	ps, err := Stockl(sig, 12)
	if err != nil {
		t.Fatal(err)
	}
	if m := Evaluate(sig, ps, Linspace(-10, 10, 100000), nil); math.Abs(m.MSE-1.4376e-4) > 0.01*1.4376e-4 {
		t.Errorf("Stöckl sigmoid MSE = %.5g, want 1.4376e-4", m.MSE)
	}
	relu, _ := Lookup("relu")
	pr, _ := Stockl(relu, 10)
	if m := Evaluate(relu, pr, Linspace(0, 24.99, 10000), nil); m.MaxAbsError > 0.0245 {
		t.Errorf("Stöckl relu rule max error on [0,25) = %v, want <= 0.0244", m.MaxAbsError)
	}
	if _, err := Stockl(act, 8); err == nil || !strings.Contains(err.Error(), "K=8") {
		t.Errorf("Stockl(swish, 8) error = %v", err)
	}
	// Fit with init stockl returns them unchanged with their metrics.
	r, err := Fit(act, 16, Options{Init: InitStockl})
	if err != nil || math.Abs(r.MSE-3.446e-3) > 0.01*3.446e-3 {
		t.Errorf("Fit(stockl) = %v, %v", r, err)
	}
}

func TestForwardMatchesPackageSemantics(t *testing.T) {
	p := Params{H: []float64{1, 0.5}, T: []float64{0.5, 0.2}, D: []float64{2, 3}}
	// x=1: 1>0.5 spike, out 2, v 0; 0>0.2 no.  x=2: spike, v=1>0.2 spike: 5.
	for _, c := range []struct {
		x, out float64
		s      int
	}{{1, 2, 1}, {2, 5, 2}, {0.5, 3, 1}, {0.1, 0, 0}} {
		out, s := p.Forward(c.x)
		if out != c.out || s != c.s {
			t.Errorf("Forward(%v) = %v, %d; want %v, %d", c.x, out, s, c.out, c.s)
		}
	}
}

// lossAt runs the batch forward pass at p.
func lossAt(b *batch, p Params, smooth bool, width float64) float64 {
	return b.forward(p, smooth, width)
}

func TestGradientDExact(t *testing.T) {
	act := swish(t)
	k := 6
	b := testBatch(act, -8, 12, 400, k)
	f := &fitter{act: act, k: k, lo: -8, hi: 12, points: 400}
	f.rng = newRand(3)
	p := f.randomParams()
	b.forward(p, false, 0)
	g := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	b.backward(p, 1, g)
	for t0 := 0; t0 < k; t0++ {
		const eps = 1e-5
		q := p.Clone()
		q.D[t0] += eps
		lp := lossAt(b, q, false, 0)
		q.D[t0] -= 2 * eps
		lm := lossAt(b, q, false, 0)
		fd := (lp - lm) / (2 * eps)
		if math.Abs(fd-g.D[t0]) > 1e-7*math.Max(1, math.Abs(fd)) {
			t.Errorf("dL/dd[%d] = %.10g, finite difference %.10g", t0, g.D[t0], fd)
		}
	}
}

// With the smoothed step in the forward pass, the pseudo-derivative
// backward pass is the exact gradient of every parameter.
func TestGradientSmoothedStepAll(t *testing.T) {
	act := swish(t)
	k := 8
	const width = 0.7
	b := testBatch(act, -8, 12, 300, k)
	f := &fitter{act: act, k: k, lo: -8, hi: 12, points: 300, rng: newRand(5)}
	p := f.randomParams()
	b.forward(p, true, width)
	g := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	b.backward(p, width, g)
	groups := []struct {
		name string
		get  func(Params) []float64
	}{{"h", func(q Params) []float64 { return q.H }}, {"T", func(q Params) []float64 { return q.T }}, {"d", func(q Params) []float64 { return q.D }}}
	checked := 0
	for _, gr := range groups {
		for t0 := 0; t0 < k; t0++ {
			const eps = 1e-6
			q := p.Clone()
			gr.get(q)[t0] += eps
			lp := lossAt(b, q, true, width)
			gr.get(q)[t0] -= 2 * eps
			lm := lossAt(b, q, true, width)
			fd := (lp - lm) / (2 * eps)
			an := gr.get(g)[t0]
			if math.Abs(fd-an) > 1e-5*math.Max(1e-2, math.Abs(fd)) {
				t.Errorf("dL/d%s[%d] = %.8g, finite difference %.8g", gr.name, t0, an, fd)
			}
			if an != 0 {
				checked++
			}
		}
	}
	if checked < 2*k {
		t.Errorf("only %d nonzero gradients checked; test data too degenerate", checked)
	}
}

func TestSolveDIsLeastSquares(t *testing.T) {
	act := swish(t)
	k := 8
	b := testBatch(act, -8, 12, 1000, k)
	f := &fitter{act: act, k: k, lo: -8, hi: 12, points: 1000, rng: newRand(9)}
	p := f.randomParams()
	b.forward(p, false, 0)
	l := b.solveD(p)
	if got := b.forward(p, false, 0); math.Abs(got-l) > 1e-12 {
		t.Fatalf("solveD loss %v, forward gives %v", l, got)
	}
	g := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	b.backward(p, 1, g)
	for t0, v := range g.D {
		if math.Abs(v) > 1e-8 {
			t.Errorf("gradient in d[%d] at the LS solution = %g, want 0", t0, v)
		}
	}
}

func TestSearchNeverIncreasesLoss(t *testing.T) {
	act := swish(t)
	k := 8
	b := testBatch(act, -8, 12, 800, k)
	f := &fitter{act: act, k: k, lo: -8, hi: 12, points: 800, rng: newRand(11)}
	p := f.randomParams()
	s := newSearcher(b, 20)
	b.forward(p, false, 0)
	cur := b.solveD(p)
	first := cur
	for sweep := 0; sweep < 3; sweep++ {
		for t0 := 0; t0 < k; t0++ {
			next := s.searchBlock(p, t0, cur)
			if next > cur*(1+1e-9) {
				t.Fatalf("block search at step %d raised the loss %v -> %v", t0, cur, next)
			}
			cur = next
		}
	}
	if cur > 0.5*first {
		t.Errorf("three sweeps only took the loss from %v to %v", first, cur)
	}
}

func TestFitTrend(t *testing.T) {
	var q, l []float64
	for i := 1; i <= 12; i++ {
		x := float64(i)
		q = append(q, 0.5*x*x-2*x+3)
		l = append(l, 2*math.Log(x)+1)
	}
	tq := FitTrend(q)
	if tq.Family != "quadratic" || !closeAll(tq.Coef, []float64{0.5, -2, 3}, 1e-6) {
		t.Errorf("quadratic data: %+v", tq)
	}
	tl := FitTrend(l)
	if tl.Family != "logarithmic" || !closeAll(tl.Coef, []float64{2, 1}, 1e-6) {
		t.Errorf("logarithmic data: %+v", tl)
	}
	if v := tl.At(5); math.Abs(v-(2*math.Log(5)+1)) > 1e-8 {
		t.Errorf("At(5) = %v", v)
	}
	// Noisy log data still picks log; the paper's K=8 Swish trend is
	// logarithmic (reference coefficients h: -1.378 ln t + 3.5742).
	var h []float64
	for i := 1; i <= 8; i++ {
		h = append(h, -1.378*math.Log(float64(i))+3.5742+0.01*math.Sin(float64(i)))
	}
	if th := FitTrend(h); th.Family != "logarithmic" || math.Abs(th.Coef[0]+1.378) > 0.05 {
		t.Errorf("paper K=8 trend: %+v", th)
	}
}

func closeAll(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// K=6: at K=4 the same constructive start wins whatever the seed, so
// two seeds could not be told apart.
func TestFitDeterministic(t *testing.T) {
	act := swish(t)
	for _, init := range []string{InitAuto, InitTBPI} {
		opt := Options{Init: init, Seed: 42, Epochs: 60, Points: 2000}
		a, err := Fit(act, 6, opt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Fit(act, 6, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Params, b.Params) || a.MSE != b.MSE {
			t.Errorf("%s: two fits with seed 42 differ", init)
		}
		opt.Seed = 43
		c, _ := Fit(act, 6, opt)
		if reflect.DeepEqual(a.Params, c.Params) {
			t.Errorf("%s: seeds 42 and 43 gave identical parameters", init)
		}
	}
}

func TestFitRejectsBadOptions(t *testing.T) {
	act := swish(t)
	bad := []struct {
		k   int
		opt Options
		msg string
	}{
		{0, Options{}, "K=0"},
		{65, Options{}, "K=65"},
		{4, Options{Lo: 3, Hi: 1}, "range"},
		{4, Options{Lo: 1, Hi: 1}, "range"},
		{4, Options{Lo: math.NaN(), Hi: 1}, "range"},
		{4, Options{Points: 1}, "points"},
		{4, Options{Epochs: -1}, "epochs"},
		{4, Options{Init: "magic"}, "magic"},
		{4, Options{Weight: &Histogram{Edges: []float64{0, 1}, Counts: []float64{0}}}, "zero"},
		{4, Options{Weight: &Histogram{Edges: []float64{1, 0}, Counts: []float64{1}}}, "increasing"},
		{4, Options{Lo: 5, Hi: 6, Weight: &Histogram{Edges: []float64{0, 1}, Counts: []float64{1}}}, "no mass"},
	}
	for _, c := range bad {
		if _, err := Fit(act, c.k, c.opt); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Fit(K=%d, %+v) error = %v, want mention of %q", c.k, c.opt, err, c.msg)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	good := Params{H: []float64{1}, T: []float64{0}, D: []float64{1}}
	if err := good.Validate(); err != nil {
		t.Error(err)
	}
	for _, p := range []Params{
		{},
		{H: []float64{1, 2}, T: []float64{0}, D: []float64{1, 2}},
		{H: []float64{math.Inf(1)}, T: []float64{0}, D: []float64{1}},
		{H: []float64{1}, T: []float64{math.NaN()}, D: []float64{1}},
	} {
		if p.Validate() == nil {
			t.Errorf("Validate(%v) accepted bad params", p)
		}
	}
}

// A fit weighted by a Gaussian is better where the Gaussian has its mass
// than a uniform fit over the same range.
func TestGaussianWeightedFit(t *testing.T) {
	act := swish(t)
	g := Gaussian(-0.063, 1.563) // EfficientNet-B7's FS input statistics
	w, err := Fit(act, 6, Options{Weight: g, Points: 20000, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(w.Lo-(-0.063-4*1.563)) > 1e-9 || math.Abs(w.Hi-(-0.063+4*1.563)) > 1e-9 {
		t.Errorf("weighted fit range [%v, %v], want mean ± 4 std", w.Lo, w.Hi)
	}
	u, err := Fit(act, 6, Options{Lo: w.Lo, Hi: w.Hi, Points: 20000, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	xs := Linspace(w.Lo, w.Hi, 20000)
	ws := make([]float64, len(xs))
	for i, x := range xs {
		ws[i] = g.Density(x)
	}
	mw := Evaluate(act, w.Params, xs, ws)
	mu := Evaluate(act, u.Params, xs, ws)
	if math.Abs(mw.MSE-w.MSE) > 1e-12 {
		t.Errorf("Result.MSE %v is not the weighted MSE %v", w.MSE, mw.MSE)
	}
	if !(mw.MSE < mu.MSE) {
		t.Errorf("Gaussian-weighted fit MSE %.3e not below uniform fit's %.3e under the Gaussian", mw.MSE, mu.MSE)
	}
	t.Logf("under N(-0.063, 1.563²): weighted fit %.3e (%.2f spikes), uniform fit %.3e", mw.MSE, mw.SpikesPerInput, mu.MSE)
}

func TestFitStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, init := range []string{InitAuto, InitTBPI, InitRandom} {
		start := time.Now()
		_, err := Fit(swish(t), 16, Options{Init: init, Context: ctx})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", init, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v to notice the cancelled context", init, d)
		}
	}
}

func TestMoveStep(t *testing.T) {
	p := Params{H: []float64{0, 1, 2, 3}, T: []float64{10, 11, 12, 13}, D: []float64{20, 21, 22, 23}}
	moveStep(p, 0, 2)
	if want := []float64{1, 2, 0, 3}; !reflect.DeepEqual(p.H, want) {
		t.Errorf("move 0 -> 2: H = %v, want %v", p.H, want)
	}
	moveStep(p, 3, 0)
	if want := []float64{13, 11, 12, 10}; !reflect.DeepEqual(p.T, want) {
		t.Errorf("move 3 -> 0: T = %v, want %v", p.T, want)
	}
	moveStep(p, 1, 1)
	if want := []float64{23, 21, 22, 20}; !reflect.DeepEqual(p.D, want) {
		t.Errorf("move 1 -> 1 changed D: %v, want %v", p.D, want)
	}
}
