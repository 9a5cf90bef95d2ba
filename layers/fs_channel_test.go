package layers

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFSPerChannelD checks that an FS node with one row of output weights
// per channel gives each element the output of its channel's neuron, for
// image-like ([N,C,H,W], the plane kernel) and feature ([N,C], one neuron
// per channel) inputs, and counts the same spikes as the reference.
func TestFSPerChannelD(t *testing.T) {
	h := []float32{2, 1, 0.5, 0.25}
	th := []float32{1.9, 0.9, 0.3, 0.1}
	r := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][]int{{3, 5, 7, 9}, {64, 5}} {
		c := shape[1]
		d := make([]float32, c*len(h))
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
		g := &Graph{
			Inputs:  []ValueInfo{{Name: "x", DType: Float32, Shape: shape}},
			Outputs: []ValueInfo{{Name: "y"}},
			Nodes: []*Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
				Attrs: Attrs{"h": h, "T": th, "d": d, "activation": "relu"}}},
		}
		p, err := Compile(g, Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		x := engRand(r, shape...)
		for i := range x.F {
			x.F[i] *= 3
		}
		res, err := p.Run(map[string]*Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		inner := x.Len() / (shape[0] * c)
		var want int64
		differs := false
		for i, v := range x.F {
			ch := (i / inner) % c
			o, s := FSForward(FSParams{H: h, T: th, D: d[ch*len(h) : (ch+1)*len(h)]}, v)
			if res["y"].F[i] != o {
				t.Fatalf("shape %v element %d (channel %d): %v, want %v", shape, i, ch, res["y"].F[i], o)
			}
			if shared, _ := FSForward(FSParams{H: h, T: th, D: d[:len(h)]}, v); shared != o {
				differs = true
			}
			want += int64(s)
		}
		if !differs {
			t.Fatalf("shape %v: per-channel weights never changed an output; the test proves nothing", shape)
		}
		if got := p.SpikeStats()[0].Spikes; got != want || want == 0 {
			t.Fatalf("shape %v: %d spikes, want %d", shape, got, want)
		}
	}
}

func TestFSPerChannelDMismatch(t *testing.T) {
	h := []float32{1, 0.5}
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32, Shape: []int{2, 3, 4}}},
		Outputs: []ValueInfo{{Name: "y"}},
		Nodes: []*Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: Attrs{"h": h, "T": h, "d": make([]float32, 8)}}}, // 4 channels, input has 3
	}
	p, err := Compile(g, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(map[string]*Tensor{"x": engRand(rand.New(rand.NewPCG(1, 1)), 2, 3, 4)})
	if err == nil || !strings.Contains(err.Error(), "channels") {
		t.Fatalf("err = %v, want a channel mismatch", err)
	}
	g.Nodes[0].Attrs["d"] = make([]float32, 3) // not a multiple of K
	if _, err := Compile(g, Options{Threads: 1}); err == nil {
		t.Fatal("Compile accepted 3 output weights for K = 2")
	}
}

// A per-channel bias is added to each channel's FS output, with d shared
// or per channel, and changes no spike count.
func TestFSPerChannelBias(t *testing.T) {
	h := []float32{1, 0.5}
	th := []float32{0.9, 0.4}
	r := rand.New(rand.NewPCG(7, 8))
	for _, d := range [][]float32{{1, 0.5}, {1, 0.5, -1, 2, 0.25, 0.25}} {
		for _, shape := range [][]int{{2, 3, 4, 5}, {8, 3}} {
			bias := []float32{0.5, -2, 0.125}
			g := &Graph{
				Inputs:  []ValueInfo{{Name: "x", DType: Float32, Shape: shape}},
				Outputs: []ValueInfo{{Name: "y"}},
				Nodes: []*Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
					Attrs: Attrs{"h": h, "T": th, "d": d, "bias": bias}}},
			}
			p, err := Compile(g, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			x := engRand(r, shape...)
			res, err := p.Run(map[string]*Tensor{"x": x})
			if err != nil {
				t.Fatal(err)
			}
			inner := x.Len() / (shape[0] * 3)
			var want int64
			for i, v := range x.F {
				ch := (i / inner) % 3
				row := d
				if len(d) > len(h) {
					row = d[ch*2 : ch*2+2]
				}
				o, s := FSForward(FSParams{H: h, T: th, D: row}, v)
				if res["y"].F[i] != o+bias[ch] {
					t.Fatalf("d %v shape %v element %d: %v, want %v", d, shape, i, res["y"].F[i], o+bias[ch])
				}
				want += int64(s)
			}
			if got := p.SpikeStats()[0].Spikes; got != want {
				t.Fatalf("%d spikes, want %d", got, want)
			}
		}
	}
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32, Shape: []int{2, 3}}},
		Outputs: []ValueInfo{{Name: "y"}},
		Nodes: []*Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: Attrs{"h": h, "T": th, "d": []float32{1, 1}, "bias": []float32{1, 2}}}},
	}
	p, err := Compile(g, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(map[string]*Tensor{"x": engRand(r, 2, 3)}); err == nil || !strings.Contains(err.Error(), "bias") {
		t.Fatalf("err = %v, want a bias/channel mismatch", err)
	}
}
