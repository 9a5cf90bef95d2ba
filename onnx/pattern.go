package onnx

import (
	"math"

	"github.com/fewspikes/fewspikes/layers"
)

// rewriter supports the graph rewrites (BatchNorm folding, activation
// fusion): it indexes producers and consumers and collects the nodes a
// rewrite removes. Fusion patterns only match when every intermediate
// value they swallow is read by nodes of the pattern alone.
type rewriter struct {
	g         *layers.Graph
	producers map[string]*layers.Node
	consumers map[string][]*layers.Node
	outputs   map[string]bool
	removed   map[*layers.Node]bool
}

func newRewriter(g *layers.Graph) *rewriter {
	r := &rewriter{g: g, producers: g.Producers(), consumers: g.Consumers(), outputs: map[string]bool{}, removed: map[*layers.Node]bool{}}
	for _, o := range g.Outputs {
		r.outputs[o.Name] = true
	}
	return r
}

// node returns the live node producing v when its op is one of ops.
func (r *rewriter) node(v string, ops ...string) *layers.Node {
	n := r.producers[v]
	if n == nil || r.removed[n] {
		return nil
	}
	for _, op := range ops {
		if n.Op == op {
			return n
		}
	}
	return nil
}

// soleReader returns the live node of operator op that is the only reader
// of v, when v is not a graph output.
func (r *rewriter) soleReader(v, op string) *layers.Node {
	cs := r.consumers[v]
	if len(cs) != 1 || r.outputs[v] || r.removed[cs[0]] || cs[0].Op != op {
		return nil
	}
	return cs[0]
}

// private reports whether v is read only by nodes in within and is not a
// graph output, so a pattern may swallow it.
func (r *rewriter) private(v string, within ...*layers.Node) bool {
	if r.outputs[v] {
		return false
	}
	for _, c := range r.consumers[v] {
		ok := false
		for _, w := range within {
			if c == w {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// scalar returns the value of a one-element float constant.
func (r *rewriter) scalar(v string) (float32, bool) {
	t := r.g.Initializers[v]
	if t == nil || t.Len() != 1 {
		return 0, false
	}
	return t.AsFloat32()[0], true
}

// isScalar reports whether v is a one-element constant within a relative
// tolerance of want (exporters round constants such as sqrt(2) differently).
func (r *rewriter) isScalar(v string, want float64) bool {
	c, ok := r.scalar(v)
	return ok && math.Abs(float64(c)-want) <= 1e-4*math.Abs(want)+1e-7
}

// operands returns the operands of a two-input node.
func operands(n *layers.Node) (a, b string, ok bool) {
	if n == nil || len(n.Inputs) != 2 {
		return "", "", false
	}
	return n.Inputs[0], n.Inputs[1], true
}

// mulLeaves flattens a tree of Mul nodes rooted at root into its factors:
// a Mul operand produced by another Mul that only this tree reads is
// expanded. It returns the factors and the inner Mul nodes.
func (r *rewriter) mulLeaves(root *layers.Node) (leaves []string, inner []*layers.Node) {
	var walk func(n *layers.Node)
	walk = func(n *layers.Node) {
		for _, in := range n.Inputs {
			if m := r.node(in, "Mul"); m != nil && len(m.Inputs) == 2 && r.private(in, n) && len(inner) < 4 {
				inner = append(inner, m)
				walk(m)
				continue
			}
			leaves = append(leaves, in)
		}
	}
	if len(root.Inputs) == 2 {
		walk(root)
	}
	return leaves, inner
}

// replace marks the nodes of a matched pattern removed and turns last (the
// pattern's final node, whose outputs are kept) into the fused node.
func (r *rewriter) replace(last *layers.Node, swallowed []*layers.Node, op string, inputs []string, attrs layers.Attrs) {
	for _, n := range swallowed {
		if n != last {
			r.removed[n] = true
		}
	}
	if attrs == nil {
		attrs = layers.Attrs{}
	}
	last.Op, last.Inputs, last.Attrs = op, inputs, attrs
}

// commit drops the removed nodes from the graph. The fused node sits where
// the pattern's last node was, after everything it reads.
func (r *rewriter) commit() {
	kept := r.g.Nodes[:0:0]
	for _, n := range r.g.Nodes {
		if !r.removed[n] {
			kept = append(kept, n)
		}
	}
	r.g.Nodes = kept
}

// fuseActivations runs every fusion pattern. Order matters where patterns
// share a prefix: the larger ones (GELU, LayerNorm) go first.
func fuseActivations(g *layers.Graph) {
	for _, fuse := range []func(*rewriter){fuseLayerNorm, fuseGELU, fuseGELUTanh, fuseMish, fuseHardSwish, fuseSiLU} {
		r := newRewriter(g)
		fuse(r)
		r.commit()
	}
}
