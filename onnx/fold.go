package onnx

import (
	"errors"
	"fmt"
	"slices"

	"github.com/fewspikes/fewspikes/layers"
)

// nondeterministic operators are never folded: their value is not a
// property of the file.
var nondeterministic = map[string]bool{
	"RandomNormal": true, "RandomNormalLike": true, "RandomUniform": true,
	"RandomUniformLike": true, "Multinomial": true, "Bernoulli": true,
}

// normaliseAndFold walks the nodes in topological order: Constant nodes
// become initializers, every other node is normalised to its canonical form
// and, when all its inputs are constant, evaluated by the layers engine and
// replaced by initializers. Identity and Dropout are then removed.
func normaliseAndFold(g *layers.Graph, opset int64) error {
	kept := g.Nodes[:0:0]
	for _, n := range g.Nodes {
		if n.Op == "Constant" {
			t, err := constantValue(n)
			if err != nil {
				return fmt.Errorf("node %q (Constant): %w", n.Name, err)
			}
			if len(n.Outputs) != 1 || n.Outputs[0] == "" {
				return fmt.Errorf("node %q (Constant): needs exactly one output", n.Name)
			}
			g.Initializers[n.Outputs[0]] = t
			continue
		}
		if err := normaliseNode(g, n, opset); err != nil {
			return err
		}
		folded, err := foldNode(g, n)
		if err != nil {
			return err
		}
		if !folded {
			kept = append(kept, n)
		}
	}
	g.Nodes = kept
	removeIdentities(g)
	return nil
}

// foldable reports whether n reads only constants (and reads something).
func foldable(g *layers.Graph, n *layers.Node) bool {
	if nondeterministic[n.Op] {
		return false
	}
	some := false
	for _, in := range n.Inputs {
		if in == "" {
			continue
		}
		if _, ok := g.Initializers[in]; !ok {
			return false
		}
		some = true
	}
	return some
}

// foldNode evaluates n with the engine when its inputs are all constant,
// storing its outputs as initializers. An operator the engine lacks is
// left in place (Compile names it later); an evaluation error is the
// model's fault and is returned.
func foldNode(g *layers.Graph, n *layers.Node) (bool, error) {
	if !foldable(g, n) {
		return false, nil
	}
	if err := checkFoldSize(g, n); err != nil {
		return false, fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
	}
	outs, err := evalNode(g.Initializers, n)
	var unsup *layers.ErrUnsupported
	if errors.As(err, &unsup) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("node %q (%s): evaluating constant inputs: %w", n.Name, n.Op, err)
	}
	for i, o := range n.Outputs {
		if o != "" {
			g.Initializers[o] = outs[i]
		}
	}
	return true, nil
}

