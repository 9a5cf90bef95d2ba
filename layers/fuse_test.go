package layers

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// fuseGraph is x → Conv(3×3, pad 1) → act → Conv(1×1, stride 2) → Relu →
// Flatten → Gemm → SiLU, plus a second Conv whose output is read twice
// (by Relu and Add) and so must not be fused.
func fuseGraph(r *rand.Rand, act string) *Graph {
	init := map[string]*Tensor{
		"w1": engRand(r, 8, 3, 3, 3), "b1": engRand(r, 8),
		"w2": engRand(r, 6, 8, 1, 1), "b2": engRand(r, 6),
		"w3": engRand(r, 6, 6, 3, 3),
		"wg": engRand(r, 5, 6*4*4), "bg": engRand(r, 5),
	}
	return &Graph{
		Inputs:       []ValueInfo{{Name: "x", DType: Float32, Shape: []int{-1, 3, 8, 8}}},
		Outputs:      []ValueInfo{{Name: "y", DType: Float32}, {Name: "z", DType: Float32}},
		Initializers: init,
		Nodes: []*Node{
			{Name: "c1", Op: "Conv", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"c1"}, Attrs: Attrs{"pads": []int64{1, 1, 1, 1}}},
			{Name: "a1", Op: act, Inputs: []string{"c1"}, Outputs: []string{"a1"}},
			{Name: "c2", Op: "Conv", Inputs: []string{"a1", "w2", "b2"}, Outputs: []string{"c2"}, Attrs: Attrs{"strides": []int64{2, 2}}},
			{Name: "a2", Op: "Relu", Inputs: []string{"c2"}, Outputs: []string{"a2"}},
			{Name: "c3", Op: "Conv", Inputs: []string{"a2", "w3"}, Outputs: []string{"c3"}, Attrs: Attrs{"pads": []int64{1, 1, 1, 1}}},
			{Name: "a3", Op: "HardSwish", Inputs: []string{"c3"}, Outputs: []string{"a3"}},
			{Name: "sum", Op: "Add", Inputs: []string{"a3", "c3"}, Outputs: []string{"z"}},
			{Name: "fl", Op: "Flatten", Inputs: []string{"a2"}, Outputs: []string{"f"}},
			{Name: "g", Op: "Gemm", Inputs: []string{"f", "wg", "bg"}, Outputs: []string{"g"}, Attrs: Attrs{"transB": int64(1)}},
			{Name: "ag", Op: "SiLU", Inputs: []string{"g"}, Outputs: []string{"y"}},
		},
	}
}

// TestFusedActivationsMatchUnfused checks that Run (fused) computes what
// RunObserved (every node on its own) does, that the right pairs were
// fused, and that the fused result is the same for 1 and 2 threads.
func TestFusedActivationsMatchUnfused(t *testing.T) {
	for _, act := range []string{"Relu", "SiLU", "GELU", "HardSwish", "Sigmoid"} {
		r := rand.New(rand.NewPCG(5, 6))
		g := fuseGraph(r, act)
		x := engRand(r, 3, 3, 8, 8)
		var results []map[string]*Tensor
		for _, threads := range []int{1, 2} {
			p, err := Compile(g, Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			// c1+a1, c2+a2 and g+ag fuse; c3 has two readers.
			if got, want := len(p.fused), len(p.steps)-3; got != want {
				t.Fatalf("%s: %d fused steps, want %d", act, got, want)
			}
			fused, err := p.Run(map[string]*Tensor{"x": x})
			if err != nil {
				t.Fatal(err)
			}
			plain, err := p.RunObserved(map[string]*Tensor{"x": x}, func(*Node, []*Tensor, []*Tensor) {})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"y", "z"} {
				a, b := fused[name], plain[name]
				for i := range b.F {
					if d := math.Abs(float64(a.F[i] - b.F[i])); d > 1e-5*(1+math.Abs(float64(b.F[i]))) {
						t.Fatalf("%s, %d threads: %s[%d] fused %v, unfused %v", act, threads, name, i, a.F[i], b.F[i])
					}
				}
			}
			results = append(results, fused)
		}
		for _, name := range []string{"y", "z"} {
			for i, v := range results[0][name].F {
				if results[1][name].F[i] != v {
					t.Fatalf("%s: %s[%d] differs between 1 and 2 threads", act, name, i)
				}
			}
		}
	}
}

// TestPadFoldedIntoAveragePool checks that a zero Pad read only by an
// AveragePool runs as the pool with pads and count_include_pad, with the
// same values as the two nodes separately, and that a Pad with another
// value is left alone.
func TestPadFoldedIntoAveragePool(t *testing.T) {
	for _, value := range []float32{0, 1} {
		g := &Graph{
			Inputs:  []ValueInfo{{Name: "x", DType: Float32}},
			Outputs: []ValueInfo{{Name: "y", DType: Float32}},
			Nodes: []*Node{
				{Name: "pad", Op: "Pad", Inputs: []string{"x"}, Outputs: []string{"p"}, Attrs: Attrs{"pads": []int64{0, 0, 1, 2, 0, 0, 1, 0}, "value": value}},
				{Name: "pool", Op: "AveragePool", Inputs: []string{"p"}, Outputs: []string{"y"}, Attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}}},
			},
		}
		p, err := Compile(g, Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		wantSteps := 1
		if value != 0 {
			wantSteps = 2
		}
		if len(p.fused) != wantSteps {
			t.Fatalf("value %v: %d fused steps, want %d", value, len(p.fused), wantSteps)
		}
		x := engRand(rand.New(rand.NewPCG(15, 16)), 2, 3, 9, 8)
		fused, err := p.Run(map[string]*Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := p.RunObserved(map[string]*Tensor{"x": x}, func(*Node, []*Tensor, []*Tensor) {})
		if err != nil {
			t.Fatal(err)
		}
		a, b := fused["y"], plain["y"]
		if !slices.Equal(a.Shape, b.Shape) {
			t.Fatalf("value %v: shape %v, want %v", value, a.Shape, b.Shape)
		}
		for i := range b.F {
			if a.F[i] != b.F[i] {
				t.Fatalf("value %v: y[%d] fused %v, unfused %v", value, i, a.F[i], b.F[i])
			}
		}
	}
}
