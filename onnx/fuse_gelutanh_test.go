package onnx

import (
	"math"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

func TestFuseGELUTanh(t *testing.T) {
	consts := map[string]*layers.Tensor{"three": scalarT(3), "coef": scalarT(0.044715),
		"c": scalarT(float32(math.Sqrt(2 / math.Pi))), "one": scalarT(1), "half": scalarT(0.5)}
	tail := []*layers.Node{
		lnode("Add", []string{"x", "cube"}, "s", nil),
		lnode("Mul", []string{"c", "s"}, "k", nil),
		lnode("Tanh", []string{"k"}, "th", nil),
		lnode("Add", []string{"th", "one"}, "a", nil),
		lnode("Mul", []string{"x", "a"}, "m", nil),
		lnode("Mul", []string{"m", "half"}, "y", nil),
	}
	cases := map[string][]*layers.Node{
		"pow": append([]*layers.Node{
			lnode("Pow", []string{"x", "three"}, "p", nil),
			lnode("Mul", []string{"p", "coef"}, "cube", nil),
		}, tail...),
		"product": append([]*layers.Node{
			lnode("Mul", []string{"x", "x"}, "x2", nil),
			lnode("Mul", []string{"x2", "x"}, "x3", nil),
			lnode("Mul", []string{"coef", "x3"}, "cube", nil),
		}, tail...),
	}
	for name, nodes := range cases {
		t.Run(name, func(t *testing.T) {
			g := lgraph([]string{"x"}, []string{"y"}, consts, cloneGraph(&layers.Graph{Nodes: nodes}).Nodes...)
			checkRewrite(t, g, fuseActivations, []string{"GELUTanh"}, 1e-5)
		})
	}
	// A different cubic coefficient is not GELU.
	consts["coef"] = scalarT(0.05)
	g := lgraph([]string{"x"}, []string{"y"}, consts, cloneGraph(&layers.Graph{Nodes: cases["pow"]}).Nodes...)
	checkRewrite(t, g, fuseActivations, []string{"Pow", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"}, 0)
}
