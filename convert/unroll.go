package convert

import (
	"fmt"
	"slices"

	"github.com/fewspikes/fewspikes/layers"
)

// onnxFloat is the ONNX TensorProto data type code of float32 (Cast "to").
const onnxFloat = 1

// Unroll returns a copy of g in which every "FS" node is expressed in
// standard ONNX operators, step by step as in the FS neuron's definition:
//
//	z_t = Cast(Greater(v_t, T_t));  out += d_t*z_t;  v_{t+1} = v_t - h_t*z_t
//
// with T_t, h_t, d_t as scalar initializers. The result computes the same
// float32 values as the FS node bit for bit: z is exactly 0 or 1, so d*z
// and h*z are exact and the additions happen in the same order.
// Work that cannot matter is left out: the first step's addition to zero,
// the reset after the last step and the terms of steps whose d or h is 0.
func Unroll(g *layers.Graph) (*layers.Graph, error) {
	out := *g
	out.Initializers = make(map[string]*layers.Tensor, len(g.Initializers))
	for k, v := range g.Initializers {
		out.Initializers[k] = v
	}
	out.Nodes = make([]*layers.Node, 0, len(g.Nodes))
	used := make(map[string]bool)
	for _, n := range g.Nodes {
		for _, s := range n.Inputs {
			used[s] = true
		}
		for _, s := range n.Outputs {
			used[s] = true
		}
		used[n.Name] = true
	}
	for name := range g.Initializers {
		used[name] = true
	}
	fresh := func(base string) string {
		name := base
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		used[name] = true
		return name
	}
	for _, n := range g.Nodes {
		if n.Op != "FS" {
			out.Nodes = append(out.Nodes, n)
			continue
		}
		nodes, err := unrollFS(n, &out, fresh)
		if err != nil {
			return nil, err
		}
		out.Nodes = append(out.Nodes, nodes...)
	}
	return &out, nil
}

func unrollFS(n *layers.Node, g *layers.Graph, fresh func(string) string) ([]*layers.Node, error) {
	h, T, d := n.Attrs.Floats("h", nil), n.Attrs.Floats("T", nil), n.Attrs.Floats("d", nil)
	k := len(h)
	if k == 0 || len(T) != k || len(d) == 0 || len(d)%k != 0 {
		return nil, fmt.Errorf("FS node %q: h, T, d have %d, %d, %d steps", n.Name, len(h), len(T), len(d))
	}
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return nil, fmt.Errorf("FS node %q: want 1 input and 1 output", n.Name)
	}
	// Output weights per channel (axis 1) become a [C, 1, ..., 1] tensor
	// per step, which broadcasts over the input's other axes.
	channels := len(d) / k
	bias := n.Attrs.Floats("bias", nil)
	if len(bias) > 0 && channels == 1 {
		channels = len(bias)
		d = slices.Repeat(d, channels) // the shared weights, for every channel
	}
	if len(bias) > 0 && len(bias) != channels {
		return nil, fmt.Errorf("FS node %q: %d biases for %d channels", n.Name, len(bias), channels)
	}
	rank := int(n.Attrs.Int("rank", 0))
	if channels > 1 && rank < 2 {
		return nil, fmt.Errorf("FS node %q: output weights for %d channels need the input's rank (attribute rank)", n.Name, channels)
	}
	weights := func(t int) []float32 {
		w := make([]float32, channels)
		for c := range w {
			w[c] = d[c*k+t]
		}
		return w
	}
	hasWeight := func(t int) bool {
		for _, v := range weights(t) {
			if v != 0 {
				return true
			}
		}
		return false
	}
	var nodes []*layers.Node
	constant := func(what string, t int, v []float32, shape []int) string {
		name := fresh(fmt.Sprintf("%s/%s%d", n.Name, what, t))
		g.Initializers[name] = layers.FromFloat32(v, shape...)
		return name
	}
	scalar := func(what string, t int, v float32) string {
		return constant(what, t, []float32{v}, nil) // a scalar, as ONNX broadcasts it to any rank
	}
	perChannel := func(what string, t int, v []float32) string {
		shape := make([]int, rank-1)
		for i := range shape {
			shape[i] = 1
		}
		shape[0] = channels
		return constant(what, t, v, shape)
	}
	weight := func(t int) string {
		if channels == 1 {
			return scalar("d", t, d[t])
		}
		return perChannel("d", t, weights(t))
	}
	op := func(opName string, t int, inputs ...string) string {
		out := fresh(fmt.Sprintf("%s/%s%d", n.Name, opName, t))
		node := &layers.Node{Name: out, Op: opName, Inputs: inputs, Outputs: []string{out}, Attrs: layers.Attrs{}}
		if opName == "Cast" {
			node.Attrs["to"] = int64(onnxFloat)
		}
		nodes = append(nodes, node)
		return out
	}
	v := n.Inputs[0]
	acc := "" // running output; "" while still zero
	for t := 0; t < k; t++ {
		if !hasWeight(t) && (h[t] == 0 || t == k-1) {
			continue // this step changes neither the output nor the potential
		}
		z := op("Cast", t, op("Greater", t, v, scalar("T", t, T[t])))
		if hasWeight(t) {
			term := op("Mul", t, z, weight(t))
			if acc == "" {
				acc = term
			} else {
				acc = op("Add", t, acc, term)
			}
		}
		if h[t] != 0 && t < k-1 {
			v = op("Sub", t, v, op("Mul", t, z, scalar("h", t, h[t])))
		}
	}
	if acc == "" {
		// Every d is 0: the output is 0 with the input's shape.
		acc = op("Mul", 0, n.Inputs[0], scalar("zero", 0, 0))
	}
	if len(bias) > 0 {
		acc = op("Add", k, acc, perChannel("bias", 0, bias))
	}
	// The last node writes the FS node's output value.
	last := nodes[len(nodes)-1]
	if last.Outputs[0] != acc {
		acc = op("Identity", k, acc)
		last = nodes[len(nodes)-1]
	}
	last.Outputs[0] = n.Outputs[0]
	return nodes, nil
}
