package onnx

import (
	"slices"

	"github.com/fewspikes/fewspikes/layers"
)

// fuseLayerNorm rewrites the decomposition exporters emit for layer
// normalisation before opset 17,
//
//	m = ReduceMean(x, axes); d = Sub(x, m); v = ReduceMean(Pow(d, 2), axes)
//	y = Div(d, Sqrt(Add(v, eps))) · gamma + beta
//
// as LayerNormalization(x, gamma, beta) with axis and epsilon. The axes
// must be the trailing ones given as negative numbers (-k..-1), since the
// rank is not known here; Pow(d, 2) may also be Mul(d, d); beta is
// optional, gamma is required (its shape gives the normalised shape).
func fuseLayerNorm(r *rewriter) {
	for _, div := range r.g.Nodes {
		if div.Op != "Div" || r.removed[div] || len(div.Inputs) != 2 {
			continue
		}
		d, s := div.Inputs[0], div.Inputs[1]
		sub := r.node(d, "Sub")
		sqrt := r.node(s, "Sqrt")
		if sub == nil || sqrt == nil || len(sub.Inputs) != 2 || !r.private(s, div) {
			continue
		}
		x := sub.Inputs[0]
		mean := r.node(sub.Inputs[1], "ReduceMean")
		if mean == nil || len(mean.Inputs) != 1 || mean.Inputs[0] != x || !r.private(sub.Inputs[1], sub) {
			continue
		}
		axis, ok := trailingAxes(mean)
		if !ok {
			continue
		}
		addEps := r.node(sqrt.Inputs[0], "Add")
		va, vb, ok := operands(addEps)
		if !ok || !r.private(sqrt.Inputs[0], sqrt) {
			continue
		}
		eps, isConst := r.scalar(vb)
		if !isConst {
			if eps, isConst = r.scalar(va); !isConst {
				continue
			}
			va = vb
		}
		varMean := r.node(va, "ReduceMean")
		if varMean == nil || len(varMean.Inputs) != 1 || !r.private(va, addEps) {
			continue
		}
		if ax, ok := trailingAxes(varMean); !ok || ax != axis {
			continue
		}
		sq := r.node(varMean.Inputs[0], "Pow", "Mul")
		if sq == nil || len(sq.Inputs) != 2 || !r.private(varMean.Inputs[0], varMean) || sq.Inputs[0] != d ||
			(sq.Op == "Pow" && !r.isScalar(sq.Inputs[1], 2)) || (sq.Op == "Mul" && sq.Inputs[1] != d) {
			continue
		}
		if !r.private(d, sq, div) {
			continue
		}
		// gamma (required) and beta (optional) follow the Div.
		scale := r.soleReader(firstOutput(div), "Mul")
		if scale == nil || len(scale.Inputs) != 2 {
			continue
		}
		gammaName := scale.Inputs[1]
		if gammaName == firstOutput(div) {
			gammaName = scale.Inputs[0]
		}
		gamma := trailingParam(r.g.Initializers[gammaName], -int(axis))
		if gamma == nil {
			continue
		}
		last, inputs := scale, []string{x, ""}
		swallowed := []*layers.Node{div, sub, sqrt, mean, addEps, varMean, sq}
		if add := r.soleReader(firstOutput(scale), "Add"); add != nil && len(add.Inputs) == 2 {
			betaName := add.Inputs[1]
			if betaName == firstOutput(scale) {
				betaName = add.Inputs[0]
			}
			if beta := trailingParam(r.g.Initializers[betaName], -int(axis)); beta != nil && slices.Equal(beta.Shape, gamma.Shape) {
				swallowed = append(swallowed, scale)
				last = add
				inputs = append(inputs, uniqueName(r.g, add.Name+"_beta"))
				r.g.Initializers[inputs[2]] = beta
			}
		}
		inputs[1] = uniqueName(r.g, last.Name+"_gamma")
		r.g.Initializers[inputs[1]] = gamma
		r.replace(last, swallowed, "LayerNormalization", inputs, layers.Attrs{"axis": axis, "epsilon": eps})
	}
}

// trailingAxes returns the first axis of a keepdims ReduceMean over the
// trailing axes -k..-1.
func trailingAxes(n *layers.Node) (int64, bool) {
	axes := slices.Clone(n.Attrs.Ints("axes", nil))
	if len(axes) == 0 || n.Attrs.Int("keepdims", 1) != 1 {
		return 0, false
	}
	slices.Sort(axes)
	for i, a := range axes {
		if a != int64(i-len(axes)) {
			return 0, false
		}
	}
	return axes[0], true
}

// trailingParam returns a float constant reshaped to its trailing k
// dimensions when the leading ones are 1 (so it broadcasts exactly like a
// LayerNormalization scale), or nil.
func trailingParam(t *layers.Tensor, k int) *layers.Tensor {
	if t == nil || t.DType != layers.Float32 || len(t.Shape) < k {
		return nil
	}
	lead := len(t.Shape) - k
	for _, d := range t.Shape[:lead] {
		if d != 1 {
			return nil
		}
	}
	return layers.FromFloat32(t.F, t.Shape[lead:]...)
}
