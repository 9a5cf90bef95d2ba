package onnx

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

// single decodes a one-node model y = op(x, consts...) at opset and
// returns the imported graph.
func single(t *testing.T, opset int64, n *onnxpb.NodeProto, inits ...*onnxpb.TensorProto) *layers.Graph {
	t.Helper()
	s := modelSpec{opset: opset, nodes: []*onnxpb.NodeProto{n}, inits: inits,
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", -1, 4, 6)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	g, err := Decode(s.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 1 {
		t.Fatalf("nodes %v, want one", ops(g))
	}
	return g
}

func TestNormaliseAxesInputs(t *testing.T) {
	n := single(t, 13, pnode("Unsqueeze", []string{"x", "axes"}, []string{"y"}), intInit("axes", []int64{1}, 0)).Nodes[0]
	if !slices.Equal(n.Inputs, []string{"x"}) || !slices.Equal(n.Attrs.Ints("axes", nil), []int64{0}) {
		t.Errorf("Unsqueeze-13: %+v", n)
	}
	n = single(t, 11, pnode("Unsqueeze", []string{"x"}, []string{"y"}, attrInts("axes", 0))).Nodes[0]
	if !slices.Equal(n.Attrs.Ints("axes", nil), []int64{0}) {
		t.Errorf("Unsqueeze-11: %+v", n)
	}
	n = single(t, 18, pnode("ReduceMean", []string{"x", "axes"}, []string{"y"}, attrI("keepdims", 0)), intInit("axes", []int64{2}, -1, 1)).Nodes[0]
	if !slices.Equal(n.Inputs, []string{"x"}) || !slices.Equal(n.Attrs.Ints("axes", nil), []int64{-1, 1}) || n.Attrs.Int("keepdims", 1) != 0 {
		t.Errorf("ReduceMean-18: %+v", n)
	}
	n = single(t, 13, pnode("Split", []string{"x", "split"}, []string{"y", "y2"}, attrI("axis", 2)), intInit("split", []int64{2}, 2, 4)).Nodes[0]
	if !slices.Equal(n.Inputs, []string{"x"}) || !slices.Equal(n.Attrs.Ints("split", nil), []int64{2, 4}) {
		t.Errorf("Split-13: %+v", n)
	}
}

func TestNormaliseClipPad(t *testing.T) {
	n := single(t, 11, pnode("Clip", []string{"x", "lo", "hi"}, []string{"y"}), floatInit("lo", nil, -1), floatInit("hi", nil, 6)).Nodes[0]
	if len(n.Inputs) != 1 || n.Attrs.Float("min", 0) != -1 || n.Attrs.Float("max", 0) != 6 {
		t.Errorf("Clip-11: %+v", n)
	}
	n = single(t, 12, pnode("Clip", []string{"x", "", "hi"}, []string{"y"}), floatInit("hi", nil, 6)).Nodes[0]
	if _, has := n.Attrs["min"]; has || n.Attrs.Float("max", 0) != 6 || len(n.Inputs) != 1 {
		t.Errorf("Clip-12 without min: %+v", n)
	}
	n = single(t, 9, pnode("Clip", []string{"x"}, []string{"y"}, attrF("min", 0), attrF("max", 6))).Nodes[0]
	if n.Attrs.Float("min", -1) != 0 || n.Attrs.Float("max", 0) != 6 {
		t.Errorf("Clip-9: %+v", n)
	}
	n = single(t, 11, pnode("Pad", []string{"x", "pads", "v"}, []string{"y"}, attrS("mode", "reflect")),
		intInit("pads", []int64{6}, 0, 0, 1, 0, 0, 1), floatInit("v", nil, 2)).Nodes[0]
	if len(n.Inputs) != 1 || !slices.Equal(n.Attrs.Ints("pads", nil), []int64{0, 0, 1, 0, 0, 1}) || n.Attrs.Float("value", 0) != 2 || n.Attrs.String("mode", "") != "reflect" {
		t.Errorf("Pad-11: %+v", n)
	}
	n = single(t, 9, pnode("Pad", []string{"x"}, []string{"y"}, attrInts("pads", 0, 0, 1, 0, 0, 1))).Nodes[0]
	if n.Attrs.String("mode", "") != "constant" || n.Attrs.Float("value", 1) != 0 {
		t.Errorf("Pad-9 defaults: %+v", n)
	}
}

