package fsfit

import (
	"math"
	"testing"
)

// exactTestParams is a K=6 neuron with a negative reset, so that the
// spike patterns of neighbouring pieces differ in several steps.
func exactTestParams() Params {
	return Params{
		H: []float64{5.1234, 2.4321, -1.3137, 1.2012, 0.6173, 0.3089},
		T: []float64{3.7071, 1.9113, -0.8231, 0.9157, -3.1416, 0.2718},
		D: make([]float64, 6),
	}
}

// The grid's discrete loss is the MSE Evaluate measures on the same
// points, with d the least-squares optimum a batch of those points finds.
func TestGridLossMatchesEvaluate(t *testing.T) {
	act := swish(t)
	for _, weighted := range []bool{false, true} {
		const n = 20000 // a step of 20/19999: no breakpoint falls on a point
		var w func(float64) float64
		var ws []float64
		xs := Linspace(-8, 12, n)
		if weighted {
			h := Gaussian(1, 3)
			w = h.Density
			ws = make([]float64, n)
			for i, x := range xs {
				ws[i] = w(x)
			}
		}
		g := newGrid(act.F, -8, 12, n, w, 6)
		p := exactTestParams()
		l, ok := g.loss(p, true, nil)
		if !ok {
			t.Fatal("grid gave up on a K=6 neuron")
		}
		if m := Evaluate(act, p, xs, ws); math.Abs(m.MSE-l) > 1e-9*m.MSE {
			t.Errorf("weighted=%v: grid loss %.10g, Evaluate %.10g", weighted, l, m.MSE)
		}
		// The same d as the least-squares solve on the points.
		f := &fitter{act: act, k: 6, lo: -8, hi: 12, points: n}
		if weighted {
			f.opt.Weight = Gaussian(1, 3)
		}
		b := f.batch(n)
		q := p.Clone()
		b.forward(q, false, 0)
		lb := b.solveD(q)
		if math.Abs(lb-l) > 1e-9*l || !closeAll(p.D, q.D, 1e-6) {
			t.Errorf("weighted=%v: grid d %v loss %.10g, batch d %v loss %.10g", weighted, p.D, l, q.D, lb)
		}
	}
}

// The gradient of the continuous loss (breakpoint formula with the
// least-squares d) agrees with central finite differences.
func TestGridGradientMatchesFiniteDifferences(t *testing.T) {
	act := swish(t)
	g := newGrid(act.F, -8, 12, 4000, nil, 6)
	p := exactTestParams()
	grad := Params{H: make([]float64, 6), T: make([]float64, 6), D: make([]float64, 6)}
	if _, ok := g.loss(p, false, &grad); !ok {
		t.Fatal("grid gave up")
	}
	const eps = 1e-6
	for _, s := range []struct {
		name string
		par  []float64
		g    []float64
	}{{"h", p.H, grad.H}, {"T", p.T, grad.T}} {
		for i := range s.par {
			v := s.par[i]
			s.par[i] = v + eps
			lp, _ := g.loss(p.Clone(), false, nil)
			s.par[i] = v - eps
			lm, _ := g.loss(p.Clone(), false, nil)
			s.par[i] = v
			fd := (lp - lm) / (2 * eps)
			if math.Abs(fd-s.g[i]) > 1e-4*math.Abs(fd)+1e-9 {
				t.Errorf("d loss/d %s[%d]: analytic %.8g, finite differences %.8g", s.name, i, s.g[i], fd)
			}
		}
	}
}

// refine never returns a neuron worse than its start and improves a
// neuron whose breakpoints are off their optimum.
func TestGridRefineImproves(t *testing.T) {
	act := swish(t)
	g := newGrid(act.F, -8, 12, 100000, nil, 6)
	p := exactTestParams()
	l0, _ := g.loss(p, true, nil)
	l, ok := g.refine(p, 200, 0.01, 0.0001, nil)
	if !ok || !(l < 0.9*l0) {
		t.Errorf("refine: loss %.4g -> %.4g (ok=%v), want at least 10%% lower", l0, l, ok)
	}
	m := Evaluate(act, p, Linspace(-8, 12, 100000), nil)
	if math.Abs(m.MSE-l) > 1e-9*l {
		t.Errorf("refined loss %.10g, Evaluate %.10g", l, m.MSE)
	}
}

// Tables with more pieces than asked for are refused, not enumerated.
func TestTailPiecesLimit(t *testing.T) {
	const k = 40
	p := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	binaryOn(p, 0, -8, 12)
	var next []tailPiece
	if _, ok := tailPieces(p, 0, -8, 12, 1000, nil, &next); ok {
		t.Error("tailPieces accepted 2^40 pieces")
	}
}

// A neuron with more pieces than maxPieces is refused, not enumerated.
func TestGridRefusesTooManyPieces(t *testing.T) {
	act := swish(t)
	const k = 20
	g := newGrid(act.F, -8, 12, 1000, nil, k)
	// A binary expansion has 2^K pieces over its range.
	p := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	binaryOn(p, 0, -8, 12)
	if _, ok := g.loss(p, true, nil); ok {
		t.Error("grid accepted 2^20 pieces")
	}
}

// tailPieces tabulates exactly what running the steps gives.
func TestTailPiecesMatchesSteps(t *testing.T) {
	p := exactTestParams()
	for i := range p.D {
		p.D[i] = float64(i+1) * 0.37
	}
	var next []tailPiece
	for from := 0; from <= len(p.T); from++ {
		tp, ok := tailPieces(p, from, -20, 20, 1<<10, nil, &next)
		if !ok {
			t.Fatalf("from %d: gave up", from)
		}
		for _, v := range Linspace(-19.9, 19.9, 3001) {
			j := 0
			for v > tp[j].b {
				j++
			}
			if want := tail(p, v, from); math.Abs(tp[j].out-want) > 1e-12 {
				t.Fatalf("from %d, v %v: table %v, steps %v", from, v, tp[j].out, want)
			}
		}
	}
}
