package onnx

import (
	"math"

	"github.com/fewspikes/fewspikes/layers"
)

// fuseGELUTanh rewrites the tanh approximation
// x·0.5·(1 + tanh(√(2/π)·(x + 0.044715·x³))) as GELUTanh(x). x³ may be
// Pow(x, 3) or a product x·x·x; products may nest in any order.
func fuseGELUTanh(r *rewriter) {
	c := math.Sqrt(2 / math.Pi)
	for _, last := range r.g.Nodes {
		if last.Op != "Mul" || r.removed[last] || len(last.Inputs) != 2 {
			continue
		}
		leaves, inner := r.mulLeaves(last)
		x, gate, ok := r.halfXGate(leaves)
		if !ok {
			continue
		}
		readers := append([]*layers.Node{last}, inner...)
		nodes, ok := r.onePlus(gate, "Tanh", readers)
		if !ok {
			continue
		}
		// tanh argument: c · (x + 0.044715·x³)
		arg := nodes[1].Inputs[0]
		argMul := r.node(arg, "Mul")
		if argMul == nil || !r.private(arg, nodes[1]) {
			continue
		}
		argLeaves, argInner := r.mulLeaves(argMul)
		if len(argLeaves) != 2 {
			continue
		}
		sum := argLeaves[1]
		if !r.isScalar(argLeaves[0], c) {
			if sum = argLeaves[0]; !r.isScalar(argLeaves[1], c) {
				continue
			}
		}
		add := r.node(sum, "Add")
		a, b, ok := operands(add)
		if !ok || !r.private(sum, append([]*layers.Node{argMul}, argInner...)...) {
			continue
		}
		cube := b
		if a != x {
			if cube = a; b != x {
				continue
			}
		}
		cubeNodes, ok := r.scaledCube(cube, x, add)
		if !ok {
			continue
		}
		swallowed := append(append(append(append(inner, nodes...), argMul), argInner...), add)
		r.replace(last, append(swallowed, cubeNodes...), "GELUTanh", []string{x}, nil)
	}
}

// scaledCube matches v = 0.044715·x³ read only by reader, returning the
// nodes it consists of.
func (r *rewriter) scaledCube(v, x string, reader *layers.Node) ([]*layers.Node, bool) {
	mul := r.node(v, "Mul")
	if mul == nil || !r.private(v, reader) {
		return nil, false
	}
	leaves, inner := r.mulLeaves(mul)
	nodes := append([]*layers.Node{mul}, inner...)
	coef, xs := false, 0
	var other []string
	for _, l := range leaves {
		switch {
		case !coef && r.isScalar(l, 0.044715):
			coef = true
		case l == x:
			xs++
		default:
			other = append(other, l)
		}
	}
	if !coef {
		return nil, false
	}
	if xs == 3 && len(other) == 0 {
		return nodes, true
	}
	if xs == 0 && len(other) == 1 {
		pow := r.node(other[0], "Pow")
		if pow != nil && len(pow.Inputs) == 2 && pow.Inputs[0] == x && r.isScalar(pow.Inputs[1], 3) && r.private(other[0], nodes...) {
			return append(nodes, pow), true
		}
	}
	return nil, false
}
