package onnx

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// roundTrip encodes g, decodes the bytes and checks that both graphs give
// the same outputs on in and have the same operators (fused activations are
// expanded by Encode and fused again by Decode).
func roundTrip(t *testing.T, g *layers.Graph, in map[string]*layers.Tensor, tol float64, sameOps bool) *layers.Graph {
	t.Helper()
	data, err := Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Decode(data, "")
	if err != nil {
		t.Fatalf("decoding the encoded graph: %v", err)
	}
	if h.Opset != 17 || h.Producer != "fewspikes" {
		t.Errorf("opset %d producer %q", h.Opset, h.Producer)
	}
	if sameOps && !slices.Equal(ops(g), ops(h)) {
		t.Errorf("operators changed:\n%v\n%v", ops(g), ops(h))
	}
	want, got := run(t, g, in), run(t, h, in)
	for _, o := range g.Outputs {
		assertClose(t, got[o.Name].AsFloat32(), want[o.Name].AsFloat32(), tol)
	}
	return h
}

func TestEncodeRoundTripCanonical(t *testing.T) {
	g := lgraph([]string{"x"}, []string{"y", "s1"}, map[string]*layers.Tensor{"w": layers.New(8, 8)},
		lnode("SiLU", []string{"x"}, "a", nil),
		lnode("GELU", []string{"a"}, "b", nil),
		lnode("GELUTanh", []string{"b"}, "c", nil),
		lnode("Mish", []string{"c"}, "d", nil),
		lnode("HardSwish", []string{"d"}, "e", nil),
		lnode("Clip", []string{"e"}, "f", layers.Attrs{"min": float32(-1), "max": float32(1.5)}),
		lnode("Clip", []string{"f"}, "f2", layers.Attrs{"max": float32(1.2)}),
		lnode("Unsqueeze", []string{"f2"}, "u", layers.Attrs{"axes": []int64{1}}),
		lnode("Pad", []string{"u"}, "p", layers.Attrs{"pads": []int64{0, 0, 1, 0, 0, 1}, "mode": "constant", "value": float32(0.5)}),
		lnode("Resize", []string{"p"}, "r", layers.Attrs{"scales": []float32{1, 1, 2}, "mode": "nearest"}),
		lnode("Squeeze", []string{"r"}, "sq", layers.Attrs{"axes": []int64{1}}),
		lnode("ReduceSum", []string{"sq"}, "rs", layers.Attrs{"axes": []int64{-1}, "keepdims": int64(1)}),
		lnode("Softmax", []string{"sq"}, "sm", layers.Attrs{"axis": int64(1)}),
		lnode("Add", []string{"sm", "rs"}, "y", nil),
	)
	g.Nodes = append(g.Nodes, &layers.Node{Name: "split", Op: "Split", Inputs: []string{"x"}, Outputs: []string{"s1", "s2"}, Attrs: layers.Attrs{"axis": int64(1), "split": []int64{3, 5}}})
	roundTrip(t, g, randomInputs(g, 2), 1e-6, true)
}

func TestEncodeLegacySoftmax(t *testing.T) {
	// Opset < 13 Softmax over a [2,3,4] input at axis 1 normalises over 12
	// values; opset 17 has no such mode, so Encode flattens and reshapes
	// (the static input shape lets Decode fold the Shape node).
	g := lgraph(nil, []string{"y"}, nil, lnode("LogSoftmax", []string{"x"}, "y", layers.Attrs{"axis": int64(1), "legacy": int64(1)}))
	g.Inputs = []layers.ValueInfo{{Name: "x", Shape: []int{2, 3, 4}}}
	h := roundTrip(t, g, randomInputs(g, 3), 1e-6, false)
	if !slices.Equal(ops(h), []string{"Flatten", "LogSoftmax", "Reshape"}) {
		t.Fatalf("encoded as %v", ops(h))
	}
}

func TestEncodeRefusesFS(t *testing.T) {
	g := lgraph([]string{"x"}, []string{"y"}, nil, lnode("FS", []string{"x"}, "y", layers.Attrs{"h": []float32{1}, "T": []float32{0}, "d": []float32{1}}))
	if _, err := Encode(g); err == nil || !containsAll(err.Error(), `node "y"`, "FS", "unrolled") {
		t.Fatalf("error %v", err)
	}
}

// TestEncodeRoundTripTestdata round-trips the PyTorch test models.
func TestEncodeRoundTripTestdata(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.onnx")
	if len(files) == 0 {
		t.Skip("no test models in ../testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			g, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Base(f)
			model := base[:len(base)-len(filepath.Ext(base))]
			for filepath.Ext(model) != "" {
				model = model[:len(model)-len(filepath.Ext(model))]
			}
			x, err := npy.ReadFile(filepath.Join("../testdata", model+".input.npy"))
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, g, map[string]*layers.Tensor{g.Inputs[0].Name: x.Tensor}, 1e-5, true)
		})
	}
}
