package onnx

import (
	"errors"
	"fmt"
	"slices"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

// Canonical forms (the contract with the layers engine):
//
//   - Squeeze, Unsqueeze, Reduce*: "axes" []int64 attribute when the axes
//     are constant (inputs since opsets 13 and 18).
//   - Clip: "min"/"max" float32 attributes (inputs since opset 11); an
//     absent bound is absent.
//   - Pad: "pads" []int64, "mode" string, "value" float32 attributes; an
//     opset-18 Pad with an axes input keeps its inputs.
//   - Split: "split" []int64 attribute when given.
//   - Resize (and Upsample, renamed Resize): "scales" []float32 and/or
//     "sizes" []int64 (and "roi" []float32) attributes when constant, and an
//     explicit "coordinate_transformation_mode"/"nearest_mode" for opset 10.
//   - Slice: always inputs (starts, ends, axes, steps), as in opset 10+.
//   - Softmax, LogSoftmax, Hardmax: explicit "axis"; "legacy"=1 marks the
//     opset < 13 semantics (flatten to 2-D at axis, normalise over the
//     flattened trailing dimensions).
//   - Gelu: "GELU" (erf) or "GELUTanh".
//
// An attribute-or-input that is not constant stays an input.

// normaliseNode rewrites n in place into its canonical form. It may add
// initializers (Slice bounds of old opsets).
func normaliseNode(g *layers.Graph, n *layers.Node, opset int64) error {
	if opset < 7 {
		if err := normaliseBefore7(g, n); err != nil {
			return err
		}
	}
	switch n.Op {
	case "Squeeze", "Unsqueeze", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
		"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare":
		if t := constInput(g, n, 1); t != nil {
			n.Attrs["axes"] = slices.Clone(t.AsInt64())
			n.Inputs = n.Inputs[:1]
		}
		trimOmitted(n)
	case "Clip":
		lo, hi := constInput(g, n, 1), constInput(g, n, 2)
		if (len(n.Inputs) > 1 && n.Inputs[1] != "" && lo == nil) || (len(n.Inputs) > 2 && n.Inputs[2] != "" && hi == nil) {
			return nil // a bound computed at run time: leave it an input
		}
		for _, b := range []struct {
			name string
			t    *layers.Tensor
		}{{"min", lo}, {"max", hi}} {
			if b.t == nil {
				continue
			}
			if b.t.Len() != 1 {
				return fmt.Errorf("node %q (Clip): %s must be a scalar, got shape %v", n.Name, b.name, b.t.Shape)
			}
			n.Attrs[b.name] = b.t.AsFloat32()[0]
		}
		if len(n.Inputs) > 1 {
			n.Inputs = n.Inputs[:1]
		}
	case "Pad":
		if p, ok := n.Attrs["paddings"]; ok { // opset 1 spelling
			n.Attrs["pads"] = p
			delete(n.Attrs, "paddings")
		}
		if len(n.Inputs) > 1 {
			pads, value := constInput(g, n, 1), constInput(g, n, 2)
			// Opset-18 axes need the rank to expand the pads: the engine
			// takes that form with its inputs as they are.
			if pads == nil || (len(n.Inputs) > 2 && n.Inputs[2] != "" && value == nil) || (len(n.Inputs) > 3 && n.Inputs[3] != "") {
				return nil
			}
			n.Attrs["pads"] = slices.Clone(pads.AsInt64())
			if value != nil {
				if value.Len() != 1 {
					return fmt.Errorf("node %q (Pad): constant_value must be a scalar, got shape %v", n.Name, value.Shape)
				}
				n.Attrs["value"] = value.AsFloat32()[0]
			}
			n.Inputs = n.Inputs[:1]
		}
		if _, ok := n.Attrs["mode"]; !ok {
			n.Attrs["mode"] = "constant"
		}
		if _, ok := n.Attrs["value"]; !ok {
			n.Attrs["value"] = float32(0)
		}
	case "Split":
		if t := constInput(g, n, 1); t != nil {
			n.Attrs["split"] = slices.Clone(t.AsInt64())
			n.Inputs = n.Inputs[:1]
		}
		trimOmitted(n)
	case "Upsample":
		n.Op = "Resize"
		mode := n.Attrs.String("mode", "nearest")
		if mode == "bilinear" {
			mode = "linear"
		}
		n.Attrs["mode"] = mode
		legacyResize(n)
		if t := constInput(g, n, 1); t != nil {
			n.Attrs["scales"] = slices.Clone(t.AsFloat32())
			n.Inputs = n.Inputs[:1]
		}
	case "Resize":
		if opset < 11 {
			legacyResize(n)
			if t := constInput(g, n, 1); t != nil {
				n.Attrs["scales"] = slices.Clone(t.AsFloat32())
				n.Inputs = n.Inputs[:1]
			}
			return nil
		}
		roi, scales, sizes := constInput(g, n, 1), constInput(g, n, 2), constInput(g, n, 3)
		for i, t := range []*layers.Tensor{roi, scales, sizes} {
			if i+1 < len(n.Inputs) && n.Inputs[i+1] != "" && t == nil {
				return nil // computed at run time (dynamic sizes): keep the inputs
			}
		}
		if roi != nil && roi.Len() > 0 {
			n.Attrs["roi"] = slices.Clone(roi.AsFloat32())
		}
		if scales != nil && scales.Len() > 0 {
			n.Attrs["scales"] = slices.Clone(scales.AsFloat32())
		}
		if sizes != nil && sizes.Len() > 0 {
			n.Attrs["sizes"] = slices.Clone(sizes.AsInt64())
		}
		n.Inputs = n.Inputs[:1]
	case "Softmax", "LogSoftmax", "Hardmax":
		if opset < 13 {
			n.Attrs["axis"] = n.Attrs.Int("axis", 1)
			n.Attrs["legacy"] = int64(1)
		} else {
			n.Attrs["axis"] = n.Attrs.Int("axis", -1)
		}
	case "Gelu":
		n.Op = "GELU"
		if n.Attrs.String("approximate", "none") == "tanh" {
			n.Op = "GELUTanh"
		}
		delete(n.Attrs, "approximate")
	case "Slice":
		if len(n.Inputs) == 1 {
			// Opset < 10: bounds as attributes. Canonical Slice has inputs.
			for _, a := range []string{"starts", "ends", "axes"} {
				v, ok := n.Attrs[a].([]int64)
				if !ok {
					if a == "axes" {
						continue
					}
					return fmt.Errorf("node %q (Slice): attribute %q is missing", n.Name, a)
				}
				name := uniqueName(g, n.Name+"_"+a)
				g.Initializers[name] = layers.FromInt64(slices.Clone(v), len(v))
				n.Inputs = append(n.Inputs, name)
				delete(n.Attrs, a)
			}
		}
	case "BatchNormalization":
		if n.Attrs.Int("training_mode", 0) != 0 || len(n.Outputs) > 1 && slices.ContainsFunc(n.Outputs[1:], func(o string) bool { return o != "" }) && opset >= 14 {
			return fmt.Errorf("node %q (BatchNormalization): training mode is not supported (inference only)", n.Name)
		}
		// spatial (< 9), is_test and momentum do not change inference.
		for _, a := range []string{"spatial", "is_test", "consumed_inputs", "momentum", "training_mode"} {
			delete(n.Attrs, a)
		}
	case "Dropout":
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			if t := constInput(g, n, 2); t == nil || t.AsInt64()[0] != 0 {
				return fmt.Errorf("node %q (Dropout): training mode is not supported (inference only)", n.Name)
			}
		}
		if len(n.Inputs) > 1 {
			n.Inputs = n.Inputs[:1] // ratio, training_mode: inference ignores them
		}
	}
	return nil
}

