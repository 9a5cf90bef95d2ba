package convert

import (
	"fmt"

	"github.com/fewspikes/fewspikes/layers"
)

// Progress reports how far a stage has got: done of total units.
type Progress func(done, total int)

// Model is an ANN ready to run: its graph compiled for the layers engine,
// with the one data input it reads and the output it is judged by.
type Model struct {
	Name    string
	Graph   *layers.Graph
	Input   layers.ValueInfo
	Output  string // the first graph output
	Threads int
	prog    *layers.Program
}

// NewModel compiles g. It fails if the graph does not have exactly one
// input that is not an initializer, or uses an operator the engine cannot
// run (the error names every such node).
func NewModel(name string, g *layers.Graph, threads int) (*Model, error) {
	var data []layers.ValueInfo
	for _, in := range g.Inputs {
		if _, ok := g.Initializers[in.Name]; !ok {
			data = append(data, in)
		}
	}
	if len(data) != 1 {
		return nil, fmt.Errorf("model %s has %d data inputs; conversion needs exactly one", name, len(data))
	}
	if len(g.Outputs) == 0 {
		return nil, fmt.Errorf("model %s has no outputs", name)
	}
	prog, err := layers.Compile(g, layers.Options{Threads: threads})
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	return &Model{Name: name, Graph: g, Input: data[0], Output: g.Outputs[0].Name, Threads: threads, prog: prog}, nil
}

// runBatches runs prog on x in batches of size batch (with obs, when not
// nil, observing each node) and returns the model output for all samples.
func runBatches(prog *layers.Program, input, output string, x *layers.Tensor, batch int, obs func(lo int) layers.Observer, progress Progress) (*layers.Tensor, error) {
	n := x.Shape[0]
	if batch < 1 {
		batch = 64
	}
	var all *layers.Tensor
	per := 0
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		in := map[string]*layers.Tensor{input: Slice(x, lo, hi)}
		var outs map[string]*layers.Tensor
		var err error
		if obs != nil {
			outs, err = prog.RunObserved(in, obs(lo))
		} else {
			outs, err = prog.Run(in)
		}
		if err != nil {
			return nil, fmt.Errorf("samples %d..%d: %w", lo, hi-1, err)
		}
		y := outs[output]
		if y == nil || y.DType != layers.Float32 || len(y.Shape) == 0 || y.Shape[0] != hi-lo {
			return nil, fmt.Errorf("samples %d..%d: output %q is not a float32 batch of %d (got %v)", lo, hi-1, output, hi-lo, y)
		}
		if all == nil {
			per = y.Len() / (hi - lo)
			shape := append([]int{n}, y.Shape[1:]...)
			all = &layers.Tensor{DType: layers.Float32, Shape: shape, F: make([]float32, n*per)}
		}
		if y.Len() != (hi-lo)*per {
			return nil, fmt.Errorf("samples %d..%d: output %q changed size per sample", lo, hi-1, output)
		}
		copy(all.F[lo*per:], y.F)
		if progress != nil {
			progress(hi, n)
		}
	}
	return all, nil
}

// Calibrate runs the ANN on x and records, for every site, the
// distribution of the values the activation receives. It also returns the
// shape of every value for the first batch (for MACs), with that batch's
// size.
func (m *Model) Calibrate(sites []Site, x *layers.Tensor, batch int, progress Progress) (map[string]*Stats, *Profile, error) {
	idx := make(map[string]int, len(sites))
	for i, s := range sites {
		idx[s.Node] = i
	}
	acc := make([]*accumulator, len(sites))
	chans := make([]*channelSampler, len(sites))
	n := x.Shape[0]
	prof := &Profile{Shapes: make(map[string][]int)}
	obs := func(lo int) layers.Observer {
		first := lo == 0
		return func(node *layers.Node, in, out []*layers.Tensor) {
			if first {
				for i, v := range node.Inputs {
					if i < len(in) && in[i] != nil && v != "" {
						prof.Shapes[v] = append([]int(nil), in[i].Shape...)
					}
				}
				for i, v := range node.Outputs {
					if i < len(out) && out[i] != nil && v != "" {
						prof.Shapes[v] = append([]int(nil), out[i].Shape...)
					}
				}
			}
			i, ok := idx[node.Name]
			if !ok || len(in) == 0 || in[0] == nil || in[0].DType != layers.Float32 {
				return
			}
			if acc[i] == nil {
				perSample := int64(in[0].Len() / max(1, in[0].Shape[0]))
				acc[i] = newAccumulator(perSample * int64(n))
				if sh := in[0].Shape; len(sh) >= 2 && sh[1] > 0 {
					chans[i] = newChannelSampler(sh[1], perSample/int64(sh[1])*int64(n))
				}
			}
			acc[i].add(in[0].F)
			if chans[i] != nil {
				chans[i].add(in[0].F, in[0].Shape)
			}
		}
	}
	if batch < 1 {
		batch = 64
	}
	prof.Batch = min(batch, n)
	if _, err := runBatches(m.prog, m.Input.Name, m.Output, x, batch, obs, progress); err != nil {
		return nil, nil, fmt.Errorf("calibration: %w", err)
	}
	stats := make(map[string]*Stats, len(sites))
	for i, s := range sites {
		if acc[i] == nil {
			return nil, nil, fmt.Errorf("calibration: site %q was never run", s.Node)
		}
		stats[s.Node] = acc[i].stats()
		if chans[i] != nil {
			stats[s.Node].Channels = chans[i].sample
		}
	}
	return stats, prof, nil
}

// Profile holds the shape of every value of the ANN for one batch of
// Batch samples.
type Profile struct {
	Batch  int
	Shapes map[string][]int
}
