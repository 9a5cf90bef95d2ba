package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx"
)

// inspectReport is what `fewspikes inspect` prints (as JSON with --json).
type inspectReport struct {
	Model      string         `json:"model"`
	Producer   string         `json:"producer"`
	Opset      int64          `json:"opset"`
	Inputs     []inspectValue `json:"inputs"`
	Outputs    []inspectValue `json:"outputs"`
	Nodes      int            `json:"nodes"`
	Operators  map[string]int `json:"operators"`
	Parameters int64          `json:"parameters"`
	// MACsPerSample comes from one batch-1 forward pass on zeros (dynamic
	// dimensions set to 1).
	MACsPerSample int64         `json:"macs_per_sample"`
	Sites         []inspectSite `json:"sites"`
}

type inspectValue struct {
	Name  string   `json:"name"`
	DType string   `json:"dtype"`
	Shape []string `json:"shape"`
}

type inspectSite struct {
	Node       string `json:"node"`
	Activation string `json:"activation"`
	Neurons    int64  `json:"neurons"`
}

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "describe an ONNX model: inputs, outputs, operators, parameters, MACs and activation sites",
		ArgsUsage: "MODEL.onnx",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object on stdout"},
		},
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return badInputf("inspect: %v", err)
		},
		Action: func(c *cli.Context) error {
			// DESIGN.md puts --json after MODEL.onnx (trailingFlags, run.go).
			args, err := trailingFlags(c)
			if err != nil {
				return badInputf("inspect: %w", err)
			}
			if len(args) != 1 {
				return badInputf("inspect: want exactly one MODEL.onnx argument, got %d", len(args))
			}
			rep, err := inspectModel(args[0])
			if err != nil {
				return err
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printInspect(c.App.Writer, rep)
			return nil
		},
	}
}

// inspectModel loads path, checks that every operator is supported and
// profiles one batch-1 forward pass.
func inspectModel(path string) (*inspectReport, error) {
	g, err := onnx.Load(path)
	if err != nil {
		return nil, badInput(err)
	}
	rep := &inspectReport{Model: path, Producer: g.Producer, Opset: g.Opset, Nodes: len(g.Nodes), Operators: map[string]int{},
		Inputs: []inspectValue{}, Outputs: []inspectValue{}, Sites: []inspectSite{}}
	for _, v := range g.Inputs {
		rep.Inputs = append(rep.Inputs, describeValue(v))
	}
	for _, v := range g.Outputs {
		rep.Outputs = append(rep.Outputs, describeValue(v))
	}
	for _, n := range g.Nodes {
		rep.Operators[n.Op]++
	}
	for _, t := range g.Initializers {
		if t.DType == layers.Float32 {
			rep.Parameters += int64(len(t.F))
		}
	}
	prog, err := layers.Compile(g, layers.Options{Threads: 1})
	if err != nil {
		// Unsupported operators (every such node named) or attributes
		// that are wrong whatever the input: the model's fault.
		return nil, badInputf("%s: %w", path, err)
	}
	// A fixed-batch model runs at its batch; counts are divided by it.
	inputs, batch := map[string]*layers.Tensor{}, 1
	for i, v := range g.Inputs {
		shape := slices.Clone(v.Shape)
		for i, d := range shape {
			if d < 0 {
				shape[i] = 1
			}
		}
		if i == 0 && len(shape) > 0 && shape[0] > 0 {
			batch = shape[0]
		}
		if !modestSize(shape) {
			return nil, badInputf("%s: input %q of shape %v is too large to profile", path, v.Name, shape)
		}
		if v.DType == layers.Int64 {
			inputs[v.Name] = layers.NewInt(shape...)
		} else {
			inputs[v.Name] = layers.New(shape...)
		}
	}
	var macs int64
	_, err = prog.RunObserved(inputs, func(n *layers.Node, in, out []*layers.Tensor) {
		macs += layers.MACs(n, shapesOf(in), shapesOf(out))
		if act, ok := layers.ActivationOf(n); ok && len(out) > 0 && out[0] != nil {
			rep.Sites = append(rep.Sites, inspectSite{Node: n.Name, Activation: act.Name, Neurons: int64(out[0].Len() / batch)})
		}
	})
	rep.MACsPerSample = macs / int64(batch)
	if err != nil {
		return nil, badInputf("%s: batch-1 forward pass on zeros: %w", path, err)
	}
	return rep, nil
}

// modestSize reports whether a zero tensor of this shape is small enough to
// profile with (at most 2^26 elements), without overflowing.
func modestSize(shape []int) bool {
	n := 1
	for _, d := range shape {
		if d > 1<<26 || n*d > 1<<26 {
			return false
		}
		n *= d
	}
	return true
}

func shapesOf(ts []*layers.Tensor) [][]int {
	s := make([][]int, len(ts))
	for i, t := range ts {
		if t != nil {
			s[i] = t.Shape
		}
	}
	return s
}

func describeValue(v layers.ValueInfo) inspectValue {
	d := inspectValue{Name: v.Name, DType: v.DType.String(), Shape: []string{}}
	for i, n := range v.Shape {
		switch {
		case n >= 0:
			d.Shape = append(d.Shape, fmt.Sprint(n))
		case i < len(v.DimNames) && v.DimNames[i] != "":
			d.Shape = append(d.Shape, v.DimNames[i])
		default:
			d.Shape = append(d.Shape, "?")
		}
	}
	return d
}

func printInspect(w io.Writer, r *inspectReport) {
	fmt.Fprintf(w, "model:      %s\n", r.Model)
	fmt.Fprintf(w, "producer:   %s\n", r.Producer)
	fmt.Fprintf(w, "opset:      %d\n", r.Opset)
	for _, v := range r.Inputs {
		fmt.Fprintf(w, "input:      %s %s %v\n", v.Name, v.DType, v.Shape)
	}
	for _, v := range r.Outputs {
		fmt.Fprintf(w, "output:     %s %s %v\n", v.Name, v.DType, v.Shape)
	}
	fmt.Fprintf(w, "parameters: %d\n", r.Parameters)
	fmt.Fprintf(w, "MACs:       %d per sample\n", r.MACsPerSample)
	ops := make([]string, 0, len(r.Operators))
	for op := range r.Operators {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	fmt.Fprintf(w, "operators:  %d nodes\n", r.Nodes)
	for _, op := range ops {
		fmt.Fprintf(w, "  %-22s %d\n", op, r.Operators[op])
	}
	fmt.Fprintf(w, "activation sites: %d\n", len(r.Sites))
	for _, s := range r.Sites {
		fmt.Fprintf(w, "  %-30s %-12s %d neurons/sample\n", s.Node, s.Activation, s.Neurons)
	}
}
