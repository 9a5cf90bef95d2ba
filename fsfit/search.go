package fsfit

import (
	"math"
	"slices"
)

// searcher improves parameters by exact block moves on the true
// (hard-step) loss. With the other steps fixed, each input's output
// depends on T[t] only through whether it spikes at step t, so the loss as
// a function of (T[t], d[t]) is minimised globally by sorting the inputs
// by their potential at step t and scanning the splits. Resets are
// searched over a grid. Every accepted move is followed by the
// least-squares d.
type searcher struct {
	b      *batch
	scale  float64 // input range width, for the h grid
	pre    []float64
	e0, e1 []float64
	keys   []keyed
	// tails, tailNext: scratch of tailPieces
	tails, tailNext []tailPiece
}

type keyed struct {
	v float64
	i int32
}

func newSearcher(b *batch, scale float64) *searcher {
	n := len(b.x)
	return &searcher{b: b, scale: scale, pre: make([]float64, n),
		e0: make([]float64, n), e1: make([]float64, n), keys: make([]keyed, n)}
}

// tail runs steps from..k-1 on potential v and returns the output added.
func tail(p Params, v float64, from int) float64 {
	out := 0.0
	for t := from; t < len(p.T); t++ {
		if v > p.T[t] {
			out += p.D[t]
			v -= p.H[t]
		}
	}
	return out
}

// prefix fills s.pre with the output accumulated before step t, using the
// spikes of the last hard forward pass.
func (s *searcher) prefix(p Params, t int) {
	b, k := s.b, s.b.k
	for i := range b.x {
		zi := b.z[i*k : i*k+t]
		o := 0.0
		for u, z := range zi {
			o += p.D[u] * z
		}
		s.pre[i] = o
	}
}

// hCandidates returns the reset values tried for step t: moves around the
// current value at several scales, plus values independent of it, so that a
// step that has become useless can be re-purposed.
func (s *searcher) hCandidates(h0 float64) []float64 {
	c := []float64{h0, 0}
	for _, st := range hBlockSteps {
		c = append(c, h0+st*s.scale/4, h0*(1+st))
	}
	for j := 1; j <= 6; j++ {
		v := s.scale * math.Pow(2, -float64(j))
		c = append(c, v, -v)
	}
	return c
}

