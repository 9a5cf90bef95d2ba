package convert

import (
	"fmt"
	"math"

	"github.com/fewspikes/fewspikes/layers"
)

// BuildSNN returns a copy of g in which every site node is replaced by an
// "FS" node with the site's parameters (Attrs "h", "T", "d" and
// "activation"); trailing steps that never spike are left out. Other
// nodes and the initializers are shared with g, not copied: neither graph
// may be modified afterwards.
func BuildSNN(g *layers.Graph, sites []Site, params map[string]layers.FSParams) (*layers.Graph, error) {
	bySite := make(map[string]Site, len(sites))
	for _, s := range sites {
		p, ok := params[s.Node]
		if !ok {
			return nil, fmt.Errorf("site %q: no FS parameters", s.Node)
		}
		if p.K() != s.K || len(p.T) != s.K || len(p.D) == 0 || len(p.D)%s.K != 0 {
			return nil, fmt.Errorf("site %q: FS parameters have %d/%d/%d steps, want %d", s.Node, len(p.H), len(p.T), len(p.D), s.K)
		}
		bySite[s.Node] = s
	}
	out := *g
	out.Nodes = make([]*layers.Node, len(g.Nodes))
	found := 0
	for i, n := range g.Nodes {
		s, ok := bySite[n.Name]
		if !ok {
			out.Nodes[i] = n
			continue
		}
		found++
		p := trimInert(params[s.Node])
		out.Nodes[i] = &layers.Node{
			Name:    n.Name,
			Op:      "FS",
			Inputs:  []string{n.Inputs[0]},
			Outputs: []string{n.Outputs[0]},
			Attrs: layers.Attrs{
				"h":          append([]float32(nil), p.H...),
				"T":          append([]float32(nil), p.T...),
				"d":          append([]float32(nil), p.D...),
				"activation": s.Activation.Name,
			},
		}
		if len(p.Bias) > 0 {
			out.Nodes[i].Attrs["bias"] = append([]float32(nil), p.Bias...)
		}
	}
	if found != len(bySite) {
		return nil, fmt.Errorf("%d of %d sites not found in the graph", len(bySite)-found, len(bySite))
	}
	return &out, nil
}

// trimInert drops trailing steps that can never spike (threshold at the
// largest float32, no reset, no output; see pad): they change neither the
// output nor the spike count, so the engine need not run them. The time
// steps still elapse in a spiking system; reports keep the site's K.
//
// With output weights per channel (K per channel), each channel's row is
// trimmed alike.
func trimInert(p layers.FSParams) layers.FSParams {
	full := p.K()
	rows := len(p.D) / full
	inert := func(t int) bool {
		if p.T[t] != math.MaxFloat32 || p.H[t] != 0 {
			return false
		}
		for r := range rows {
			if p.D[r*full+t] != 0 {
				return false
			}
		}
		return true
	}
	k := full
	for k > 1 && inert(k-1) {
		k--
	}
	d := make([]float32, 0, rows*k)
	for r := range rows {
		d = append(d, p.D[r*full:r*full+k]...)
	}
	return layers.FSParams{H: p.H[:k], T: p.T[:k], D: d, Bias: p.Bias}
}

// AnalogOp is an operation of the SNN that is not expressed with spikes:
// it computes on real values (as the ANN does).
type AnalogOp struct {
	Node   string `json:"node"`
	Op     string `json:"op"`
	Reason string `json:"reason"`
}

// AnalogOps lists the nodes of the SNN graph that remain analog: pooling
// by maximum, softmax, normalisations, products of two computed tensors
// (squeeze-excitation gating, attention), activations that were not
// converted, and other nonlinear arithmetic. Linear synaptic layers
// (Conv, Gemm, MatMul), additions, linear pooling and pure data movement
// are not listed: they are what spikes drive or pass through.
func AnalogOps(g *layers.Graph) []AnalogOp {
	var ops []AnalogOp
	isConst := func(name string) bool { _, ok := g.Initializers[name]; return ok }
	for _, n := range g.Nodes {
		reason := ""
		switch n.Op {
		case "MaxPool", "GlobalMaxPool", "ReduceMax":
			reason = "maximum over a window"
		case "Softmax", "LogSoftmax":
			reason = "softmax"
		case "BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization", "LpNormalization":
			reason = "normalisation"
		case "Mul", "Div":
			if len(n.Inputs) == 2 && !isConst(n.Inputs[0]) && !isConst(n.Inputs[1]) {
				reason = "elementwise product of two computed tensors"
			}
		case "Exp", "Log", "Sqrt", "Pow", "Erf", "Abs", "Clip", "PRelu", "Reciprocal", "Min", "Max":
			reason = "nonlinear arithmetic"
		default:
			if _, ok := layers.ActivationOf(n); ok {
				reason = "activation not converted (excluded)"
			}
		}
		if reason != "" {
			ops = append(ops, AnalogOp{Node: n.Name, Op: n.Op, Reason: reason})
		}
	}
	return ops
}
