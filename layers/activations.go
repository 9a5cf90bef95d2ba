package layers

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Activation rows: the frequent ones (Sigmoid, SiLU, Tanh, GELU, Mish) use
// the float32 exp32/tanh32/erf32 of fastmath.go; the rest compute in
// float64 (math has no float32 functions) and round once to float32.

// reluRowGo uses the max builtin, which compiles to a branch-free
// sequence (no misprediction on mixed signs) and keeps NaN.
func reluRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

func sigmoidRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = 1 / (1 + exp32(-v))
	}
}

func tanhRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = tanh32(v)
	}
}

func siluRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v / (1 + exp32(-v))
	}
}

func geluRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = 0.5 * v * (1 + erf32(v*(1/math.Sqrt2)))
	}
}

// geluTanhRow computes 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³),
// as x·sigmoid(2u) (the same function), so that the vector sigmoid does
// the transcendental part; blocks of 64 keep the arguments on the stack.
func geluTanhRow(dst, src []float32) {
	dst = dst[:len(src)]
	const c2 = 2 * 0.7978845608028654 // 2·sqrt(2/pi)
	var u [64]float32
	for lo := 0; lo < len(src); lo += len(u) {
		xs := src[lo:min(lo+len(u), len(src))]
		us := u[:len(xs)]
		for i, v := range xs {
			us[i] = c2 * (v + 0.044715*v*v*v)
		}
		sigmoidRow(us, us)
		out := dst[lo : lo+len(xs)]
		for i, v := range xs {
			out[i] = v * us[i]
		}
	}
}

func hardSwishRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	// x · relu6(x + 3) / 6, as PyTorch writes it; the builtins compile
	// to branch-free MINSS sequences.
	for i, v := range src {
		dst[i] = v * min(max(v+3, 0), 6) * (1.0 / 6)
	}
}

// softplus64 is log(1+exp(x)) without overflow for large x.
func softplus64(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func softplusRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = softplus32(v)
	}
}

func softsignRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v / (1 + float32(math.Abs(float64(v))))
	}
}

func mishRow(dst, src []float32) {
	dst = dst[:len(src)]
	// tanh(log(1+e)) = e(e+2) / (e(e+2) + 2) with e = exp(x).
	for i, v := range src {
		if v >= 20 {
			dst[i] = v
			continue
		}
		e := exp32(v)
		n := e * (e + 2)
		dst[i] = v * n / (n + 2)
	}
}

func leakyReluRow(alpha float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			if v < 0 {
				v *= alpha
			}
			dst[i] = v
		}
	}
}

func eluRow(alpha float64) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			if v < 0 {
				v = float32(alpha) * expm132(v)
			}
			dst[i] = v
		}
	}
}

func seluRow(alpha, gamma float64) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			x := float64(v)
			if x <= 0 {
				x = alpha * math.Expm1(x)
			}
			dst[i] = float32(gamma * x)
		}
	}
}

func celuRow(alpha float64) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(max(0, x) + min(0, alpha*math.Expm1(x/alpha)))
		}
	}
}

func hardSigmoidRow(alpha, beta float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = min(max(alpha*v+beta, 0), 1)
		}
	}
}

func thresholdedReluRow(alpha float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			if v <= alpha {
				v = 0
			}
			dst[i] = v
		}
	}
}

// attrKernel builds a float32 unary kernel whose row depends on attributes.
func attrKernel(mk func(a Attrs) func(dst, src []float32)) kernelFunc {
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needFloat(n, in, 0); err != nil {
			return nil, err
		}
		return []*Tensor{floatMap(ec, in[0], mk(n.Attrs))}, nil
	}
}

func kGelu(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	switch a := n.Attrs.String("approximate", "none"); a {
	case "none":
		return []*Tensor{floatMap(ec, in[0], geluRow)}, nil
	case "tanh":
		return []*Tensor{floatMap(ec, in[0], geluTanhRow)}, nil
	default:
		return nil, fmt.Errorf("unknown approximate=%q", a)
	}
}

var opPRelu = binaryOp{
	f: elemRow(func(x, s float32) float32 {
		if x < 0 {
			return x * s
		}
		return x
	}),
	i: elemRow(func(x, s int64) int64 {
		if x < 0 {
			return x * s
		}
		return x
	}),
}

func kPRelu(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x, slope := in[0], in[1]
	// Unidirectional broadcast: the output has x's shape.
	out, err := binary(ec, opPRelu, x, slope)
	if err != nil {
		return nil, err
	}
	if NumElements(out.Shape) != x.Len() {
		return nil, fmt.Errorf("slope shape %v does not broadcast to X shape %v", slope.Shape, x.Shape)
	}
	return []*Tensor{out}, nil
}

// kFS runs the few-spikes neuron exactly as FSForward, element by element,
// and records the spikes it emitted. Its output weights d are shared by
// all neurons, or given per channel (see fsChannels), and an optional
// attribute "bias" adds one constant per channel to the output.
func kFS(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	h, th, d := n.Attrs.Floats("h", nil), n.Attrs.Floats("T", nil), n.Attrs.Floats("d", nil)
	channels, err := fsChannels(h, d)
	if err != nil || len(h) != len(th) {
		return nil, fmt.Errorf("attributes h, T, d must be non-empty, h and T of equal length K and d of K or K per channel, got %d, %d, %d", len(h), len(th), len(d))
	}
	x := in[0]
	out := ec.newFloat(x.Shape)
	if bias := n.Attrs.Floats("bias", nil); channels > 1 || len(bias) > 0 {
		spikes, err := fsPerChannel(ec, h, th, d, bias, x, out)
		if err != nil {
			return nil, err
		}
		ec.addSpikes(n, x, spikes)
		return []*Tensor{out}, nil
	}
	var total atomic.Int64
	ec.par(len(x.F), len(x.F)*len(h), func(lo, hi int) {
		total.Add(fsRun(h, th, d, x.F[lo:hi], out.F[lo:hi]))
	})
	ec.addSpikes(n, x, total.Load())
	return []*Tensor{out}, nil
}

// fsBlock runs the FS neuron on src into dst and returns the spike count.
// It works on blocks of fsBlockLen neurons one time step at a time, so that
// the steps of different neurons overlap in the pipeline instead of
// forming one long dependency chain, and adds d[t] and subtracts h[t] under
// a bit mask (all ones on a spike, else zero) rather than a branch. Adding
// or subtracting +0 changes nothing, so the result is bit-identical to
// FSForward.
func fsBlock(h, th, d, src, dst []float32) int64 {
	const fsBlockLen = 256
	var vb, ob [fsBlockLen]float32
	var spikes int64
	for lo := 0; lo < len(src); lo += fsBlockLen {
		hi := min(lo+fsBlockLen, len(src))
		v, o := vb[:hi-lo], ob[:hi-lo]
		copy(v, src[lo:hi])
		clear(o)
		for t := range h {
			tt, hb, db := th[t], math.Float32bits(h[t]), math.Float32bits(d[t])
			var cnt uint32
			o := o[:len(v)]
			for j, vj := range v {
				var m uint32
				if vj > tt {
					m = 0xffffffff
				}
				o[j] += math.Float32frombits(db & m)
				v[j] = vj - math.Float32frombits(hb&m)
				cnt += m & 1
			}
			spikes += int64(cnt)
		}
		copy(dst[lo:hi], o)
	}
	return spikes
}
