package layers

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Activation rows compute in float64 where a transcendental function is
// involved (math has no float32 versions) and round once to float32.

func reluRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func sigmoidRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(sigmoid64(float64(v)))
	}
}

func tanhRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

func siluRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		x := float64(v)
		dst[i] = float32(x * sigmoid64(x))
	}
}

func gelu64(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(gelu64(float64(v)))
	}
}

func geluTanh64(x float64) float64 {
	const c = 0.7978845608028654 // sqrt(2/pi)
	return 0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x)))
}

func geluTanhRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(geluTanh64(float64(v)))
	}
}

func hardSwishRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		g := v/6 + 0.5
		g = min(max(g, 0), 1)
		dst[i] = v * g
	}
}

// softplus64 is log(1+exp(x)) without overflow for large x.
func softplus64(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func softplusRow(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(softplus64(float64(v)))
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
	for i, v := range src {
		x := float64(v)
		dst[i] = float32(x * math.Tanh(softplus64(x)))
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
				v = float32(alpha * math.Expm1(float64(v)))
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
// and records the spikes it emitted.
func kFS(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	h, th, d := n.Attrs.Floats("h", nil), n.Attrs.Floats("T", nil), n.Attrs.Floats("d", nil)
	if len(h) == 0 || len(h) != len(th) || len(h) != len(d) {
		return nil, fmt.Errorf("attributes h, T, d must be non-empty and of equal length, got %d, %d, %d", len(h), len(th), len(d))
	}
	x := in[0]
	out := ec.newFloat(x.Shape)
	var total atomic.Int64
	ec.par(len(x.F), len(x.F)*len(h), func(lo, hi int) {
		src, dst := x.F[lo:hi], out.F[lo:hi]
		th, d := th[:len(h)], d[:len(h)]
		var spikes int64
		for i, v := range src {
			var o float32
			for t, ht := range h {
				if v > th[t] {
					o += d[t]
					v -= ht
					spikes++
				}
			}
			dst[i] = o
		}
		total.Add(spikes)
	})
	ec.addSpikes(n, x, total.Load())
	return []*Tensor{out}, nil
}
