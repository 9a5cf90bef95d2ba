package onnx

import (
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

func bnParams(c int) map[string]*layers.Tensor {
	s, b, m, v := layers.New(c), layers.New(c), layers.New(c), layers.New(c)
	for i := range c {
		s.F[i] = 0.5 + float32(i)*0.3
		b.F[i] = float32(i) - 1
		m.F[i] = 0.1 * float32(i)
		v.F[i] = 0.2 + float32(i)
	}
	return map[string]*layers.Tensor{"s": s, "b": b, "m": m, "v": v}
}

func TestFoldBatchNormConv(t *testing.T) {
	consts := bnParams(3)
	w := layers.New(3, 2, 3, 3)
	for i := range w.F {
		w.F[i] = float32(i%7) - 3
	}
	consts["w"] = w
	consts["cb"] = layers.FromFloat32([]float32{1, 2, 3}, 3)
	g := lgraph(nil, []string{"y"}, consts,
		lnode("Conv", []string{"x", "w", "cb"}, "c", layers.Attrs{"pads": []int64{1, 1, 1, 1}}),
		lnode("BatchNormalization", []string{"c", "s", "b", "m", "v"}, "y", layers.Attrs{"epsilon": float32(1e-3)}))
	g.Inputs = []layers.ValueInfo{{Name: "x", Shape: []int{2, 2, 5, 5}}}
	h := checkRewrite(t, g, foldBatchNorm, []string{"Conv"}, 1e-4)
	if g.Initializers["w"].F[0] != -3 {
		t.Fatal("folding modified the shared weight tensor")
	}
	if h.Nodes[0].Outputs[0] != "y" {
		t.Fatalf("folded conv writes %v", h.Nodes[0].Outputs)
	}

	// The conv output is read by another node as well: BN stays.
	g.Outputs = append(g.Outputs, layers.ValueInfo{Name: "c"})
	checkRewrite(t, g, foldBatchNorm, []string{"Conv", "BatchNormalization"}, 0)
}

func TestFoldBatchNormGemm(t *testing.T) {
	for _, transB := range []int64{0, 1} {
		consts := bnParams(4)
		w := layers.New(8, 4)
		if transB == 1 {
			w = layers.New(4, 8)
		}
		for i := range w.F {
			w.F[i] = float32(i%5) - 2
		}
		consts["w"] = w
		consts["c"] = scalarT(0.25)
		g := lgraph([]string{"x"}, []string{"y"}, consts,
			lnode("Gemm", []string{"x", "w", "c"}, "h", layers.Attrs{"transB": transB, "alpha": float32(0.5), "beta": float32(2)}),
			lnode("BatchNormalization", []string{"h", "s", "b", "m", "v"}, "y", nil))
		checkRewrite(t, g, foldBatchNorm, []string{"Gemm"}, 1e-4)
	}
}
