package onnx

import "github.com/fewspikes/fewspikes/layers"

// fuseMish rewrites Mul(x, Tanh(Softplus(x))) as Mish(x).
func fuseMish(r *rewriter) {
	for _, mul := range r.g.Nodes {
		a, b, ok := operands(mul)
		if mul.Op != "Mul" || !ok || r.removed[mul] {
			continue
		}
		for _, pair := range [][2]string{{a, b}, {b, a}} {
			x, t := pair[0], pair[1]
			tanh := r.node(t, "Tanh")
			if tanh == nil || !r.private(t, mul) {
				continue
			}
			sp := r.node(tanh.Inputs[0], "Softplus")
			if sp == nil || sp.Inputs[0] != x || !r.private(tanh.Inputs[0], tanh) {
				continue
			}
			r.replace(mul, []*layers.Node{tanh, sp}, "Mish", []string{x}, nil)
			break
		}
	}
}
