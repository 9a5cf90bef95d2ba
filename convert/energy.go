package convert

import (
	"github.com/fewspikes/fewspikes/layers"
)

// Energy per operation at 45 nm, from M. Horowitz, "Computing's energy
// problem (and what we can do about it)", ISSCC 2014 (the table in
// reference/fs-parameters.json): a 32-bit float multiply-accumulate costs
// 4.6 pJ, a 32-bit float addition (accumulate) 0.9 pJ.
const (
	EnergyMACpJ = 4.6
	EnergyACpJ  = 0.9
)

// EnergyAssumption states how Costs counts, for reports.
const EnergyAssumption = "ANN energy = MACs x 4.6 pJ (fp32 MAC, Horowitz 2014, 45 nm). " +
	"SNN energy = MACs of synaptic layers whose input is not spikes x 4.6 pJ " +
	"(the first layer, which sees the analog input, and layers after analog operations " +
	"such as products or normalisations) + synaptic operations x 0.9 pJ (fp32 accumulate). " +
	"A synaptic operation is one spike reaching one synapse: a layer fed by spikes performs " +
	"MACs x (spikes arriving per input element) of them, so a spike's fan-out is the layer's " +
	"MACs per input element (exact on average over the input; border effects of convolutions " +
	"are averaged). Spikes pass through reshaping, concatenation, padding and slicing unchanged, " +
	"through additions of spike trains and average pooling (linear, foldable into the next " +
	"layer's weights) with their multiplicity, and through max pooling in proportion to the " +
	"elements it keeps. Analog operations themselves (max, softmax, normalisation, products) " +
	"and the FS neurons' own updates are not counted."

// LayerCost is the per-sample cost of one synaptic layer (Conv,
// ConvTranspose, Gemm, MatMul).
type LayerCost struct {
	Node string  `json:"node"`
	Op   string  `json:"op"`
	MACs float64 `json:"macs"` // multiply-accumulates of the ANN layer per sample
	// SpikingInput is true when the layer's input is carried by spikes.
	SpikingInput bool `json:"spiking_input"`
	// Synops is the synaptic operations per sample when SpikingInput.
	Synops float64 `json:"synops"`
}

// Costs is the per-sample cost summary of one ANN/SNN pair.
type Costs struct {
	Layers     []LayerCost `json:"layers"`
	MACs       float64     `json:"macs"`        // all ANN MACs per sample
	AnalogMACs float64     `json:"analog_macs"` // SNN MACs on non-spike inputs
	Synops     float64     `json:"synops"`
	EnergyANN  float64     `json:"energy_ann_pj"`
	EnergySNN  float64     `json:"energy_snn_pj"`
}

// MACsFunc returns the multiply-accumulates of node n given its input and
// output shapes (layers.MACs in production).
type MACsFunc func(n *layers.Node, inShapes, outShapes [][]int) int64

// ComputeCosts computes per-sample MACs, synaptic operations and energy
// for the SNN graph snn. shapes holds the shape of every value for a batch
// of batch samples (from an observed run); spikes holds the spikes per
// sample emitted by each FS node. See EnergyAssumption for the rules.
func ComputeCosts(snn *layers.Graph, shapes map[string][]int, batch int, spikes map[string]float64, macs MACsFunc) Costs {
	numel := func(v string) float64 {
		s, ok := shapes[v]
		if !ok {
			return 0
		}
		return float64(layers.NumElements(s)) / float64(batch)
	}
	// arrivals[v] = spike events delivered to the elements of value v per
	// sample; present only for values carried by spikes.
	arrivals := make(map[string]float64)
	var c Costs
	for _, n := range snn.Nodes {
		in := func(i int) (float64, bool) {
			if i >= len(n.Inputs) {
				return 0, false
			}
			a, ok := arrivals[n.Inputs[i]]
			return a, ok
		}
		switch n.Op {
		case "FS":
			arrivals[n.Outputs[0]] = spikes[n.Name]
		case "Conv", "ConvTranspose", "Gemm", "MatMul":
			inS := make([][]int, len(n.Inputs))
			for i, v := range n.Inputs {
				inS[i] = shapes[v]
			}
			outS := make([][]int, len(n.Outputs))
			for i, v := range n.Outputs {
				outS[i] = shapes[v]
			}
			m := float64(macs(n, inS, outS)) / float64(batch)
			lc := LayerCost{Node: n.Name, Op: n.Op, MACs: m}
			if a, ok := in(0); ok && numel(n.Inputs[0]) > 0 {
				lc.SpikingInput = true
				lc.Synops = m * a / numel(n.Inputs[0])
			}
			c.Layers = append(c.Layers, lc)
		case "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Pad", "Expand":
			if a, ok := in(0); ok {
				arrivals[n.Outputs[0]] = a
			}
		case "Slice", "Gather", "Split":
			if a, ok := in(0); ok && numel(n.Inputs[0]) > 0 {
				for _, o := range n.Outputs {
					arrivals[o] = a * numel(o) / numel(n.Inputs[0])
				}
			}
		case "Concat":
			sum, all := 0.0, true
			for i := range n.Inputs {
				a, ok := in(i)
				all = all && ok
				sum += a
			}
			if all {
				arrivals[n.Outputs[0]] = sum
			}
		case "Add", "Sub":
			a0, ok0 := in(0)
			a1, ok1 := in(1)
			if ok0 && ok1 {
				arrivals[n.Outputs[0]] = a0 + a1
			}
		case "GlobalAveragePool", "ReduceMean", "ReduceSum":
			if a, ok := in(0); ok {
				arrivals[n.Outputs[0]] = a // each input element feeds one output
			}
		case "AveragePool":
			if a, ok := in(0); ok && numel(n.Inputs[0]) > 0 {
				window := 1.0
				for _, k := range n.Attrs.Ints("kernel_shape", nil) {
					window *= float64(k)
				}
				arrivals[n.Outputs[0]] = a * numel(n.Outputs[0]) * window / numel(n.Inputs[0])
			}
		case "MaxPool", "GlobalMaxPool":
			if a, ok := in(0); ok && numel(n.Inputs[0]) > 0 {
				arrivals[n.Outputs[0]] = a * numel(n.Outputs[0]) / numel(n.Inputs[0])
			}
		}
	}
	for _, lc := range c.Layers {
		c.MACs += lc.MACs
		if lc.SpikingInput {
			c.Synops += lc.Synops
		} else {
			c.AnalogMACs += lc.MACs
		}
	}
	c.EnergyANN = c.MACs * EnergyMACpJ
	c.EnergySNN = c.AnalogMACs*EnergyMACpJ + c.Synops*EnergyACpJ
	return c
}
