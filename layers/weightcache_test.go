package layers

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestPackedWeightsCachedAndShared runs a Program whose convolution
// weights are initializers from several goroutines at once: every run must
// match the naive convolution, and the weights must have been packed into
// the Program's cache (once per layer), not per call. A convolution whose
// weights are a graph input is packed per call and must follow new values.
func TestPackedWeightsCachedAndShared(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	w1, b1 := engRand(r, 6, 3, 3, 3), engRand(r, 6)
	g := &Graph{
		Inputs:       []ValueInfo{{Name: "x", DType: Float32}, {Name: "w2", DType: Float32}},
		Outputs:      []ValueInfo{{Name: "y"}},
		Initializers: map[string]*Tensor{"w1": w1, "b1": b1},
		Nodes: []*Node{
			{Name: "c1", Op: "Conv", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"c1"}, Attrs: Attrs{"pads": []int64{1, 1, 1, 1}}},
			{Name: "c2", Op: "Conv", Inputs: []string{"c1", "w2"}, Outputs: []string{"y"}},
		},
	}
	p, err := Compile(g, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for k := range 8 {
		x := engRand(rand.New(rand.NewPCG(uint64(k), 1)), 2, 3, 6, 6)
		w2 := engRand(rand.New(rand.NewPCG(uint64(k), 2)), 4, 6, 1, 1)
		mid := naiveConv(x, w1, b1.F, 1, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{6, 6})
		want := naiveConv(mid, w2, nil, 1, []int{1, 1}, []int{1, 1}, []int{0, 0}, []int{6, 6})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				res, err := p.Run(map[string]*Tensor{"x": x, "w2": w2})
				if err != nil {
					errs <- err.Error()
					return
				}
				for i, v := range want.F {
					if math.Abs(float64(res["y"].F[i]-v)) > 1e-4 {
						errs <- "result differs from the naive convolution"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	entries := 0
	p.weights.packed.Range(func(k, _ any) bool {
		if k.(packKey).w != w1 {
			t.Errorf("cached weights of a non-constant tensor")
		}
		entries++
		return true
	})
	if entries != 1 {
		t.Errorf("%d cached weight packs, want 1 (conv c1)", entries)
	}
}
