package onnx

import (
	"math"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

func TestFuseGELU(t *testing.T) {
	consts := map[string]*layers.Tensor{"sqrt2": scalarT(float32(math.Sqrt2)), "rsqrt2": scalarT(float32(1 / math.Sqrt2)), "one": scalarT(1), "half": scalarT(0.5)}
	cases := map[string][]*layers.Node{
		// torch.onnx: ((x * (erf(x / √2) + 1)) * 0.5)
		"pytorch": {
			lnode("Div", []string{"x", "sqrt2"}, "d", nil),
			lnode("Erf", []string{"d"}, "e", nil),
			lnode("Add", []string{"e", "one"}, "a", nil),
			lnode("Mul", []string{"x", "a"}, "m", nil),
			lnode("Mul", []string{"m", "half"}, "y", nil),
		},
		// (0.5 * x) * (1 + erf(x · 1/√2))
		"half first": {
			lnode("Mul", []string{"half", "x"}, "h", nil),
			lnode("Mul", []string{"rsqrt2", "x"}, "d", nil),
			lnode("Erf", []string{"d"}, "e", nil),
			lnode("Add", []string{"one", "e"}, "a", nil),
			lnode("Mul", []string{"a", "h"}, "y", nil),
		},
		// x * ((1 + erf(x/√2)) * 0.5)
		"gate halved": {
			lnode("Div", []string{"x", "sqrt2"}, "d", nil),
			lnode("Erf", []string{"d"}, "e", nil),
			lnode("Add", []string{"e", "one"}, "a", nil),
			lnode("Mul", []string{"a", "half"}, "h", nil),
			lnode("Mul", []string{"x", "h"}, "y", nil),
		},
	}
	for name, nodes := range cases {
		t.Run(name, func(t *testing.T) {
			g := lgraph([]string{"x"}, []string{"y"}, consts, nodes...)
			h := checkRewrite(t, g, fuseActivations, []string{"GELU"}, 1e-5)
			if n := h.Nodes[0]; n.Inputs[0] != "x" || n.Outputs[0] != "y" {
				t.Fatalf("fused node %+v", n)
			}
		})
	}
}

func TestFuseGELURefusesSharedOrWrong(t *testing.T) {
	consts := map[string]*layers.Tensor{"sqrt2": scalarT(float32(math.Sqrt2)), "one": scalarT(1), "half": scalarT(0.5), "two": scalarT(2)}
	pytorch := func(divisor string) []*layers.Node {
		return []*layers.Node{
			lnode("Div", []string{"x", divisor}, "d", nil),
			lnode("Erf", []string{"d"}, "e", nil),
			lnode("Add", []string{"e", "one"}, "a", nil),
			lnode("Mul", []string{"x", "a"}, "m", nil),
			lnode("Mul", []string{"m", "half"}, "y", nil),
		}
	}
	all := []string{"Div", "Erf", "Add", "Mul", "Mul"}
	// erf's output is also a graph output: it must stay.
	checkRewrite(t, lgraph([]string{"x"}, []string{"y", "e"}, consts, pytorch("sqrt2")...), fuseActivations, all, 0)
	// x/2 is not x/√2.
	checkRewrite(t, lgraph([]string{"x"}, []string{"y"}, consts, pytorch("two")...), fuseActivations, all, 0)
}