// legacyResize sets the coordinate mapping of Upsample and Resize-10:
// out index i reads input index floor(i / scale).
func legacyResize(n *layers.Node) {
	n.Attrs["coordinate_transformation_mode"] = "asymmetric"
	if n.Attrs.String("mode", "nearest") == "nearest" {
		n.Attrs["nearest_mode"] = "floor"
	}
}

// constInput returns the constant tensor fed to input i of n, or nil when
// the input is omitted or computed at run time.
func constInput(g *layers.Graph, n *layers.Node, i int) *layers.Tensor {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil
	}
	return g.Initializers[n.Inputs[i]]
}

// trimOmitted drops trailing omitted (empty) inputs.
func trimOmitted(n *layers.Node) {
	for len(n.Inputs) > 0 && n.Inputs[len(n.Inputs)-1] == "" {
		n.Inputs = n.Inputs[:len(n.Inputs)-1]
	}
}

// uniqueName returns base, or base with a numeric suffix, so that it names
// no initializer, graph input or node output yet.
func uniqueName(g *layers.Graph, base string) string {
	used := func(s string) bool {
		if _, ok := g.Initializers[s]; ok {
			return true
		}
		for _, in := range g.Inputs {
			if in.Name == s {
				return true
			}
		}
		for _, n := range g.Nodes {
			if slices.Contains(n.Outputs, s) {
				return true
			}
		}
		return false
	}
	name := base
	for k := 2; used(name); k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	return name
}

