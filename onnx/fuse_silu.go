package onnx

import "github.com/fewspikes/fewspikes/layers"

// fuseSiLU rewrites Mul(x, Sigmoid(x)) (either operand order) as SiLU(x).
// A Sigmoid that gates a different tensor (squeeze-excitation) or whose
// output is read elsewhere is left alone.
func fuseSiLU(r *rewriter) {
	for _, mul := range r.g.Nodes {
		a, b, ok := operands(mul)
		if mul.Op != "Mul" || !ok || r.removed[mul] {
			continue
		}
		for _, pair := range [][2]string{{a, b}, {b, a}} {
			x, s := pair[0], pair[1]
			sig := r.node(s, "Sigmoid")
			if sig == nil || len(sig.Inputs) != 1 || sig.Inputs[0] != x || !r.private(s, mul) {
				continue
			}
			r.replace(mul, []*layers.Node{sig}, "SiLU", []string{x}, nil)
			break
		}
	}
}