func TestNormaliseSoftmax(t *testing.T) {
	n := single(t, 11, pnode("Softmax", []string{"x"}, []string{"y"})).Nodes[0]
	if n.Attrs.Int("axis", 0) != 1 || n.Attrs.Int("legacy", 0) != 1 {
		t.Errorf("Softmax-11: %+v", n)
	}
	n = single(t, 13, pnode("LogSoftmax", []string{"x"}, []string{"y"})).Nodes[0]
	if n.Attrs.Int("axis", 0) != -1 || n.Attrs.Int("legacy", 0) != 0 {
		t.Errorf("LogSoftmax-13: %+v", n)
	}
	// Legacy semantics: the [N,4,6] input is normalised over 4·6 values.
	g := single(t, 11, pnode("Softmax", []string{"x"}, []string{"y"}))
	x := layers.New(1, 4, 6)
	y := run(t, g, map[string]*layers.Tensor{"x": x})["y"]
	for _, v := range y.F {
		if d := v - 1.0/24; d > 1e-6 || d < -1e-6 {
			t.Fatalf("legacy softmax of zeros gave %v, want 1/24 everywhere", v)
		}
	}
}

func TestNormaliseResize(t *testing.T) {
	n := single(t, 9, pnode("Upsample", []string{"x", "sc"}, []string{"y"}), floatInit("sc", []int64{3}, 1, 2, 2)).Nodes[0]
	if n.Op != "Resize" || len(n.Inputs) != 1 || !slices.Equal(n.Attrs.Floats("scales", nil), []float32{1, 2, 2}) ||
		n.Attrs.String("coordinate_transformation_mode", "") != "asymmetric" || n.Attrs.String("mode", "") != "nearest" {
		t.Errorf("Upsample-9: %+v", n)
	}
	n = single(t, 7, pnode("Upsample", []string{"x"}, []string{"y"}, &onnxpb.AttributeProto{Name: ptr("scales"),
		Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: []float32{1, 2, 2}}, attrS("mode", "bilinear"))).Nodes[0]
	if n.Op != "Resize" || !slices.Equal(n.Attrs.Floats("scales", nil), []float32{1, 2, 2}) || n.Attrs.String("mode", "") != "linear" {
		t.Errorf("Upsample-7: %+v", n)
	}
	n = single(t, 13, pnode("Resize", []string{"x", "", "sc"}, []string{"y"}, attrS("mode", "nearest")), floatInit("sc", []int64{3}, 1, 2, 2)).Nodes[0]
	if len(n.Inputs) != 1 || !slices.Equal(n.Attrs.Floats("scales", nil), []float32{1, 2, 2}) {
		t.Errorf("Resize-13: %+v", n)
	}
	n = single(t, 11, pnode("Resize", []string{"x", "roi", "sc", "sz"}, []string{"y"}),
		floatInit("roi", []int64{0}), floatInit("sc", []int64{0}), intInit("sz", []int64{3}, 1, 8, 12)).Nodes[0]
	if len(n.Inputs) != 1 || !slices.Equal(n.Attrs.Ints("sizes", nil), []int64{1, 8, 12}) || n.Attrs["scales"] != nil || n.Attrs["roi"] != nil {
		t.Errorf("Resize-11 sizes: %+v", n)
	}
}

func ptr(s string) *string { return &s }

func TestNormaliseMisc(t *testing.T) {
	n := single(t, 20, pnode("Gelu", []string{"x"}, []string{"y"}, attrS("approximate", "tanh"))).Nodes[0]
	if n.Op != "GELUTanh" || len(n.Attrs) != 0 {
		t.Errorf("Gelu tanh: %+v", n)
	}
	n = single(t, 20, pnode("Gelu", []string{"x"}, []string{"y"})).Nodes[0]
	if n.Op != "GELU" {
		t.Errorf("Gelu: %+v", n)
	}
	g := single(t, 9, pnode("Slice", []string{"x"}, []string{"y"}, attrInts("starts", 1), attrInts("ends", 3), attrInts("axes", 2)))
	n = g.Nodes[0]
	if len(n.Inputs) != 4 || n.Attrs["starts"] != nil || !slices.Equal(g.Initializers[n.Inputs[1]].I, []int64{1}) || !slices.Equal(g.Initializers[n.Inputs[3]].I, []int64{2}) {
		t.Errorf("Slice-9: %+v", n)
	}
}

