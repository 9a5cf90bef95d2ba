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
	planes := x.Shape[0] * c
	var total atomic.Int64
	if inner == 0 || planes == 0 {
		return 0, nil
	}
	ec.par(planes, len(x.F)*k, func(lo, hi int) {
		var spikes int64
		if inner == 1 {
			// One neuron per channel ([N, C] features): the plane loop
			// would call the vector kernel one value at a time.
			for p := lo; p < hi; p++ {
				ch := p % c
				o, s := FSForward(FSParams{H: h, T: th, D: row(ch)}, x.F[p])
				out.F[p] = o
				spikes += int64(s)
			}
		} else {
			for p := lo; p < hi; p++ {
				ch := p % c
				spikes += fsRun(h, th, row(ch), x.F[p*inner:(p+1)*inner], out.F[p*inner:(p+1)*inner])
			}
		}
		if len(bias) > 0 {
			for p := lo; p < hi; p++ {
				b := bias[p%c]
				for i := p * inner; i < (p+1)*inner; i++ {
					out.F[i] += b
				}
			}
		}
		total.Add(spikes)
	})
	return total.Load(), nil
}

func dimOr(shape []int, i int) int {
	if i < len(shape) {
		return shape[i]
	}
	return 0
}
