package convert

import (
	"math"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// channelD re-solves the output weights d of p for each channel's inputs
// (refitD on each channel's calibration sample) and returns p with K
// weights per channel, channel-major. Which steps spike depends only on h
// and T, so this changes no spike. Why: the inputs of one channel often
// sit in a narrow range (a feature map's background, a gate's operating
// point), where a neuron fitted to the pooled distribution has an error of
// one sign; the next layer sums that error over all its inputs, and a
// network can be very sensitive to it. The output weight is a synaptic
// weight, so every neuron may have its own. ok is false when there are no
// per-channel samples; a channel without values keeps p's weights.
func channelD(act fsfit.Activation, p layers.FSParams, channels [][]float32) (layers.FSParams, bool) {
	k := p.K()
	if len(channels) < 2 || len(p.D) != k {
		return p, false
	}
	d := make([]float32, 0, k*len(channels))
	for _, xs := range channels {
		row := p
		if len(xs) > 0 {
			if rp, ok := refitD(act, p, xs); ok {
				row = rp
			}
		}
		d = append(d, row.D...)
	}
	return layers.FSParams{H: p.H, T: p.T, D: d}, true
}

// measureChannels is the error of p (with per-channel or shared d) over
// the values of every channel's sample.
func measureChannels(act fsfit.Activation, p layers.FSParams, channels [][]float32) (mse, maxAbs float64) {
	k := p.K()
	var n int
	for c, xs := range channels {
		row := layers.FSParams{H: p.H, T: p.T, D: p.D[:k]}
		if len(p.D) == k*len(channels) {
			row.D = p.D[c*k : (c+1)*k]
		}
		for _, x := range xs {
			out, _ := layers.FSForward(row, x)
			e := float64(out) - act.F(float64(x))
			mse += e * e
			maxAbs = math.Max(maxAbs, math.Abs(e))
			n++
		}
	}
	if n > 0 {
		mse /= float64(n)
	}
	return mse, maxAbs
}