func TestRemoveIdentityAndDropout(t *testing.T) {
	s := modelSpec{opset: 13,
		nodes: []*onnxpb.NodeProto{
			pnode("Relu", []string{"x"}, []string{"a"}),
			pnode("Dropout", []string{"a"}, []string{"b"}),
			pnode("Identity", []string{"b"}, []string{"y"}),
		},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", -1, 4)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	g, err := Decode(s.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ops(g), []string{"Relu"}) || g.Nodes[0].Outputs[0] != "y" {
		t.Fatalf("nodes %v, outputs %v", ops(g), g.Nodes[0].Outputs)
	}
	// An Identity from graph input to graph output has to stay.
	s = modelSpec{opset: 13, nodes: []*onnxpb.NodeProto{pnode("Identity", []string{"x"}, []string{"y"})},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", -1, 4)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	if g, err = Decode(s.bytes(t), ""); err != nil || !slices.Equal(ops(g), []string{"Identity"}) {
		t.Fatalf("identity passthrough: %v %v", err, ops(g))
	}
}

func TestConstantFolding(t *testing.T) {
	// y = x * (c + c) with c a Constant node: folds to one Mul by 4.
	s := modelSpec{opset: 13,
		nodes: []*onnxpb.NodeProto{
			pnode("Constant", nil, []string{"c"}, attrT("value", floatInit("", nil, 2))),
			pnode("Add", []string{"c", "c"}, []string{"cc"}),
			pnode("Mul", []string{"x", "cc"}, []string{"y"}),
		},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", -1, 4)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	g, err := Decode(s.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ops(g), []string{"Mul"}) || g.Initializers["cc"] == nil || g.Initializers["cc"].F[0] != 4 {
		t.Fatalf("nodes %v, initializers %v", ops(g), g.Initializers)
	}
	if _, ok := g.Initializers["c"]; ok {
		t.Error("unused initializer c was not pruned")
	}
}

