package onnx

import "github.com/fewspikes/fewspikes/layers"

// fuseHardSwish rewrites the forms of x·relu6(x+3)/6 as HardSwish(x):
//
//	Mul(x, HardSigmoid(x))            with alpha = 1/6, beta = 0.5
//	Mul(x, Clip(x+3, 0, 6), 1/6)      any Mul nesting and operand order
//	Mul(x, Div(Clip(x+3, 0, 6), 6))
//	Div(Mul(x, Clip(x+3, 0, 6)), 6)
func fuseHardSwish(r *rewriter) {
	for _, last := range r.g.Nodes {
		if r.removed[last] || len(last.Inputs) != 2 {
			continue
		}
		switch last.Op {
		case "Mul":
			leaves, inner := r.mulLeaves(last)
			if x, nodes, ok := r.hardSwishFactors(leaves, last, inner); ok {
				r.replace(last, append(inner, nodes...), "HardSwish", []string{x}, nil)
			}
		case "Div":
			mul := r.node(last.Inputs[0], "Mul")
			if mul == nil || !r.isScalar(last.Inputs[1], 6) || !r.private(last.Inputs[0], last) {
				continue
			}
			leaves, inner := r.mulLeaves(mul)
			leaves = append(leaves, "") // stands for the 1/6 the Div applies
			if x, nodes, ok := r.hardSwishFactors(leaves, mul, inner); ok {
				r.replace(last, append(append(inner, mul), nodes...), "HardSwish", []string{x}, nil)
			}
		}
	}
}

// hardSwishFactors checks that the factors multiply to x·relu6(x+3)/6.
// An empty factor is a 1/6 already accounted for. It returns x and the
// nodes the factors swallow.
func (r *rewriter) hardSwishFactors(leaves []string, root *layers.Node, inner []*layers.Node) (string, []*layers.Node, bool) {
	readers := append([]*layers.Node{root}, inner...)
	sixth := false
	var gate string
	var rest []string
	for _, l := range leaves {
		switch {
		case l == "" || r.isScalar(l, 1.0/6):
			if sixth {
				return "", nil, false
			}
			sixth = true
		case gate == "" && (r.node(l, "HardSigmoid", "Clip", "Div") != nil) && r.private(l, readers...):
			gate = l
		default:
			rest = append(rest, l)
		}
	}
	if gate == "" || len(rest) != 1 {
		return "", nil, false
	}
	x := rest[0]
	g := r.producers[gate]
	switch g.Op {
	case "HardSigmoid":
		a, b := g.Attrs.Float("alpha", 0.2), g.Attrs.Float("beta", 0.5)
		if sixth || g.Inputs[0] != x || abs32(a-1.0/6) > 1e-4 || abs32(b-0.5) > 1e-6 {
			return "", nil, false
		}
		return x, []*layers.Node{g}, true
	case "Div":
		if sixth || !r.isScalar(g.Inputs[1], 6) {
			return "", nil, false
		}
		nodes, ok := r.relu6Plus3(g.Inputs[0], x, g)
		return x, append(nodes, g), ok
	case "Clip":
		if !sixth {
			return "", nil, false
		}
		nodes, ok := r.relu6Plus3(gate, x, readers...)
		return x, nodes, ok
	}
	return "", nil, false
}

// relu6Plus3 matches v = Clip(Add(x, 3), 0, 6) read only by readers.
func (r *rewriter) relu6Plus3(v, x string, readers ...*layers.Node) ([]*layers.Node, bool) {
	clip := r.node(v, "Clip")
	if clip == nil || len(clip.Inputs) != 1 || !r.private(v, readers...) {
		return nil, false
	}
	lo, hasLo := clip.Attrs["min"].(float32)
	hi, hasHi := clip.Attrs["max"].(float32)
	if !hasLo || !hasHi || lo != 0 || hi != 6 {
		return nil, false
	}
	add := r.node(clip.Inputs[0], "Add")
	a, b, ok := operands(add)
	if !ok || !r.private(clip.Inputs[0], clip) {
		return nil, false
	}
	if !(a == x && r.isScalar(b, 3)) && !(b == x && r.isScalar(a, 3)) {
		return nil, false
	}
	return []*layers.Node{clip, add}, true
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
