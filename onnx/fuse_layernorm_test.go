package onnx

import (
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

// layerNormDecomposition is what torch.onnx emits for nn.LayerNorm(8)
// before opset 17.
func layerNormDecomposition(axes []int64, square string) []*layers.Node {
	sq := lnode("Pow", []string{"d", "two"}, "sq", nil)
	if square == "mul" {
		sq = lnode("Mul", []string{"d", "d"}, "sq", nil)
	}
	return []*layers.Node{
		lnode("ReduceMean", []string{"x"}, "mean", layers.Attrs{"axes": axes}),
		lnode("Sub", []string{"x", "mean"}, "d", nil),
		sq,
		lnode("ReduceMean", []string{"sq"}, "var", layers.Attrs{"axes": axes}),
		lnode("Add", []string{"var", "eps"}, "ve", nil),
		lnode("Sqrt", []string{"ve"}, "std", nil),
		lnode("Div", []string{"d", "std"}, "n", nil),
		lnode("Mul", []string{"n", "gamma"}, "scaled", nil),
		lnode("Add", []string{"scaled", "beta"}, "y", nil),
	}
}

func layerNormConsts() map[string]*layers.Tensor {
	gamma, beta := layers.New(8), layers.New(8)
	for i := range gamma.F {
		gamma.F[i] = 0.5 + float32(i)/8
		beta.F[i] = float32(i) - 4
	}
	return map[string]*layers.Tensor{"two": scalarT(2), "eps": scalarT(1e-5), "gamma": gamma, "beta": beta}
}

func TestFuseLayerNorm(t *testing.T) {
	for _, square := range []string{"pow", "mul"} {
		g := lgraph([]string{"x"}, []string{"y"}, layerNormConsts(), layerNormDecomposition([]int64{-1}, square)...)
		h := checkRewrite(t, g, fuseActivations, []string{"LayerNormalization"}, 1e-5)
		n := h.Nodes[0]
		if n.Attrs.Int("axis", 0) != -1 || n.Attrs.Float("epsilon", 0) != 1e-5 || len(n.Inputs) != 3 {
			t.Fatalf("fused node %+v", n)
		}
	}
}

func TestFuseLayerNormRefuses(t *testing.T) {
	// Positive axes: the rank is unknown here, so no fusion.
	g := lgraph([]string{"x"}, []string{"y"}, layerNormConsts(), layerNormDecomposition([]int64{1}, "pow")...)
	checkRewrite(t, g, fuseActivations, []string{"ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"}, 0)
	// The centred value is also read outside the pattern.
	g = lgraph([]string{"x"}, []string{"y", "d"}, layerNormConsts(), layerNormDecomposition([]int64{-1}, "pow")...)
	checkRewrite(t, g, fuseActivations, []string{"ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"}, 0)
}
