package layers

import (
	"math/rand/v2"
	"testing"
)

// benchKernel times one kernel on a [64, 32, 28, 28] input (1.6M elements),
// the size of an early convolutional feature map at batch 64.
func benchKernel(b *testing.B, op string, attrs Attrs, extra ...*Tensor) {
	r := rand.New(rand.NewPCG(7, 8))
	x := engRand(r, 64, 32, 28, 28)
	k := kernelTable()[op]
	n := &Node{Name: "bench", Op: op, Attrs: attrs}
	ec := &execContext{Threads: 0, spikes: map[string]*SpikeStats{}, pool: newBufPool()}
	in := append([]*Tensor{x}, extra...)
	b.SetBytes(int64(x.Len() * 4))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := k(ec, n, in)
		if err != nil {
			b.Fatal(err)
		}
		ec.pool.put(&buffer{f: out[0].F})
	}
}

func BenchmarkAddSameShape(b *testing.B) {
	benchKernel(b, "Add", nil, engRand(rand.New(rand.NewPCG(1, 1)), 64, 32, 28, 28))
}
func BenchmarkAddChannel(b *testing.B) {
	benchKernel(b, "Add", nil, engRand(rand.New(rand.NewPCG(1, 1)), 32, 1, 1))
}
func BenchmarkMulScalar(b *testing.B) { benchKernel(b, "Mul", nil, f32(nil, 2)) }
func BenchmarkRelu(b *testing.B)      { benchKernel(b, "Relu", nil) }
func BenchmarkSigmoid(b *testing.B)   { benchKernel(b, "Sigmoid", nil) }
func BenchmarkSiLU(b *testing.B)      { benchKernel(b, "SiLU", nil) }
func BenchmarkGELU(b *testing.B)      { benchKernel(b, "GELU", nil) }
func BenchmarkFS8(b *testing.B) {
	benchKernel(b, "FS", Attrs{
		"h": []float32{4, 2, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125},
		"T": []float32{4, 2, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125},
		"d": []float32{4, 2, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125},
	})
}
func BenchmarkBatchNorm(b *testing.B) {
	c := func(v float32) *Tensor {
		t := New(32)
		fillRow(t.F, v)
		return t
	}
	benchKernel(b, "BatchNormalization", nil, c(1), c(0), c(0), c(1))
}
func BenchmarkSoftmaxLastAxis(b *testing.B) { benchKernel(b, "Softmax", nil) }
func BenchmarkReduceMeanSpatial(b *testing.B) {
	benchKernel(b, "ReduceMean", Attrs{"axes": []int64{2, 3}})
}

// BenchmarkRunChain times Program.Run on a chain of eight elementwise
// layers over [64, 32, 28, 28]; B/op shows the buffer reuse (one output
// tensor of 6.4 MB per run instead of eight).
func BenchmarkRunChain(b *testing.B) {
	ops := []string{"Relu", "Neg", "Sigmoid", "Abs", "Relu", "Neg", "Tanh", "Relu"}
	g := &Graph{Inputs: []ValueInfo{{Name: "v0", DType: Float32}}}
	for i, op := range ops {
		g.Nodes = append(g.Nodes, &Node{Name: op, Op: op, Inputs: []string{vname(i)}, Outputs: []string{vname(i + 1)}})
	}
	g.Outputs = []ValueInfo{{Name: vname(len(ops))}}
	p, err := Compile(g, Options{})
	if err != nil {
		b.Fatal(err)
	}
	feed := map[string]*Tensor{"v0": engRand(rand.New(rand.NewPCG(1, 1)), 64, 32, 28, 28)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Run(feed); err != nil {
			b.Fatal(err)
		}
	}
}

func vname(i int) string { return "v" + string(rune('0'+i)) }
