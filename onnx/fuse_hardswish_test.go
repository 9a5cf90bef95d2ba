package onnx

import (
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

func TestFuseHardSwish(t *testing.T) {
	consts := map[string]*layers.Tensor{"three": scalarT(3), "six": scalarT(6), "sixth": scalarT(1.0 / 6)}
	relu6 := []*layers.Node{
		lnode("Add", []string{"x", "three"}, "p3", nil),
		lnode("Clip", []string{"p3"}, "r6", layers.Attrs{"min": float32(0), "max": float32(6)}),
	}
	cases := map[string][]*layers.Node{
		"hardsigmoid": {
			lnode("HardSigmoid", []string{"x"}, "hs", layers.Attrs{"alpha": float32(1.0 / 6), "beta": float32(0.5)}),
			lnode("Mul", []string{"x", "hs"}, "y", nil),
		},
		"div after": append(cloneGraph(&layers.Graph{Nodes: relu6}).Nodes,
			lnode("Mul", []string{"x", "r6"}, "m", nil),
			lnode("Div", []string{"m", "six"}, "y", nil)),
		"div gate": append(cloneGraph(&layers.Graph{Nodes: relu6}).Nodes,
			lnode("Div", []string{"r6", "six"}, "d", nil),
			lnode("Mul", []string{"d", "x"}, "y", nil)),
		"mul sixth": append(cloneGraph(&layers.Graph{Nodes: relu6}).Nodes,
			lnode("Mul", []string{"r6", "x"}, "m", nil),
			lnode("Mul", []string{"sixth", "m"}, "y", nil)),
	}
	for name, nodes := range cases {
		t.Run(name, func(t *testing.T) {
			g := lgraph([]string{"x"}, []string{"y"}, consts, nodes...)
			checkRewrite(t, g, fuseActivations, []string{"HardSwish"}, 1e-5)
		})
	}
	// HardSigmoid with ONNX's default alpha 0.2 is not hard-swish's gate.
	g := lgraph([]string{"x"}, []string{"y"}, nil,
		lnode("HardSigmoid", []string{"x"}, "hs", nil),
		lnode("Mul", []string{"x", "hs"}, "y", nil))
	checkRewrite(t, g, fuseActivations, []string{"HardSigmoid", "Mul"}, 0)
	// relu6(x+3) without the /6 is not hard-swish.
	g = lgraph([]string{"x"}, []string{"y"}, consts, append(cloneGraph(&layers.Graph{Nodes: relu6}).Nodes,
		lnode("Mul", []string{"x", "r6"}, "y", nil))...)
	checkRewrite(t, g, fuseActivations, []string{"Add", "Clip", "Mul"}, 0)
}
