package onnx

import "testing"

func TestFuseMish(t *testing.T) {
	g := lgraph([]string{"x"}, []string{"y"}, nil,
		lnode("Softplus", []string{"x"}, "sp", nil),
		lnode("Tanh", []string{"sp"}, "th", nil),
		lnode("Mul", []string{"th", "x"}, "y", nil))
	checkRewrite(t, g, fuseActivations, []string{"Mish"}, 1e-5)

	// tanh(softplus(x)) multiplying another tensor is not Mish.
	g = lgraph([]string{"x", "z"}, []string{"y"}, nil,
		lnode("Softplus", []string{"x"}, "sp", nil),
		lnode("Tanh", []string{"sp"}, "th", nil),
		lnode("Mul", []string{"th", "z"}, "y", nil))
	checkRewrite(t, g, fuseActivations, []string{"Softplus", "Tanh", "Mul"}, 0)
}
