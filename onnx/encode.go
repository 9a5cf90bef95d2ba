package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

// Versions Encode writes.
const (
	encodeIRVersion = 8
	encodeOpset     = 17
)

// Encode writes g as an ONNX model (IR 8, opset 17) that any ONNX runtime
// can execute: fused activations become standard operators again and
// canonical attributes go back to their opset-17 places (axes, bounds,
// pads and scales as constant inputs where opset 13+ wants inputs). FS
// nodes must have been unrolled by the caller.
func Encode(g *layers.Graph) ([]byte, error) {
	e := &encoder{g: g, used: map[string]bool{}, gp: &onnxpb.GraphProto{Name: proto.String(g.Name)}}
	for _, in := range g.Inputs {
		e.used[in.Name] = true
	}
	for name := range g.Initializers {
		e.used[name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			e.used[o] = true
		}
	}
	for _, n := range g.Nodes {
		if err := e.node(n); err != nil {
			return nil, fmt.Errorf("onnx: encode: node %q (%s): %w", n.Name, n.Op, err)
		}
	}
	names := make([]string, 0, len(g.Initializers))
	for name := range g.Initializers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		e.gp.Initializer = append(e.gp.Initializer, tensorToProto(name, g.Initializers[name]))
	}
	e.gp.Initializer = append(e.gp.Initializer, e.extra...)
	for _, in := range g.Inputs {
		e.gp.Input = append(e.gp.Input, valueInfoProto(in))
	}
	for _, o := range g.Outputs {
		e.gp.Output = append(e.gp.Output, valueInfoProto(o))
	}
	m := &onnxpb.ModelProto{
		IrVersion:    proto.Int64(encodeIRVersion),
		ProducerName: proto.String("fewspikes"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(encodeOpset)}},
		Graph:        e.gp,
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode: %w", err)
	}
	return data, nil
}

type encoder struct {
	g     *layers.Graph
	gp    *onnxpb.GraphProto
	used  map[string]bool
	extra []*onnxpb.TensorProto
}

// fresh returns an unused value name derived from base.
func (e *encoder) fresh(base string) string {
	name := base
	for k := 2; e.used[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	e.used[name] = true
	return name
}

// constant adds an initializer and returns its name.
func (e *encoder) constant(base string, t *layers.Tensor) string {
	name := e.fresh(base)
	e.extra = append(e.extra, tensorToProto(name, t))
	return name
}

func (e *encoder) scalar(base string, v float32) string {
	return e.constant(base, layers.FromFloat32([]float32{v}))
}

// emit appends a standard node.
func (e *encoder) emit(name, op string, in, out []string, attrs layers.Attrs) error {
	np := &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, err := attrProto(k, attrs[k])
		if err != nil {
			return err
		}
		np.Attribute = append(np.Attribute, a)
	}
	e.gp.Node = append(e.gp.Node, np)
	return nil
}

