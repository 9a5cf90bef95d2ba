package onnx

import (
	"math"

	"github.com/fewspikes/fewspikes/layers"
)

// fuseGELU rewrites the erf form x·0.5·(1 + erf(x/√2)) as GELU(x). The
// three factors may be multiplied in any nesting and order (PyTorch
// exports Mul(Mul(x, 1+erf), 0.5); others Mul(Mul(x, 0.5), 1+erf)), and
// x/√2 may be Div(x, √2) or Mul(x, 1/√2).
func fuseGELU(r *rewriter) {
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
		nodes, ok := r.onePlus(gate, "Erf", readers)
		if !ok {
			continue
		}
		erf := nodes[1]
		scaled := erf.Inputs[0]
		d := r.node(scaled, "Div", "Mul")
		a, b, ok := operands(d)
		if ok && d.Op == "Mul" && a != x {
			a, b = b, a
		}
		if !ok || a != x || !r.private(scaled, erf) {
			continue
		}
		if d.Op == "Div" && !r.isScalar(b, math.Sqrt2) || d.Op == "Mul" && !r.isScalar(b, 1/math.Sqrt2) {
			continue
		}
		r.replace(last, append(append(inner, nodes...), d), "GELU", []string{x}, nil)
	}
}

// halfXGate splits three factors into 0.5, x and the gate value (the one
// produced by an Add). It does not check the gate's form.
func (r *rewriter) halfXGate(leaves []string) (x, gate string, ok bool) {
	if len(leaves) != 3 {
		return "", "", false
	}
	var rest []string
	half := false
	for _, l := range leaves {
		if !half && r.isScalar(l, 0.5) {
			half = true
			continue
		}
		rest = append(rest, l)
	}
	if !half || len(rest) != 2 {
		return "", "", false
	}
	if r.node(rest[1], "Add") != nil {
		return rest[0], rest[1], true
	}
	if r.node(rest[0], "Add") != nil {
		return rest[1], rest[0], true
	}
	return "", "", false
}

// onePlus matches gate = Add(F(u), 1) with F of operator op, gate read only
// by readers and F's output only by the Add. It returns [Add, F].
func (r *rewriter) onePlus(gate, op string, readers []*layers.Node) ([]*layers.Node, bool) {
	add := r.node(gate, "Add")
	a, b, ok := operands(add)
	if !ok || !r.private(gate, readers...) {
		return nil, false
	}
	f := a
	if r.isScalar(f, 1) {
		f = b
	} else if !r.isScalar(b, 1) {
		return nil, false
	}
	fn := r.node(f, op)
	if fn == nil || len(fn.Inputs) != 1 || !r.private(f, add) {
		return nil, false
	}
	return []*layers.Node{add, fn}, true
}
