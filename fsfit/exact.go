package fsfit

import (
	"math"
	"math/bits"
)

// For fixed h and T the output of an FS neuron is piecewise constant in
// x: at step t an input spikes iff x > T[t] + Σ_{s<t} h[s]·z[s], a
// breakpoint that depends only on the spike pattern before t. A grid
// therefore evaluates the loss of a neuron on many points (the 100000 of
// the error figures) from prefix sums over its pieces, in time
// proportional to the number of pieces rather than of points, and gives
// the true gradient of that loss with respect to h and T: moving a
// breakpoint x_b changes the loss by w(x_b)·[(f-left)² - (f-right)²],
// with d at its least-squares optimum (envelope theorem), unlike the
// pseudo-derivative of the training loss on a few points.

// maxPieces bounds the pieces a grid enumerates (at most 2^K): beyond it
// the exact evaluation gives up and the caller keeps its parameters.
const maxPieces = 1 << 13

// grid holds prefix sums of w, w·f and w·f² over the cells of evenly
// spaced points (cell i is [x_i - step/2, x_i + step/2]).
type grid struct {
	lo, step float64
	n        int
	w, f     []float64 // per point
	cw, cf   []float64 // prefix sums over cells: c[i] = Σ_{j<i}
	cq       []float64
	wtot     float64
	k        int

	// scratch
	cur, next []piece
	a, rhs    []float64
	lev       []float64
}

// piece is an interval (a, b] of inputs with one spike pattern. Its left
// end was created at step ot by inputs with spike pattern omask before
// that step (ot < 0: the start of the range).
type piece struct {
	a, b  float64
	off   float64 // Σ h[s] over the spikes so far
	mask  uint64
	omask uint64
	ot    int
}

// newGrid builds the grid of the n evenly spaced points of [lo, hi]
// (weights w, nil for uniform) for K-step neurons approximating f.
func newGrid(act func(float64) float64, lo, hi float64, n int, weight func(float64) float64, k int) *grid {
	xs := Linspace(lo, hi, n)
	g := &grid{lo: lo, step: (hi - lo) / float64(n-1), n: n, k: k,
		w: make([]float64, n), f: make([]float64, n),
		cw: make([]float64, n+1), cf: make([]float64, n+1), cq: make([]float64, n+1),
		a: make([]float64, k*k), rhs: make([]float64, k), lev: make([]float64, 0, 64)}
	for i, x := range xs {
		w := 1.0
		if weight != nil {
			w = weight(x)
		}
		fx := act(x)
		g.w[i], g.f[i] = w, fx
		g.cw[i+1] = g.cw[i] + w
		g.cf[i+1] = g.cf[i] + w*fx
		g.cq[i+1] = g.cq[i] + w*fx*fx
	}
	g.wtot = g.cw[n]
	return g
}

// pieces enumerates the pieces of p over the grid's cells in increasing
// x, or reports false if there are more than maxPieces.
func (g *grid) pieces(p Params) ([]piece, bool) {
	cur := append(g.cur[:0], piece{a: g.lo - g.step/2, b: g.lo + (float64(g.n)-0.5)*g.step, ot: -1})
	next := g.next[:0]
	for t := range p.T {
		next = next[:0]
		bit := uint64(1) << t
		for _, pc := range cur {
			s := p.T[t] + pc.off
			switch {
			case s >= pc.b:
				next = append(next, pc)
			case s <= pc.a:
				pc.mask |= bit
				pc.off += p.H[t]
				next = append(next, pc)
			default:
				r := pc
				pc.b = s
				r.a, r.omask, r.ot = s, r.mask, t
				r.mask |= bit
				r.off += p.H[t]
				next = append(next, pc, r)
			}
		}
		cur, next = next, cur
		if len(cur) > maxPieces {
			g.cur, g.next = cur, next
			return nil, false
		}
	}
	g.cur, g.next = cur, next
	return cur, true
}

// at returns the prefix sums of w, w·f, w·f² up to x: continuous (a
// fraction of the cell containing x) or, if discrete, over the points
// x_i <= x.
func (g *grid) at(x float64, discrete bool) (w, f, q float64) {
	u := (x-g.lo)/g.step + 0.5
	if discrete {
		u = math.Floor((x-g.lo)/g.step) + 1
	}
	switch {
	case !(u > 0):
		return 0, 0, 0
	case u >= float64(g.n):
		return g.cw[g.n], g.cf[g.n], g.cq[g.n]
	}
	i := int(u)
	fr := u - float64(i)
	w, f, q = g.cw[i], g.cf[i], g.cq[i]
	if fr > 0 {
		w += fr * g.w[i]
		f += fr * g.w[i] * g.f[i]
		q += fr * g.w[i] * g.f[i] * g.f[i]
	}
	return w, f, q
}