// node writes one canonical node as standard opset-17 nodes.
func (e *encoder) node(n *layers.Node) error {
	attrs := layers.Attrs{}
	for k, v := range n.Attrs {
		attrs[k] = v
	}
	in := slices.Clone(n.Inputs)
	x := ""
	if len(in) > 0 {
		x = in[0]
	}
	y := ""
	if len(n.Outputs) > 0 {
		y = n.Outputs[0]
	}
	tmp := func(s string) string { return e.fresh(n.Name + "_" + s) }
	switch n.Op {
	case "FS":
		return errors.New("FS nodes must be unrolled to standard operators before encoding")
	case "SiLU":
		s := tmp("sigmoid")
		if err := e.emit(n.Name+"_sigmoid", "Sigmoid", []string{x}, []string{s}, nil); err != nil {
			return err
		}
		return e.emit(n.Name, "Mul", []string{x, s}, n.Outputs, nil)
	case "Mish":
		sp, th := tmp("softplus"), tmp("tanh")
		e.emit(n.Name+"_softplus", "Softplus", []string{x}, []string{sp}, nil)
		e.emit(n.Name+"_tanh", "Tanh", []string{sp}, []string{th}, nil)
		return e.emit(n.Name, "Mul", []string{x, th}, n.Outputs, nil)
	case "GELU":
		// x · 0.5 · (1 + erf(x/√2)), the form PyTorch exports.
		d, er, a, m := tmp("div"), tmp("erf"), tmp("add"), tmp("mul")
		e.emit(n.Name+"_div", "Div", []string{x, e.scalar(n.Name+"_sqrt2", float32(math.Sqrt2))}, []string{d}, nil)
		e.emit(n.Name+"_erf", "Erf", []string{d}, []string{er}, nil)
		e.emit(n.Name+"_add", "Add", []string{er, e.scalar(n.Name+"_one", 1)}, []string{a}, nil)
		e.emit(n.Name+"_mul", "Mul", []string{x, a}, []string{m}, nil)
		return e.emit(n.Name, "Mul", []string{m, e.scalar(n.Name+"_half", 0.5)}, n.Outputs, nil)
	case "GELUTanh":
		// x · 0.5 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))
		p, c, s, k, th, a, m := tmp("pow"), tmp("cube"), tmp("sum"), tmp("scaled"), tmp("tanh"), tmp("add"), tmp("mul")
		e.emit(n.Name+"_pow", "Pow", []string{x, e.scalar(n.Name+"_three", 3)}, []string{p}, nil)
		e.emit(n.Name+"_cube", "Mul", []string{p, e.scalar(n.Name+"_coef", 0.044715)}, []string{c}, nil)
		e.emit(n.Name+"_sum", "Add", []string{x, c}, []string{s}, nil)
		e.emit(n.Name+"_scaled", "Mul", []string{s, e.scalar(n.Name+"_c", float32(math.Sqrt(2/math.Pi)))}, []string{k}, nil)
		e.emit(n.Name+"_tanh", "Tanh", []string{k}, []string{th}, nil)
		e.emit(n.Name+"_add", "Add", []string{th, e.scalar(n.Name+"_one", 1)}, []string{a}, nil)
		e.emit(n.Name+"_mul", "Mul", []string{x, a}, []string{m}, nil)
		return e.emit(n.Name, "Mul", []string{m, e.scalar(n.Name+"_half", 0.5)}, n.Outputs, nil)
	case "Softmax", "LogSoftmax", "Hardmax":
		if attrs.Int("legacy", 0) == 0 {
			break
		}
		// Opset < 13 semantics: flatten at axis, normalise rows, restore.
		delete(attrs, "legacy")
		f, r, sh := tmp("flat"), tmp("rows"), tmp("shape")
		e.emit(n.Name+"_flatten", "Flatten", []string{x}, []string{f}, layers.Attrs{"axis": attrs.Int("axis", 1)})
		e.emit(n.Name+"_rows", n.Op, []string{f}, []string{r}, layers.Attrs{"axis": int64(1)})
		e.emit(n.Name+"_shape", "Shape", []string{x}, []string{sh}, nil)
		return e.emit(n.Name, "Reshape", []string{r, sh}, []string{y}, nil)
	case "Squeeze", "Unsqueeze", "ReduceSum":
		if axes, ok := attrs["axes"].([]int64); ok && len(in) == 1 {
			in = append(in, e.constant(n.Name+"_axes", layers.FromInt64(slices.Clone(axes), len(axes))))
			delete(attrs, "axes")
		}
	case "Split":
		if split, ok := attrs["split"].([]int64); ok && len(in) == 1 {
			in = append(in, e.constant(n.Name+"_split", layers.FromInt64(slices.Clone(split), len(split))))
			delete(attrs, "split")
		}
	case "Clip":
		if len(in) == 1 {
			lo, hasLo := attrs["min"].(float32)
			hi, hasHi := attrs["max"].(float32)
			switch {
			case hasLo && hasHi:
				in = append(in, e.scalar(n.Name+"_min", lo), e.scalar(n.Name+"_max", hi))
			case hasLo:
				in = append(in, e.scalar(n.Name+"_min", lo))
			case hasHi:
				in = append(in, "", e.scalar(n.Name+"_max", hi))
			}
			delete(attrs, "min")
			delete(attrs, "max")
		}
	case "Pad":
		if len(in) > 3 && in[3] != "" {
			return errors.New("Pad with an axes input needs opset 18")
		}
		if pads, ok := attrs["pads"].([]int64); ok && len(in) == 1 {
			in = append(in, e.constant(n.Name+"_pads", layers.FromInt64(slices.Clone(pads), len(pads))))
			if v := attrs.Float("value", 0); v != 0 {
				in = append(in, e.scalar(n.Name+"_value", v))
			}
			delete(attrs, "pads")
			delete(attrs, "value")
		}
	case "Resize":
		if len(in) == 1 {
			roi, scales, sizes := "", "", ""
			if v, ok := attrs["roi"].([]float32); ok {
				roi = e.constant(n.Name+"_roi", layers.FromFloat32(slices.Clone(v), len(v)))
			}
			if v, ok := attrs["scales"].([]float32); ok {
				scales = e.constant(n.Name+"_scales", layers.FromFloat32(slices.Clone(v), len(v)))
			}
			if v, ok := attrs["sizes"].([]int64); ok {
				sizes = e.constant(n.Name+"_sizes", layers.FromInt64(slices.Clone(v), len(v)))
			}
			in = append(in, roi, scales)
			if sizes != "" {
				in = append(in, sizes)
			}
			delete(attrs, "roi")
			delete(attrs, "scales")
			delete(attrs, "sizes")
		}
	}
	return e.emit(n.Name, n.Op, in, n.Outputs, attrs)
}

