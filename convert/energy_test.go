package convert

import (
	"math"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

// gemmMACs counts a dense layer's MACs as in[0]'s last dimension times
// out's last dimension times the batch, the rule layers.MACs follows.
func gemmMACs(n *layers.Node, in, out [][]int) int64 {
	if n.Op != "Gemm" {
		return 0
	}
	return int64(in[0][len(in[0])-1] * layers.NumElements(out[0]))
}

func TestComputeCostsHandExample(t *testing.T) {
	// x[4] -> fc1 (4x3) -> FS -> flatten -> fc2 (3x2)
	//                        \-> Mul(h, x3) -> fc3 (3x1)
	// Per sample: fc1 12 MACs on analog input; fc2 6 MACs fed by spikes;
	// fc3 3 MACs fed by an analog product. The FS layer (3 neurons) emits
	// 1.5 spikes per sample, so each of fc2's 3 inputs receives 0.5
	// spikes and fc2 performs 6 * 0.5 = 3 synaptic operations.
	g := &layers.Graph{Nodes: []*layers.Node{
		{Name: "fc1", Op: "Gemm", Inputs: []string{"x", "w1"}, Outputs: []string{"a"}},
		{Name: "fs", Op: "FS", Inputs: []string{"a"}, Outputs: []string{"h"}},
		{Name: "flat", Op: "Flatten", Inputs: []string{"h"}, Outputs: []string{"hf"}},
		{Name: "fc2", Op: "Gemm", Inputs: []string{"hf", "w2"}, Outputs: []string{"y"}},
		{Name: "mul", Op: "Mul", Inputs: []string{"h", "x3"}, Outputs: []string{"p"}},
		{Name: "fc3", Op: "Gemm", Inputs: []string{"p", "w3"}, Outputs: []string{"z"}},
	}}
	const batch = 2
	shapes := map[string][]int{
		"x": {batch, 4}, "w1": {4, 3}, "a": {batch, 3}, "h": {batch, 3}, "hf": {batch, 3},
		"w2": {3, 2}, "y": {batch, 2}, "x3": {batch, 3}, "p": {batch, 3}, "w3": {3, 1}, "z": {batch, 1},
	}
	c := ComputeCosts(g, shapes, batch, map[string]float64{"fs": 1.5}, gemmMACs)
	if c.MACs != 21 || c.AnalogMACs != 15 || c.Synops != 3 {
		t.Errorf("MACs %g analog %g synops %g, want 21, 15, 3", c.MACs, c.AnalogMACs, c.Synops)
	}
	if want := 21 * 4.6; math.Abs(c.EnergyANN-want) > 1e-9 {
		t.Errorf("ANN energy %g pJ, want %g", c.EnergyANN, want)
	}
	if want := 15*4.6 + 3*0.9; math.Abs(c.EnergySNN-want) > 1e-9 {
		t.Errorf("SNN energy %g pJ, want %g", c.EnergySNN, want)
	}
	if len(c.Layers) != 3 || c.Layers[0].SpikingInput || !c.Layers[1].SpikingInput || c.Layers[2].SpikingInput {
		t.Errorf("layers %+v", c.Layers)
	}
}

func TestComputeCostsThroughPooling(t *testing.T) {
	// FS on [2,2,2] (8 neurons, 4 spikes per sample) -> global average
	// pool -> [2] -> dense 2x5. Folding the pooling into the dense layer,
	// each spike reaches the 5 outputs: 20 synaptic operations.
	g := &layers.Graph{Nodes: []*layers.Node{
		{Name: "fs", Op: "FS", Inputs: []string{"a"}, Outputs: []string{"h"}},
		{Name: "gap", Op: "GlobalAveragePool", Inputs: []string{"h"}, Outputs: []string{"p"}},
		{Name: "flat", Op: "Flatten", Inputs: []string{"p"}, Outputs: []string{"f"}},
		{Name: "fc", Op: "Gemm", Inputs: []string{"f", "w"}, Outputs: []string{"y"}},
	}}
	shapes := map[string][]int{"a": {1, 2, 2, 2}, "h": {1, 2, 2, 2}, "p": {1, 2, 1, 1}, "f": {1, 2}, "w": {2, 5}, "y": {1, 5}}
	c := ComputeCosts(g, shapes, 1, map[string]float64{"fs": 4}, gemmMACs)
	if c.Synops != 20 || c.AnalogMACs != 0 || c.MACs != 10 {
		t.Errorf("synops %g analog %g macs %g, want 20, 0, 10", c.Synops, c.AnalogMACs, c.MACs)
	}
	// Through a 2x2 max pool only a quarter of the elements survive.
	g.Nodes[1] = &layers.Node{Name: "pool", Op: "MaxPool", Inputs: []string{"h"}, Outputs: []string{"p"}, Attrs: layers.Attrs{"kernel_shape": []int64{2, 2}}}
	c = ComputeCosts(g, shapes, 1, map[string]float64{"fs": 4}, gemmMACs)
	if c.Synops != 5 {
		t.Errorf("through max pool: synops %g, want 5", c.Synops)
	}
}
