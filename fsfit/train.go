package fsfit

import (
	"math"
)

// batch holds the training points and the per-step state of the last
// forward pass, reused across epochs to avoid allocation.
type batch struct {
	x, f, w []float64 // inputs, targets, weights summing to one
	k       int
	v       []float64 // v[i*k+t]: membrane potential before step t
	z       []float64 // z[i*k+t]: spike (0/1, or the smoothed step)
	out     []float64
	hard    bool // the last forward pass spiked hard (z is 0 or 1)
}

func newBatch(x, f, w []float64, k int) *batch {
	n := len(x)
	return &batch{x: x, f: f, w: w, k: k,
		v: make([]float64, n*k), z: make([]float64, n*k), out: make([]float64, n)}
}

// smoothStep is the step whose derivative is the pseudo-derivative
// max(0, 1-|s|): with it the backward pass is the exact gradient, which
// the tests check against finite differences.
func smoothStep(s float64) float64 {
	switch {
	case s <= -1:
		return 0
	case s < 0:
		return (1 + s) * (1 + s) / 2
	case s < 1:
		return 1 - (1-s)*(1-s)/2
	}
	return 1
}

// forward runs the neuron on every point, storing v and z, and returns the
// weighted MSE. With width > 0 and smooth set, z is smoothStep((v-T)/width)
// instead of the hard step.
func (b *batch) forward(p Params, smooth bool, width float64) float64 {
	k := b.k
	b.hard = !smooth
	var loss float64
	for i, x := range b.x {
		v, out := x, 0.0
		vi, zi := b.v[i*k:i*k+k], b.z[i*k:i*k+k]
		for t := 0; t < k; t++ {
			vi[t] = v
			var z float64
			if smooth {
				z = smoothStep((v - p.T[t]) / width)
			} else if v > p.T[t] {
				z = 1
			}
			zi[t] = z
			out += p.D[t] * z
			v -= p.H[t] * z
		}
		b.out[i] = out
		e := out - b.f[i]
		loss += b.w[i] * e * e
	}
	return loss
}

// backward back-propagates the loss of the last forward pass through the K
// steps with the pseudo-derivative max(0, 1-|v-T|/width)/width and adds
// the gradients to g (laid out as Params).
func (b *batch) backward(p Params, width float64, g Params) {
	k := b.k
	inv := 1 / width
	for i := range b.x {
		gout := 2 * b.w[i] * (b.out[i] - b.f[i])
		if gout == 0 {
			continue
		}
		vi, zi := b.v[i*k:i*k+k], b.z[i*k:i*k+k]
		gv := 0.0 // dL/dv after step t
		for t := k - 1; t >= 0; t-- {
			z := zi[t]
			g.D[t] += gout * z
			g.H[t] -= gv * z
			s := (vi[t] - p.T[t]) * inv
			if s > -1 && s < 1 {
				gz := gout*p.D[t] - gv*p.H[t]
				gs := gz * (1 - math.Abs(s)) * inv
				g.T[t] -= gs
				gv += gs
			}
		}
	}
}

// solveD sets p.D to the weighted least-squares optimum for the spikes of
// the last (hard) forward pass and returns the resulting loss. A tiny ridge
// keeps steps that never spike (or always spike together) well posed.
func (b *batch) solveD(p Params) float64 {
	k := b.k
	a := make([]float64, k*k)
	rhs := make([]float64, k)
	idx := make([]int, 0, k)
	for i := range b.x {
		zi := b.z[i*k : i*k+k]
		idx = idx[:0]
		for t, z := range zi {
			if z != 0 {
				idx = append(idx, t)
			}
		}
		w := b.w[i]
		if b.hard {
			// Hard spikes: w*z*z' is w, and a is symmetric: accumulate
			// its upper triangle only (the same sums, bit for bit).
			wf := w * b.f[i]
			for m, s := range idx {
				rhs[s] += wf
				row := a[s*k:]
				for _, t := range idx[m:] {
					row[t] += w
				}
			}
			continue
		}
		for _, s := range idx {
			ws := w * zi[s]
			rhs[s] += ws * b.f[i]
			row := a[s*k:]
			for _, t := range idx {
				row[t] += ws * zi[t]
			}
		}
	}
	if b.hard {
		for s := 0; s < k; s++ {
			for t := s + 1; t < k; t++ {
				a[t*k+s] = a[s*k+t]
			}
		}
	}
	var tr float64
	for t := 0; t < k; t++ {
		tr += a[t*k+t]
	}
	// Retry with a stronger ridge if the system is numerically singular.
	for ridge := 1e-10*tr/float64(k) + 1e-14; ridge < tr+1; ridge *= 1000 {
		m := append([]float64(nil), a...)
		for t := 0; t < k; t++ {
			m[t*k+t] += ridge
		}
		if d, ok := choleskySolve(m, rhs, k); ok {
			copy(p.D, d)
			break
		}
	}
	// Recompute outputs and loss with the new d.
	var loss float64
	for i := range b.x {
		zi := b.z[i*k : i*k+k]
		out := 0.0
		for t, z := range zi {
			out += p.D[t] * z
		}
		b.out[i] = out
		e := out - b.f[i]
		loss += b.w[i] * e * e
	}
	return loss
}