// attrProto converts one attribute value.
func attrProto(name string, v any) (*onnxpb.AttributeProto, error) {
	a := &onnxpb.AttributeProto{Name: proto.String(name)}
	switch v := v.(type) {
	case int64:
		a.Type, a.I = onnxpb.AttributeProto_INT.Enum(), proto.Int64(v)
	case float32:
		a.Type, a.F = onnxpb.AttributeProto_FLOAT.Enum(), proto.Float32(v)
	case string:
		a.Type, a.S = onnxpb.AttributeProto_STRING.Enum(), []byte(v)
	case []int64:
		a.Type, a.Ints = onnxpb.AttributeProto_INTS.Enum(), v
	case []float32:
		a.Type, a.Floats = onnxpb.AttributeProto_FLOATS.Enum(), v
	case []string:
		a.Type = onnxpb.AttributeProto_STRINGS.Enum()
		for _, s := range v {
			a.Strings = append(a.Strings, []byte(s))
		}
	case *layers.Tensor:
		a.Type, a.T = onnxpb.AttributeProto_TENSOR.Enum(), tensorToProto("", v)
	default:
		return nil, fmt.Errorf("attribute %q: value of type %T cannot be encoded", name, v)
	}
	return a, nil
}

// valueInfoProto describes a graph input or output; -1 dimensions become
// symbolic (their recorded name, or "N" for the first, "d<i>" otherwise).
func valueInfoProto(v layers.ValueInfo) *onnxpb.ValueInfoProto {
	elem := onnxpb.TensorProto_FLOAT
	if v.DType == layers.Int64 {
		elem = onnxpb.TensorProto_INT64
	}
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(elem))}
	if v.Shape != nil {
		tt.Shape = &onnxpb.TensorShapeProto{}
		for i, d := range v.Shape {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			if d >= 0 {
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
			} else {
				name := ""
				if i < len(v.DimNames) {
					name = v.DimNames[i]
				}
				if name == "" {
					name = fmt.Sprintf("d%d", i)
					if i == 0 {
						name = "N"
					}
				}
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: name}
			}
			tt.Shape.Dim = append(tt.Shape.Dim, dim)
		}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(v.Name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
}
