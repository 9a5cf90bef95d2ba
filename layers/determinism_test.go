package layers_test

import (
	"math"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx"
)

// TestModelsBitIdenticalAcrossThreads runs the PyTorch test models at batch
// 5 and 64 (where every kernel splits its work) with 1, 2 and 3 threads:
// every kernel splits its work at boundaries that do not depend on the
// thread count, so the outputs must agree bit for bit.
func TestModelsBitIdenticalAcrossThreads(t *testing.T) {
	for _, batch := range []int{5, 64} {
		modelsBitIdentical(t, batch)
	}
}

func modelsBitIdentical(t *testing.T, batch int) {
	for _, name := range []string{
		"mlp.op13.dyn", "mlp_mixed_act.op17.dyn", "cnn_bn_pool.op14.dyn", "resnet_gelu.op17.dyn",
		"dwsep_se.op13.dyn", "mobilenetv3.op14.dyn", "unet.op11.dyn",
	} {
		g, err := onnx.Load("../testdata/" + name + ".onnx")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := g.Inputs[0]
		x := layers.New(append([]int{batch}, in.Shape[1:]...)...)
		for i := range x.F {
			x.F[i] = float32(math.Sin(float64(i)*0.37)) * 0.8
		}
		var first []float32
		for _, threads := range []int{1, 2, 3} {
			p, err := layers.Compile(g, layers.Options{Threads: threads})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out, err := p.Run(map[string]*layers.Tensor{in.Name: x})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			y := out[g.Outputs[0].Name].F
			if first == nil {
				first = append([]float32(nil), y...)
				continue
			}
			for i, v := range y {
				if math.Float32bits(v) != math.Float32bits(first[i]) {
					t.Fatalf("%s, batch %d: output %d is %v with %d threads, %v with 1", name, batch, i, v, threads, first[i])
				}
			}
		}
	}
}
