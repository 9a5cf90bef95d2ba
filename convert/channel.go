package convert

import (
	"math"
	"slices"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/layers"
)

// channelD re-solves the output weights d of p for each channel's inputs
// (zero-mean least squares on each channel's calibration sample, as
// refitD) together with a constant per channel, and returns p with K
// weights per channel, channel-major, and one bias per channel. Which
// steps spike depends only on h and T, so this changes no spike. Why: the
// inputs of one channel often sit in a narrow range (a feature map's
// background, a gate's operating point), where a neuron fitted to the
// pooled distribution errs with one sign; the next layer sums that error
// over all its inputs, and a network can be very sensitive to it. The
// output weight is a synaptic weight and the constant a bias of the next
// layer, so every channel may have its own. ok is false when there are no
// per-channel samples; a channel without values keeps p's weights.
func channelD(p layers.FSParams, channels []fitSample) (layers.FSParams, bool) {
	k := p.K()
	if len(channels) < 2 || len(p.D) != k || len(p.Bias) != 0 {
		return p, false
	}
	d := make([]float32, 0, k*len(channels))
	bias := make([]float32, len(channels))
	for c, cs := range channels {
		row := p
		if len(cs.xs) > 0 {
			if rp, ok := refitWeights(p, cs, true); ok {
				row = rp
				bias[c] = rp.Bias[0]
			}
		}
		d = append(d, row.D...)
	}
	return layers.FSParams{H: p.H, T: p.T, D: d, Bias: bias}, true
}

// channelRow is the neuron of channel c of p (of the given channels):
// its row of output weights, and its bias.
func channelRow(p layers.FSParams, c, channels int) (layers.FSParams, float32) {
	k := p.K()
	row := layers.FSParams{H: p.H, T: p.T, D: p.D[:k]}
	if len(p.D) == k*channels {
		row.D = p.D[c*k : (c+1)*k]
	}
	var b float32
	if len(p.Bias) == channels {
		b = p.Bias[c]
	}
	return row, b
}

// measureChannels is the error of p (with per-channel or shared d and
// bias) over the values of every channel's sample.
func measureChannels(p layers.FSParams, channels []fitSample) (mse, maxAbs float64) {
	var n int
	var out []float32
	for c, cs := range channels {
		row, b := channelRow(p, c, len(channels))
		out = slices.Grow(out[:0], len(cs.xs))[:len(cs.xs)]
		layers.FSForwardAll(row, cs.xs, out)
		for i, o := range out {
			e := float64(o+b) - cs.fxs[i]
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

// constantSteps returns p without the steps that fire for nearly every
// input of xs (at least minShare of them), and true when there were any.
// Such a step mostly adds a constant, which a per-channel bias provides
// without a spike. Removing step s leaves the potential of later steps
// higher by h[s] for the inputs that fired it, so their thresholds are
// raised by h[s]: for those inputs every later spike is unchanged. Its
// output weight is left to the least-squares re-solve (channelD).
func constantSteps(p layers.FSParams, xs []float32, minShare float64) (layers.FSParams, bool) {
	k := p.K()
	q := layers.FSParams{H: append([]float32(nil), p.H...), T: append([]float32(nil), p.T...), D: append([]float32(nil), p.D...)}
	// v holds each input's potential before step s, under q as edited
	// so far: one pass over the inputs per step.
	v := append([]float32(nil), xs...)
	removed := false
	for s := 0; s < k; s++ {
		if q.T[s] == math.MaxFloat32 {
			continue
		}
		fired := 0
		for _, vi := range v {
			if vi > q.T[s] {
				fired++
			}
		}
		if float64(fired) < minShare*float64(len(xs)) {
			for i, vi := range v {
				if vi > q.T[s] {
					v[i] = vi - q.H[s]
				}
			}
			continue
		}
		for t := s + 1; t < k; t++ {
			if q.T[t] != math.MaxFloat32 {
				q.T[t] += q.H[s]
			}
		}
		q.T[s], q.H[s], q.D[s] = math.MaxFloat32, 0, 0
		removed = true
	}
	if !removed {
		return p, false
	}
	// Steps that never fire change nothing wherever they are: move them to
	// the end, where the engine leaves them out (trimInert).
	out := layers.FSParams{H: make([]float32, 0, k), T: make([]float32, 0, k), D: make([]float32, 0, k)}
	for t := range k {
		if q.T[t] != math.MaxFloat32 || q.H[t] != 0 || q.D[t] != 0 {
			out.H, out.T, out.D = append(out.H, q.H[t]), append(out.T, q.T[t]), append(out.D, q.D[t])
		}
	}
	return pad(out, k), true
}

// channelGrid is the number of uniform points standing for the floor of
// a channel's fit (refitGrid for a whole site).
const channelGrid = 256

// channelSamples prepares each channel's calibration sample for channelD.
func channelSamples(act fsfit.Activation, channels [][]float32) []fitSample {
	out := make([]fitSample, len(channels))
	for c, xs := range channels {
		out[c] = newFitSample(act, xs, channelGrid)
	}
	return out
}
