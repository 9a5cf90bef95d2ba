package layers

import (
	"fmt"
)

// ValueInfo describes a graph input or output. A dimension of -1 is dynamic
// (typically the batch); DimNames keeps the symbolic names where known.
type ValueInfo struct {
	Name     string
	DType    DType
	Shape    []int
	DimNames []string
}

// Node is one operation. Op is the canonical operator name (ONNX spelling,
// opset differences already normalised by the importer: for example
// Squeeze/Unsqueeze/ReduceMean axes and Clip bounds are attributes, never
// inputs, when they were constant). An empty input name is an omitted
// optional input.
type Node struct {
	Name    string
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   Attrs
}

// Attrs holds node attributes. Values are int64, []int64, float32,
// []float32, string, []string or *Tensor.
type Attrs map[string]any

// Int returns the integer attribute name, or def when absent.
func (a Attrs) Int(name string, def int64) int64 {
	if v, ok := a[name].(int64); ok {
		return v
	}
	return def
}

// Ints returns the integer-list attribute name, or def when absent.
func (a Attrs) Ints(name string, def []int64) []int64 {
	if v, ok := a[name].([]int64); ok {
		return v
	}
	return def
}

// Float returns the float attribute name, or def when absent.
func (a Attrs) Float(name string, def float32) float32 {
	if v, ok := a[name].(float32); ok {
		return v
	}
	return def
}

// Floats returns the float-list attribute name, or def when absent.
func (a Attrs) Floats(name string, def []float32) []float32 {
	if v, ok := a[name].([]float32); ok {
		return v
	}
	return def
}

// String returns the string attribute name, or def when absent.
func (a Attrs) String(name string, def string) string {
	if v, ok := a[name].(string); ok {
		return v
	}
	return def
}

// Tensor returns the tensor attribute name, or nil when absent.
func (a Attrs) Tensor(name string) *Tensor {
	if v, ok := a[name].(*Tensor); ok {
		return v
	}
	return nil
}

// Graph is a network: named inputs, constant initializers and nodes in
// topological order.
type Graph struct {
	Name         string
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	Initializers map[string]*Tensor
	Nodes        []*Node
	// Opset and Producer are informational (from the source file).
	Opset    int64
	Producer string
}

// Producers maps every value name to the node that produces it.
func (g *Graph) Producers() map[string]*Node {
	m := make(map[string]*Node, len(g.Nodes))
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				m[o] = n
			}
		}
	}
	return m
}

// Consumers maps every value name to the nodes that read it.
func (g *Graph) Consumers() map[string][]*Node {
	m := make(map[string][]*Node)
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				m[in] = append(m[in], n)
			}
		}
	}
	return m
}

// Validate checks that every node input is defined before it is used (by a
// graph input, an initializer or an earlier node) and that graph outputs are
// produced. It does not check operator support; Compile does.
func (g *Graph) Validate() error {
	defined := make(map[string]bool)
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for name := range g.Initializers {
		defined[name] = true
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				return fmt.Errorf("node %q (%s): input %q is not defined before use", n.Name, n.Op, in)
			}
		}
		for _, o := range n.Outputs {
			if o != "" {
				defined[o] = true
			}
		}
	}
	for _, o := range g.Outputs {
		if !defined[o.Name] {
			return fmt.Errorf("graph output %q is not produced by any node", o.Name)
		}
	}
	return nil
}

// Activation describes an elementwise nonlinearity that conversion can
// replace with an FS neuron. Name is the fsfit catalogue name.
type Activation struct {
	Name  string
	Alpha float64 // leaky_relu slope, elu alpha, hard_sigmoid alpha
	Beta  float64 // hard_sigmoid beta
}

// ActivationOf reports whether n is an elementwise activation node and
// which catalogue activation it computes.
func ActivationOf(n *Node) (Activation, bool) {
	switch n.Op {
	case "Relu":
		return Activation{Name: "relu"}, true
	case "LeakyRelu":
		return Activation{Name: "leaky_relu", Alpha: float64(n.Attrs.Float("alpha", 0.01))}, true
	case "Elu":
		return Activation{Name: "elu", Alpha: float64(n.Attrs.Float("alpha", 1))}, true
	case "Selu":
		return Activation{Name: "selu"}, true
	case "Sigmoid":
		return Activation{Name: "sigmoid"}, true
	case "HardSigmoid":
		return Activation{Name: "hard_sigmoid", Alpha: float64(n.Attrs.Float("alpha", 0.2)), Beta: float64(n.Attrs.Float("beta", 0.5))}, true
	case "Tanh":
		return Activation{Name: "tanh"}, true
	case "SiLU":
		return Activation{Name: "silu"}, true
	case "HardSwish":
		return Activation{Name: "hard_swish"}, true
	case "GELU":
		return Activation{Name: "gelu"}, true
	case "GELUTanh":
		return Activation{Name: "gelu_tanh"}, true
	case "Softplus":
		return Activation{Name: "softplus"}, true
	case "Mish":
		return Activation{Name: "mish"}, true
	case "Softsign":
		return Activation{Name: "softsign"}, true
	}
	return Activation{}, false
}

// ErrUnsupported lists every node whose operator the engine cannot run.
type ErrUnsupported struct {
	Nodes []*Node
}

func (e *ErrUnsupported) Error() string {
	s := "unsupported operator"
	if len(e.Nodes) > 1 {
		s += "s"
	}
	s += ":"
	for i, n := range e.Nodes {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %s (node %q)", n.Op, n.Name)
	}
	return s
}

// FSParams are the per-step parameters of a few-spikes neuron: threshold
// T[t], reset h[t] and output weight d[t] for t = 0..K-1.
//
// In a network, D may instead hold K weights per channel (axis 1 of the
// neuron's input, channel-major), and Bias one constant per channel added
// to the output: a constant on a neuron's output is a bias of the layer it
// drives, and costs no spike. FSForward uses H, T and the first K of D.
type FSParams struct {
	H, T, D []float32
	Bias    []float32
}

// K returns the number of time steps.
func (p FSParams) K() int { return len(p.H) }

// FSForward runs the FS neuron on one input, returning its output and the
// number of spikes it emitted. This is the reference semantics of DESIGN.md;
// the engine's kernel must agree with it exactly.
func FSForward(p FSParams, x float32) (out float32, spikes int) {
	v := x
	for t := range p.H {
		if v > p.T[t] {
			out += p.D[t]
			v -= p.H[t]
			spikes++
		}
	}
	return out, spikes
}

// FSForwardAll runs the FS neuron on every input of xs into out (of the
// same length) with the engine's vector kernel and returns the number of
// spikes: the same results as FSForward on each input, bit for bit.
// p.D must hold K weights (one channel).
func FSForwardAll(p FSParams, xs, out []float32) (spikes int64) {
	if len(out) < len(xs) || len(p.T) != len(p.H) || len(p.D) != len(p.H) {
		panic("layers: FSForwardAll: mismatched lengths")
	}
	return fsRun(p.H, p.T, p.D, xs, out[:len(xs)])
}