// choleskySolve solves the symmetric positive definite system a x = b
// (a is k×k row-major and is overwritten).
func choleskySolve(a, b []float64, k int) ([]float64, bool) {
	for j := 0; j < k; j++ {
		s := a[j*k+j]
		for m := 0; m < j; m++ {
			s -= a[j*k+m] * a[j*k+m]
		}
		if !(s > 0) {
			return nil, false
		}
		s = math.Sqrt(s)
		a[j*k+j] = s
		for i := j + 1; i < k; i++ {
			r := a[i*k+j]
			for m := 0; m < j; m++ {
				r -= a[i*k+m] * a[j*k+m]
			}
			a[i*k+j] = r / s
		}
	}
	x := append([]float64(nil), b...)
	for i := 0; i < k; i++ {
		s := x[i]
		for m := 0; m < i; m++ {
			s -= a[i*k+m] * x[m]
		}
		x[i] = s / a[i*k+i]
	}
	for i := k - 1; i >= 0; i-- {
		s := x[i]
		for m := i + 1; m < k; m++ {
			s -= a[m*k+i] * x[m]
		}
		x[i] = s / a[i*k+i]
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
	}
	return x, true
}

// adam is the Adam optimiser (Kingma & Ba) over the 3K parameters.
type adam struct {
	m, v   Params
	b1, b2 float64
	eps    float64
	step   int
}

func newAdam(k int) *adam {
	z := func() Params {
		return Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	}
	return &adam{m: z(), v: z(), b1: 0.9, b2: 0.999, eps: 1e-8}
}

// update applies one Adam step with learning rate lr to p. Parameter
// groups with a false mask entry (h, T, d order) are left unchanged.
func (o *adam) update(p, g Params, lr float64, mask [3]bool) {
	o.step++
	c1 := 1 - math.Pow(o.b1, float64(o.step))
	c2 := 1 - math.Pow(o.b2, float64(o.step))
	groups := [3][3][]float64{{p.H, g.H, nil}, {p.T, g.T, nil}, {p.D, g.D, nil}}
	ms := [3][]float64{o.m.H, o.m.T, o.m.D}
	vs := [3][]float64{o.v.H, o.v.T, o.v.D}
	for gi, grp := range groups {
		if !mask[gi] {
			continue
		}
		par, grad, m, v := grp[0], grp[1], ms[gi], vs[gi]
		for i := range par {
			m[i] = o.b1*m[i] + (1-o.b1)*grad[i]
			v[i] = o.b2*v[i] + (1-o.b2)*grad[i]*grad[i]
			par[i] -= lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + o.eps)
		}
	}
}

func zeroParams(g Params) {
	for _, s := range [][]float64{g.H, g.T, g.D} {
		for i := range s {
			s[i] = 0
		}
	}
}

// schedule is a learning-rate schedule: cosine decay from lr to lr*final.
type schedule struct {
	lr, final float64
}

func (s schedule) at(epoch, epochs int) float64 {
	if s.final == 1 || epochs <= 1 {
		return s.lr
	}
	c := 0.5 * (1 + math.Cos(math.Pi*float64(epoch)/float64(epochs-1)))
	return s.lr * (s.final + (1-s.final)*c)
}

// trainConfig says how trainAdam runs.
type trainConfig struct {
	epochs int
	sched  schedule
	width  float64 // pseudo-derivative width (1 in the papers)
	varPro bool    // solve d exactly each epoch and train only h and T
	// soft, if > 0, runs the forward pass with the smoothed step, its
	// width decaying geometrically from soft to width over the epochs
	// (a continuation from a smooth problem to the hard one).
	soft float64
	tick func() bool // called once per epoch (progress); false stops training
}

// trainAdam trains p in place with full-batch Adam on the hard forward
// pass and the pseudo-derivative backward pass, leaving in p the best
// parameters seen, and returns their loss.
func trainAdam(b *batch, p Params, cfg trainConfig) float64 {
	k := b.k
	opt := newAdam(k)
	g := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
	best := p.Clone()
	bestLoss := math.Inf(1)
	mask := [3]bool{true, true, !cfg.varPro}
	for e := 0; e < cfg.epochs; e++ {
		width := cfg.width
		smooth := cfg.soft > 0
		if smooth {
			width = cfg.soft * math.Pow(cfg.width/cfg.soft, float64(e)/float64(cfg.epochs-1))
		}
		loss := b.forward(p, smooth, width)
		if cfg.varPro {
			loss = b.solveD(p)
		}
		if !smooth && loss < bestLoss {
			bestLoss = loss
			copy(best.H, p.H)
			copy(best.T, p.T)
			copy(best.D, p.D)
		}
		zeroParams(g)
		b.backward(p, width, g)
		opt.update(p, g, cfg.sched.at(e, cfg.epochs), mask)
		if cfg.tick != nil && !cfg.tick() {
			break
		}
	}
	loss := b.forward(p, false, 0)
	if cfg.varPro {
		loss = b.solveD(p)
	}
	if loss < bestLoss {
		return loss
	}
	copy(p.H, best.H)
	copy(p.T, best.T)
	copy(p.D, best.D)
	return bestLoss
}