// constantValue returns the tensor a Constant node produces.
func constantValue(n *layers.Node) (*layers.Tensor, error) {
	if t := n.Attrs.Tensor("value"); t != nil {
		return t, nil
	}
	if v, ok := n.Attrs["value_float"].(float32); ok {
		return layers.FromFloat32([]float32{v}), nil
	}
	if v, ok := n.Attrs["value_floats"].([]float32); ok {
		return layers.FromFloat32(slices.Clone(v), len(v)), nil
	}
	if v, ok := n.Attrs["value_int"].(int64); ok {
		return layers.FromInt64([]int64{v}), nil
	}
	if v, ok := n.Attrs["value_ints"].([]int64); ok {
		return layers.FromInt64(slices.Clone(v), len(v)), nil
	}
	for _, a := range []string{"value_string", "value_strings", "sparse_value"} {
		if _, ok := n.Attrs[a]; ok {
			return nil, fmt.Errorf("%w (%s)", ErrDType, a)
		}
	}
	return nil, errors.New("no value attribute")
}

// normaliseBefore7 handles the operator versions of opsets 1 to 6 whose
// attributes differ from their later forms.
func normaliseBefore7(g *layers.Graph, n *layers.Node) error {
	delete(n.Attrs, "consumed_inputs") // legacy optimisation hint
	switch n.Op {
	case "Add", "Sub", "Mul", "Div", "Pow", "Gemm", "And", "Or", "Xor", "Equal", "Less", "Greater":
		// Before opset 7, broadcast=1 aligned the second operand's shape with
		// the first at "axis"; without axis it is the suffix alignment of
		// numpy broadcasting.
		if _, has := n.Attrs["axis"]; has && n.Attrs.Int("broadcast", 0) != 0 && n.Op != "Gemm" {
			return fmt.Errorf("node %q (%s): opset < 7 broadcasting with an axis is not supported", n.Name, n.Op)
		}
		delete(n.Attrs, "broadcast")
		delete(n.Attrs, "axis")
	case "Reshape":
		if shape, ok := n.Attrs["shape"].([]int64); ok && len(n.Inputs) == 1 {
			name := uniqueName(g, n.Name+"_shape")
			g.Initializers[name] = layers.FromInt64(slices.Clone(shape), len(shape))
			n.Inputs = append(n.Inputs, name)
			delete(n.Attrs, "shape")
		}
	case "Concat":
		if _, has := n.Attrs["axis"]; !has {
			n.Attrs["axis"] = int64(1) // the default before opset 4
		}
	case "Cast":
		if to, ok := n.Attrs["to"].(string); ok { // a type name before opset 6
			code, known := onnxpb.TensorProto_DataType_value[to]
			if !known {
				return fmt.Errorf("node %q (Cast): unknown type %q", n.Name, to)
			}
			n.Attrs["to"] = int64(code)
		}
	case "Dropout":
		delete(n.Attrs, "is_test")
	case "PRelu":
		// PRelu-6 applied a 1-D slope per channel (axis 1); later versions
		// broadcast numpy-style, so the slope becomes [C, 1, ..., 1].
		slope := constInput(g, n, 1)
		if slope == nil || len(slope.Shape) != 1 || slope.Len() == 1 {
			return nil
		}
		rank := -1
		for _, in := range g.Inputs {
			if in.Name == n.Inputs[0] && in.Shape != nil {
				rank = len(in.Shape)
			}
		}
		if rank < 2 {
			return fmt.Errorf("node %q (PRelu): opset < 7 per-channel slope needs the input rank, which is unknown", n.Name)
		}
		shape := make([]int, rank-1)
		for i := range shape {
			shape[i] = 1
		}
		shape[0] = slope.Len()
		name := uniqueName(g, n.Name+"_slope")
		g.Initializers[name] = layers.FromFloat32(slope.AsFloat32(), shape...)
		n.Inputs[1] = name
	}
	return nil
}