// evalNode runs one node on constant inputs through the engine.
func evalNode(consts map[string]*layers.Tensor, n *layers.Node) ([]*layers.Tensor, error) {
	sub := &layers.Graph{Name: n.Name, Initializers: map[string]*layers.Tensor{}, Nodes: []*layers.Node{n}}
	for _, in := range n.Inputs {
		if in != "" {
			sub.Initializers[in] = consts[in]
		}
	}
	for _, o := range n.Outputs {
		if o != "" {
			sub.Outputs = append(sub.Outputs, layers.ValueInfo{Name: o})
		}
	}
	p, err := layers.Compile(sub, layers.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	res, err := p.Run(nil)
	if err != nil {
		return nil, err
	}
	outs := make([]*layers.Tensor, len(n.Outputs))
	for i, o := range n.Outputs {
		if o == "" {
			continue
		}
		t, ok := res[o]
		if !ok || t == nil {
			return nil, fmt.Errorf("engine returned no value for output %q", o)
		}
		outs[i] = t
	}
	return outs, nil
}

// maxFoldElements caps the output of a size-expanding operator evaluated
// at import (256 MiB of float32): far above any real model's constants,
// far below what would exhaust memory.
const maxFoldElements = 1 << 26

// checkFoldSize rejects constant operators whose declared output size is
// absurd, before the engine allocates it.
func checkFoldSize(g *layers.Graph, n *layers.Node) error {
	in := func(i int) *layers.Tensor { return constInput(g, n, i) }
	var dims []int64
	switch n.Op {
	case "ConstantOfShape":
		if t := in(0); t != nil {
			dims = t.AsInt64()
		}
	case "Expand":
		if x, s := in(0), in(1); x != nil && s != nil {
			shape := s.AsInt64()
			r := max(len(shape), len(x.Shape))
			for i := range r {
				d := int64(1)
				if j := i - (r - len(shape)); j >= 0 {
					d = shape[j]
				}
				if j := i - (r - len(x.Shape)); j >= 0 && int64(x.Shape[j]) > d {
					d = int64(x.Shape[j])
				}
				dims = append(dims, d)
			}
		}
	case "Tile":
		if x, r := in(0), in(1); x != nil && r != nil && len(r.AsInt64()) == len(x.Shape) {
			for i, k := range r.AsInt64() {
				dims = append(dims, int64(x.Shape[i])*k)
			}
		}
	case "Range":
		if s, l, d := in(0), in(1), in(2); s != nil && l != nil && d != nil && s.Len() == 1 && l.Len() == 1 && d.Len() == 1 {
			start, limit, delta := float64(s.AsFloat32()[0]), float64(l.AsFloat32()[0]), float64(d.AsFloat32()[0])
			if delta == 0 {
				return errors.New("delta is zero")
			}
			if c := (limit - start) / delta; c > maxFoldElements {
				return fmt.Errorf("output of %.0f elements exceeds %d", c, maxFoldElements)
			}
		}
	case "Resize":
		if x := in(0); x != nil {
			if sizes := n.Attrs.Ints("sizes", nil); sizes != nil {
				dims = slices.Clone(sizes)
			} else if scales := n.Attrs.Floats("scales", nil); len(scales) == len(x.Shape) {
				for i, s := range scales {
					dims = append(dims, int64(float64(x.Shape[i])*float64(s)+1))
				}
			}
		}
	case "Pad":
		if x := in(0); x != nil {
			if pads := n.Attrs.Ints("pads", nil); len(pads) == 2*len(x.Shape) {
				for i, d := range x.Shape {
					dims = append(dims, int64(d)+max(pads[i], 0)+max(pads[i+len(x.Shape)], 0))
				}
			}
		}
	}
	if dims != nil {
		if n, err := checkedElements(dims); err != nil || n > maxFoldElements {
			return fmt.Errorf("output shape %v exceeds %d elements", dims, maxFoldElements)
		}
	}
	return nil
}

// removeIdentities deletes Identity and Dropout nodes (inference no-ops),
// making their readers read the source value. When the removed output is a
// graph output, the source is renamed instead, which needs the source to
// be a node output that is not itself a graph output; otherwise the node
// stays.
func removeIdentities(g *layers.Graph) {
	isOutput := map[string]bool{}
	for _, o := range g.Outputs {
		isOutput[o.Name] = true
	}
	consumers := g.Consumers()
	producers := g.Producers()
	kept := g.Nodes[:0:0]
	for _, n := range g.Nodes {
		if n.Op != "Identity" && n.Op != "Dropout" || len(n.Inputs) == 0 || n.Inputs[0] == "" || len(n.Outputs) == 0 {
			kept = append(kept, n)
			continue
		}
		// Dropout's mask output, when read, keeps the node.
		if len(n.Outputs) > 1 && n.Outputs[1] != "" && (len(consumers[n.Outputs[1]]) > 0 || isOutput[n.Outputs[1]]) {
			kept = append(kept, n)
			continue
		}
		src, dst := n.Inputs[0], n.Outputs[0]
		if isOutput[dst] {
			p := producers[src]
			if p == nil || isOutput[src] {
				kept = append(kept, n)
				continue
			}
			// Rename src to dst everywhere it appears.
			for i, o := range p.Outputs {
				if o == src {
					p.Outputs[i] = dst
				}
			}
			producers[dst] = p
			for _, c := range consumers[src] {
				replaceInput(c, src, dst)
			}
			consumers[dst] = append(consumers[dst], consumers[src]...)
			continue
		}
		for _, c := range consumers[dst] {
			replaceInput(c, dst, src)
		}
		consumers[src] = append(consumers[src], consumers[dst]...)
	}
	g.Nodes = kept
}

func replaceInput(n *layers.Node, from, to string) {
	for i, in := range n.Inputs {
		if in == from {
			n.Inputs[i] = to
		}
	}
}

// foldStaticShapes replaces Shape and Size nodes by constants when every
// graph input has a fully static shape: it runs one forward pass on zeros,
// records what those nodes produce, and folds again from there. A graph the
// engine cannot compile or run is left as it is (Compile reports it later).
func foldStaticShapes(g *layers.Graph) error {
	hasShape := slices.ContainsFunc(g.Nodes, func(n *layers.Node) bool { return n.Op == "Shape" || n.Op == "Size" })
	if !hasShape || len(g.Inputs) == 0 {
		return nil
	}
	inputs := map[string]*layers.Tensor{}
	for _, in := range g.Inputs {
		if in.Shape == nil || slices.Contains(in.Shape, -1) {
			return nil
		}
		// One forward pass on zeros: only for inputs of modest size.
		if n, err := checkedElements(toInt64s(in.Shape)); err != nil || n > maxFoldElements {
			return nil
		}
		if in.DType == layers.Int64 {
			inputs[in.Name] = layers.NewInt(in.Shape...)
		} else {
			inputs[in.Name] = layers.New(in.Shape...)
		}
	}
	p, err := layers.Compile(g, layers.Options{Threads: 1})
	if err != nil {
		return nil
	}
	shapes := map[string]*layers.Tensor{}
	_, err = p.RunObserved(inputs, func(n *layers.Node, in, out []*layers.Tensor) {
		if (n.Op == "Shape" || n.Op == "Size") && len(out) == 1 && out[0] != nil {
			shapes[n.Outputs[0]] = out[0].Clone()
		}
	})
	if err != nil {
		return nil
	}
	kept := g.Nodes[:0:0]
	for _, n := range g.Nodes {
		if t, ok := shapes[firstOutput(n)]; ok && (n.Op == "Shape" || n.Op == "Size") {
			g.Initializers[n.Outputs[0]] = t
			continue
		}
		kept = append(kept, n)
	}
	g.Nodes = kept
	return normaliseAndFold(g, maxOpset) // nodes are canonical already; opset only matters for raw files
}

func firstOutput(n *layers.Node) string {
	if len(n.Outputs) == 0 {
		return ""
	}
	return n.Outputs[0]
}

func toInt64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}

// prune removes nodes whose outputs nothing reads (and that are not graph
// outputs) and initializers that no node reads.
func prune(g *layers.Graph) {
	live := map[string]bool{}
	for _, o := range g.Outputs {
		live[o.Name] = true
	}
	keep := make([]bool, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			if o != "" && live[o] {
				keep[i] = true
			}
		}
		if keep[i] {
			for _, in := range n.Inputs {
				live[in] = true
			}
		}
	}
	kept := g.Nodes[:0:0]
	for i, n := range g.Nodes {
		if keep[i] {
			kept = append(kept, n)
		}
	}
	g.Nodes = kept
	for name := range g.Initializers {
		if !live[name] {
			delete(g.Initializers, name)
		}
	}
}
