package layers

import (
	"fmt"
	"sync/atomic"
)

// fsChannels returns the number of channels of an FS node's output
// weights: 1 when d has one weight per step (shared by all neurons), C
// when d holds C rows of K weights (row c for the neurons of channel c,
// axis 1 of the input). Conversion re-solves d per channel: the output
// weight is a synaptic weight, so each neuron may have its own.
func fsChannels(h, d []float32) (int, error) {
	if len(h) == 0 || len(d) == 0 || len(d)%len(h) != 0 {
		return 0, fmt.Errorf("attribute d must hold K = %d weights or K per channel, got %d", len(h), len(d))
	}
	return len(d) / len(h), nil
}

// fsPerChannel runs the FS neuron on x into out with output weights
// d[c*K:(c+1)*K] for the neurons of channel c (axis 1 of x), or d for all
// when it holds K weights, then adds bias[c] (when bias is not empty), and
// returns the spike count.
func fsPerChannel(ec *execContext, h, th, d, bias []float32, x, out *Tensor) (int64, error) {
	k := len(h)
	c := len(d) / k
	if len(bias) > 0 && c == 1 {
		c = len(bias)
	}
	if len(x.Shape) < 2 || x.Shape[1] != c || (len(d) != k && len(d) != k*c) || (len(bias) > 0 && len(bias) != c) {
		return 0, fmt.Errorf("attributes d (%d weights for %d steps) and bias (%d) do not match the %d channels of input shape %v",
			len(d), k, len(bias), dimOr(x.Shape, 1), x.Shape)
	}
	row := func(ch int) []float32 {
		if len(d) == k {
			return d
		}
		return d[ch*k : (ch+1)*k]
	}
	inner := 1
	for _, s := range x.Shape[2:] {
		inner *= s
	}
	n := x.Shape[0]
	planes := n * c
	var total atomic.Int64
	if inner == 0 || planes == 0 {
		return 0, nil
	}
	if inner == 1 {
		// One neuron per channel ([N, C] features): each channel's
		// column is gathered, so that the vector kernel runs on N values
		// at a time instead of one.
		ec.par(c, len(x.F)*k, func(lo, hi int) {
			col, res := make([]float32, n), make([]float32, n)
			var spikes int64
			for ch := lo; ch < hi; ch++ {
				for i := range col {
					col[i] = x.F[i*c+ch]
				}
				spikes += fsRun(h, th, row(ch), col, res)
				if len(bias) > 0 {
					b := bias[ch]
					for i := range res {
						res[i] += b
					}
				}
				for i, v := range res {
					out.F[i*c+ch] = v
				}
			}
			total.Add(spikes)
		})
		return total.Load(), nil
	}
	// The bias goes on last, as in the unrolled graph, a group of planes
	// at a time while they are still in cache (a pass over the whole
	// output afterwards cost as much as the FS steps), in one vector call
	// where the CPU has AVX-512.
	group := max(1, fsBiasGroup/inner)
	ec.par(planes, len(x.F)*k, func(lo, hi int) {
		var spikes int64
		var perPlane []float32
		for g := lo; g < hi; g += group {
			ge := min(g+group, hi)
			for p := g; p < ge; p++ {
				spikes += fsRun(h, th, row(p%c), x.F[p*inner:(p+1)*inner], out.F[p*inner:(p+1)*inner])
			}
			if len(bias) == 0 {
				continue
			}
			dst := out.F[g*inner : ge*inner]
			perPlane = perPlane[:0]
			for p := g; p < ge; p++ {
				perPlane = append(perPlane, bias[p%c])
			}
			if rowsScalar(dst, inner, dst, inner, perPlane, inner, true) {
				continue
			}
			for p, b := range perPlane {
				for i := range dst[p*inner : (p+1)*inner] {
					dst[p*inner+i] += b
				}
			}
		}
		total.Add(spikes)
	})
	return total.Load(), nil
}

// fsBiasGroup is the number of output values per-channel FS finishes
// before adding their bias: 32 KiB, to stay in the L1/L2 cache.
const fsBiasGroup = 8192

func dimOr(shape []int, i int) int {
	if i < len(shape) {
		return shape[i]
	}
	return 0
}
