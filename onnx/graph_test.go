package onnx

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

// Helpers that build layers.Graphs for the rewrite tests.

// lnode makes a node named after its first output.
func lnode(op string, in []string, out string, attrs layers.Attrs) *layers.Node {
	if attrs == nil {
		attrs = layers.Attrs{}
	}
	return &layers.Node{Name: out, Op: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
}

func scalarT(v float32) *layers.Tensor { return layers.FromFloat32([]float32{v}) }

// lgraph makes a graph with float inputs of shape [2, 8] unless given.
func lgraph(inputs, outputs []string, inits map[string]*layers.Tensor, nodes ...*layers.Node) *layers.Graph {
	g := &layers.Graph{Initializers: map[string]*layers.Tensor{}, Nodes: nodes, Opset: 17}
	for _, in := range inputs {
		g.Inputs = append(g.Inputs, layers.ValueInfo{Name: in, Shape: []int{2, 8}})
	}
	for _, o := range outputs {
		g.Outputs = append(g.Outputs, layers.ValueInfo{Name: o})
	}
	for k, v := range inits {
		g.Initializers[k] = v
	}
	return g
}

// cloneGraph copies the node list deeply enough that rewrites of the copy
// leave the original intact (tensors are shared: rewrites never modify
// them).
func cloneGraph(g *layers.Graph) *layers.Graph {
	c := *g
	c.Initializers = map[string]*layers.Tensor{}
	for k, v := range g.Initializers {
		c.Initializers[k] = v
	}
	c.Nodes = nil
	for _, n := range g.Nodes {
		m := *n
		m.Inputs = slices.Clone(n.Inputs)
		m.Outputs = slices.Clone(n.Outputs)
		m.Attrs = layers.Attrs{}
		for k, v := range n.Attrs {
			m.Attrs[k] = v
		}
		c.Nodes = append(c.Nodes, &m)
	}
	return &c
}

func ops(g *layers.Graph) []string {
	var s []string
	for _, n := range g.Nodes {
		s = append(s, n.Op)
	}
	return s
}

// randomInputs fills every graph input with values in [-4, 4).
func randomInputs(g *layers.Graph, seed int64) map[string]*layers.Tensor {
	rng := rand.New(rand.NewSource(seed))
	in := map[string]*layers.Tensor{}
	for _, v := range g.Inputs {
		t := layers.New(v.Shape...)
		for i := range t.F {
			t.F[i] = float32(rng.Float64()*8 - 4)
		}
		in[v.Name] = t
	}
	return in
}

// checkRewrite applies rewrite to a copy of g, checks the resulting
// operator sequence and that both graphs compute the same outputs.
func checkRewrite(t *testing.T, g *layers.Graph, rewrite func(*layers.Graph), wantOps []string, tol float64) *layers.Graph {
	t.Helper()
	h := cloneGraph(g)
	rewrite(h)
	if got := ops(h); !slices.Equal(got, wantOps) {
		t.Fatalf("operators after rewrite: %v, want %v", got, wantOps)
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("rewritten graph: %v", err)
	}
	in := randomInputs(g, 1)
	want := run(t, g, in)
	got := run(t, h, in)
	for _, o := range g.Outputs {
		assertClose(t, got[o.Name].F, want[o.Name].F, tol)
	}
	return h
}