// searchBlock jointly optimises (h[t], T[t], d[t]) with the other steps
// fixed: T[t] and d[t] exactly (for each split of the inputs sorted by
// their potential at step t, the best d[t] is a weighted mean), h[t] over
// hCandidates. It returns the loss after re-solving all of d.
func (s *searcher) searchBlock(p Params, t int, cur float64) float64 {
	b, k := s.b, s.b.k
	n := len(b.x)
	s.prefix(p, t)
	for i := range b.x {
		s.keys[i] = keyed{b.v[i*k+t], int32(i)}
	}
	keys := s.keys
	slices.SortFunc(keys, func(a, c keyed) int {
		switch {
		case a.v < c.v:
			return -1
		case a.v > c.v:
			return 1
		}
		return 0
	})
	hs := s.hCandidates(p.H[t])
	// The output of steps t+1.. is a piecewise-constant function of the
	// potential after step t: tabulate it once over the potentials any
	// candidate reset can produce, then read it by merging with the
	// sorted inputs instead of running the steps for every input.
	var hmax float64
	for _, h := range hs {
		hmax = math.Max(hmax, math.Abs(h))
	}
	// Past 8n pieces (2^(K-t-1) at most) the table costs more than it
	// saves: then run the steps per input.
	var ok bool
	s.tails, ok = tailPieces(p, t+1, keys[0].v-hmax-1, keys[n-1].v+hmax+1, 8*n, s.tails[:0], &s.tailNext)
	tp := s.tails
	tailAt := func(v float64, j *int) float64 {
		if !ok {
			return tail(p, v, t+1)
		}
		for v > tp[*j].b {
			*j++
		}
		return tp[*j].out
	}
	j := 0
	for _, kv := range keys {
		o0 := s.pre[kv.i] + tailAt(kv.v, &j) - b.f[kv.i]
		s.e0[kv.i] = b.w[kv.i] * o0 * o0
	}
	bestLoss := math.Inf(1)
	bestH, bestJ, bestD := p.H[t], n-1, p.D[t]
	for _, h := range hs {
		// Scan splits from "all spike" (j=-1) upwards with suffix sums of
		// the spiking inputs' residuals r = f - pre - tail1.
		var sw, swr, swr2 float64
		j := 0
		for _, kv := range keys {
			i := kv.i
			r := b.f[i] - s.pre[i] - tailAt(kv.v-h, &j)
			s.e1[i] = r
			w := b.w[i]
			sw += w
			swr += w * r
			swr2 += w * r * r
		}
		zero := 0.0 // loss of the silent inputs so far
		// l is zero plus the spiking inputs' weighted variance (>= 0 up
		// to rounding of about 1e-15 of swr2), and zero never decreases
		// with j: once zero exceeds bestLoss by more than any rounding,
		// no later split can win.
		slack := 1e-12 * swr2
		for j := -1; j < n; j++ {
			if zero > bestLoss+slack+1e-12*zero {
				break
			}
			if j >= 0 {
				i := keys[j].i
				r := s.e1[i]
				w := b.w[i]
				sw -= w
				swr -= w * r
				swr2 -= w * r * r
				zero += s.e0[i]
				if j+1 < n && keys[j+1].v == keys[j].v {
					continue
				}
			}
			l := zero
			d := 0.0
			if sw > 0 {
				d = swr / sw
				l += swr2 - swr*d
			}
			if l < bestLoss-1e-15 {
				bestLoss, bestH, bestJ, bestD = l, h, j, d
			}
		}
	}
	if bestLoss >= cur*(1-1e-9) {
		// No block move beats the current parameters (whose d is the
		// joint optimum): keep them and skip the re-solve.
		return cur
	}
	p.H[t], p.D[t] = bestH, bestD
	switch {
	case bestJ < 0:
		p.T[t] = keys[0].v - 0.5*s.scale/float64(n)
	case bestJ == n-1:
		p.T[t] = keys[n-1].v + 0.5*s.scale/float64(n)
	default:
		p.T[t] = (keys[bestJ].v + keys[bestJ+1].v) / 2
	}
	b.forward(p, false, 0)
	return b.solveD(p)
}

// blockSweep runs searchBlock over all steps.
func (s *searcher) blockSweep(p Params, cur float64) float64 {
	for t := 0; t < s.b.k; t++ {
		cur = s.searchBlock(p, t, cur)
	}
	return cur
}

// hBlockSteps are the relative moves of hCandidates around the current
// reset.
var hBlockSteps = []float64{-0.5, -0.25, -0.12, -0.06, -0.03, -0.01, 0.01, 0.03, 0.06, 0.12, 0.25, 0.5}

// tailPiece is an interval (.., b] of potentials on which the steps after
// a given one add out to the output (the previous piece ends where it
// begins); off is the reset they subtract.
type tailPiece struct {
	a, b, off, out float64
}

// tailPieces tabulates the output of steps from..K-1 as a function of the
// potential v in (lo, hi], in increasing v; buf and next are reused
// scratch. The last piece is extended to +Inf. It reports false, having
// given up, if there are more than limit pieces.
func tailPieces(p Params, from int, lo, hi float64, limit int, buf []tailPiece, next *[]tailPiece) ([]tailPiece, bool) {
	cur := append(buf, tailPiece{a: lo, b: hi})
	for t := from; t < len(p.T); t++ {
		nx := (*next)[:0]
		for _, pc := range cur {
			s := p.T[t] + pc.off
			switch {
			case s >= pc.b:
				nx = append(nx, pc)
			case s <= pc.a:
				pc.off += p.H[t]
				pc.out += p.D[t]
				nx = append(nx, pc)
			default:
				r := pc
				pc.b = s
				r.a = s
				r.off += p.H[t]
				r.out += p.D[t]
				nx = append(nx, pc, r)
			}
		}
		*next = cur
		cur = nx
		if len(cur) > limit {
			return cur, false
		}
	}
	cur[len(cur)-1].b = math.Inf(1)
	return cur, true
}