// dynamicReshape is x[N,4,6] → Reshape(x, concat(shape(x)[0], [-1])),
// the flatten sub-graph torch.onnx emits for dynamic batch.
func dynamicReshape(batch int64) modelSpec {
	return modelSpec{opset: 13,
		nodes: []*onnxpb.NodeProto{
			pnode("Shape", []string{"x"}, []string{"s"}),
			pnode("Gather", []string{"s", "zero"}, []string{"n"}, attrI("axis", 0)),
			pnode("Unsqueeze", []string{"n", "axes0"}, []string{"n1"}),
			pnode("Concat", []string{"n1", "minus1"}, []string{"shape"}, attrI("axis", 0)),
			pnode("Reshape", []string{"x", "shape"}, []string{"y"}),
		},
		inits:  []*onnxpb.TensorProto{intInit("zero", nil, 0), intInit("axes0", []int64{1}, 0), intInit("minus1", []int64{1}, -1)},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", batch, 4, 6)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
}

func TestShapeSubgraph(t *testing.T) {
	g, err := Decode(dynamicReshape(-1).bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ops(g), []string{"Shape", "Gather", "Unsqueeze", "Concat", "Reshape"}) {
		t.Fatalf("dynamic batch: nodes %v", ops(g))
	}
	for _, batch := range []int{1, 3} {
		y := run(t, g, map[string]*layers.Tensor{"x": layers.New(batch, 4, 6)})["y"]
		if !slices.Equal(y.Shape, []int{batch, 24}) {
			t.Errorf("batch %d: shape %v", batch, y.Shape)
		}
	}
	// With a static input shape, the whole shape computation folds away.
	g, err = Decode(dynamicReshape(2).bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ops(g), []string{"Reshape"}) || !slices.Equal(g.Initializers[g.Nodes[0].Inputs[1]].I, []int64{2, -1}) {
		t.Fatalf("static batch: nodes %v", ops(g))
	}
}

func TestFoldRejectsAbsurdConstant(t *testing.T) {
	s := modelSpec{opset: 13,
		nodes: []*onnxpb.NodeProto{
			pnode("ConstantOfShape", []string{"big"}, []string{"z"}),
			pnode("Add", []string{"x", "z"}, []string{"y"}),
		},
		inits:  []*onnxpb.TensorProto{intInit("big", []int64{2}, 1<<20, 1<<20)},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", -1, 4)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	_, err := Decode(s.bytes(t), "")
	if err == nil || !containsAll(err.Error(), "z_node", "ConstantOfShape", "exceed") {
		t.Fatalf("error %v", err)
	}
}

func TestNormaliseBeforeOpset7(t *testing.T) {
	// Cast-1 names its target type; Reshape-1 takes the shape as an attribute.
	s := modelSpec{opset: 4,
		nodes: []*onnxpb.NodeProto{
			pnode("Cast", []string{"x"}, []string{"c"}, attrS("to", "INT64")),
			pnode("Reshape", []string{"c"}, []string{"r"}, attrInts("shape", 0, -1)),
			pnode("Concat", []string{"r", "r"}, []string{"y"}),
		},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", 2, 4, 6)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	g, err := Decode(s.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ops(g), []string{"Cast", "Reshape", "Concat"}) || g.Nodes[0].Attrs.Int("to", 0) != int64(onnxpb.TensorProto_INT64) {
		t.Fatalf("nodes %v, Cast attrs %v", ops(g), g.Nodes[0].Attrs)
	}
	x := layers.New(2, 4, 6)
	x.F[0] = 2.7
	y := run(t, g, map[string]*layers.Tensor{"x": x})["y"]
	if !slices.Equal(y.Shape, []int{2, 48}) || y.DType != layers.Int64 || y.I[0] != 2 {
		t.Fatalf("y = %v %v", y, y.I[:2])
	}

	// Opset-6 broadcasting along an axis has no numpy equivalent here.
	s = modelSpec{opset: 6,
		nodes:  []*onnxpb.NodeProto{pnode("Add", []string{"x", "b"}, []string{"y"}, attrI("broadcast", 1), attrI("axis", 1))},
		inits:  []*onnxpb.TensorProto{floatInit("b", []int64{4}, 1, 2, 3, 4)},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", 2, 4, 6)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	if _, err := Decode(s.bytes(t), ""); err == nil || !containsAll(err.Error(), `node "y_node" (Add)`, "broadcasting with an axis") {
		t.Fatalf("error %v", err)
	}
}

func TestTrainingModeRejected(t *testing.T) {
	s := modelSpec{opset: 13,
		nodes: []*onnxpb.NodeProto{pnode("Dropout", []string{"x", "ratio", "train"}, []string{"y"})},
		inits: []*onnxpb.TensorProto{floatInit("ratio", nil, 0.5),
			{Name: ptr("train"), DataType: proto.Int32(int32(onnxpb.TensorProto_BOOL)), Int32Data: []int32{1}}},
		inputs: []*onnxpb.ValueInfoProto{vinfo("x", 2, 4)}, outputs: []*onnxpb.ValueInfoProto{vinfo("y")}}
	if _, err := Decode(s.bytes(t), ""); err == nil || !containsAll(err.Error(), "Dropout", "training mode") {
		t.Fatalf("error %v", err)
	}
	s.inits[1].Int32Data = []int32{0}
	g, err := Decode(s.bytes(t), "")
	// Input to output directly: the no-op node stays, without its extra inputs.
	if err != nil || len(g.Nodes) != 1 || !slices.Equal(g.Nodes[0].Inputs, []string{"x"}) {
		t.Fatalf("inference-mode Dropout: %v %v", err, ops(g))
	}
}

func TestPadAxesKeepsInputs(t *testing.T) {
	g := single(t, 18, pnode("Pad", []string{"x", "pads", "", "axes"}, []string{"y"}),
		intInit("pads", []int64{2}, 1, 2), intInit("axes", []int64{1}, -1))
	n := g.Nodes[0]
	if len(n.Inputs) != 4 {
		t.Fatalf("Pad-18 with axes: %+v", n)
	}
	y := run(t, g, map[string]*layers.Tensor{"x": layers.New(1, 4, 6)})["y"]
	if !slices.Equal(y.Shape, []int{1, 4, 9}) {
		t.Fatalf("shape %v, want [1 4 9]", y.Shape)
	}
	if _, err := Encode(g); err == nil {
		t.Error("Encode wrote an opset-18 Pad into an opset-17 file")
	}
}
