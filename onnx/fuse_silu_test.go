package onnx

import (
	"testing"
)

func TestFuseSiLU(t *testing.T) {
	for _, order := range [][]string{{"x", "s"}, {"s", "x"}} {
		g := lgraph([]string{"x"}, []string{"y"}, nil,
			lnode("Sigmoid", []string{"x"}, "s", nil),
			lnode("Mul", order, "y", nil))
		h := checkRewrite(t, g, fuseActivations, []string{"SiLU"}, 1e-6)
		if h.Nodes[0].Inputs[0] != "x" || h.Nodes[0].Outputs[0] != "y" {
			t.Fatalf("fused node %+v", h.Nodes[0])
		}
	}
}

func TestFuseSiLUKeepsGate(t *testing.T) {
	// Squeeze-excitation: the sigmoid gates another tensor.
	g := lgraph([]string{"x", "z"}, []string{"y"}, nil,
		lnode("Sigmoid", []string{"x"}, "s", nil),
		lnode("Mul", []string{"z", "s"}, "y", nil))
	checkRewrite(t, g, fuseActivations, []string{"Sigmoid", "Mul"}, 0)

	// The sigmoid's output is read elsewhere too.
	g = lgraph([]string{"x"}, []string{"y", "s"}, nil,
		lnode("Sigmoid", []string{"x"}, "s", nil),
		lnode("Mul", []string{"x", "s"}, "y", nil))
	checkRewrite(t, g, fuseActivations, []string{"Sigmoid", "Mul"}, 0)
}
