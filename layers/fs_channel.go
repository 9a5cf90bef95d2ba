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

// fsPerChannel runs the FS neuron on x with output weights d[c*K:(c+1)*K]
// for the neurons of channel c (axis 1 of x), into out, and returns the
// spike count.
func fsPerChannel(ec *execContext, h, th, d []float32, x, out *Tensor) (int64, error) {
	k := len(h)
	c := len(d) / k
	if len(x.Shape) < 2 || x.Shape[1] != c {
		return 0, fmt.Errorf("attribute d has %d channels of %d steps, input shape %v has %d", c, k, x.Shape, dimOr(x.Shape, 1))
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
				o, s := FSForward(FSParams{H: h, T: th, D: d[ch*k : (ch+1)*k]}, x.F[p])
				out.F[p] = o
				spikes += int64(s)
			}
		} else {
			for p := lo; p < hi; p++ {
				ch := p % c
				spikes += fsRun(h, th, d[ch*k:(ch+1)*k], x.F[p*inner:(p+1)*inner], out.F[p*inner:(p+1)*inner])
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