// loss sets p.D to the least-squares optimum over the grid for p's h and
// T and returns the loss (weighted MSE). With grad non-nil (h, T layout
// as Params; d is ignored) it adds the gradient of the continuous loss.
// It reports false (and leaves p alone) when p has too many pieces.
func (g *grid) loss(p Params, discrete bool, grad *Params) (float64, bool) {
	ps, ok := g.pieces(p)
	if !ok {
		return 0, false
	}
	k := g.k
	a, rhs := g.a, g.rhs
	clear(a)
	clear(rhs)
	var tq float64
	w0, f0, q0 := g.at(ps[0].a, discrete)
	for _, pc := range ps {
		w1, f1, q1 := g.at(pc.b, discrete)
		sw, sf := w1-w0, f1-f0
		tq += q1 - q0
		w0, f0, q0 = w1, f1, q1
		for m := pc.mask; m != 0; m &= m - 1 {
			s := bits.TrailingZeros64(m)
			rhs[s] += sf
			row := a[s*k:]
			for m2 := pc.mask; m2 != 0; m2 &= m2 - 1 {
				row[bits.TrailingZeros64(m2)] += sw
			}
		}
	}
	var tr float64
	for t := 0; t < k; t++ {
		tr += a[t*k+t]
	}
	m := make([]float64, k*k)
	solved := false
	for ridge := 1e-10*tr/float64(k) + 1e-14; ridge < tr+1; ridge *= 1000 {
		copy(m, a)
		for t := 0; t < k; t++ {
			m[t*k+t] += ridge
		}
		if d, ok := choleskySolve(m, rhs, k); ok {
			copy(p.D, d)
			solved = true
			break
		}
	}
	if !solved {
		return 0, false
	}
	// Loss = Σ_pieces Q - 2·lev·F + lev²·W, from d directly.
	l := tq
	for t := 0; t < k; t++ {
		row := a[t*k:]
		var ad float64
		for u := 0; u < k; u++ {
			ad += row[u] * p.D[u]
		}
		l += p.D[t]*ad - 2*p.D[t]*rhs[t]
	}
	l = math.Max(l, 0) / g.wtot
	if grad == nil {
		return l, true
	}
	level := func(mask uint64) float64 {
		o := 0.0
		for m := mask; m != 0; m &= m - 1 {
			o += p.D[bits.TrailingZeros64(m)]
		}
		return o
	}
	prev := level(ps[0].mask)
	for j := 1; j < len(ps); j++ {
		pc := ps[j]
		cur := level(pc.mask)
		u := (pc.a-g.lo)/g.step + 0.5
		i := min(max(int(u), 0), g.n-1)
		el, er := g.f[i]-prev, g.f[i]-cur
		gb := g.w[i] * (el*el - er*er) / (g.step * g.wtot)
		prev = cur
		if pc.ot < 0 || gb == 0 {
			continue
		}
		grad.T[pc.ot] += gb
		for m := pc.omask; m != 0; m &= m - 1 {
			grad.H[bits.TrailingZeros64(m)] += gb
		}
	}
	return l, true
}

// refine moves h and T by Adam on the true gradient of the grid's
// continuous loss (d least-squares at every iteration), keeps the best
// parameters seen, and finally solves d on the grid's points. It returns
// the discrete loss, or false if p has too many pieces (p unchanged).
func (g *grid) refine(p Params, iters int, lr0, lrEnd float64, tick func() bool) (float64, bool) {
	k := g.k
	best := p.Clone()
	bestLoss := math.Inf(1)
	grad := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	opt := newAdam(k)
	sched := schedule{lr0, lrEnd / lr0}
	for it := 0; it < iters; it++ {
		zeroParams(grad)
		l, ok := g.loss(p, false, &grad)
		if !ok {
			break
		}
		if l < bestLoss {
			bestLoss = l
			copy(best.H, p.H)
			copy(best.T, p.T)
			copy(best.D, p.D)
		}
		opt.update(p, grad, sched.at(it, iters), [3]bool{true, true, false})
		if tick != nil && !tick() {
			break
		}
	}
	copy(p.H, best.H)
	copy(p.T, best.T)
	copy(p.D, best.D)
	return g.loss(p, true, nil)
}
