// Package layers holds the network representation that every other package
// shares: tensors, the computation graph, shape inference, the CPU execution
// engine with its kernels, and the few-spikes (FS) neuron layer that counts
// the spikes it emits.
//
// A Graph is a topologically sorted list of Nodes with canonical operator
// names (the ONNX names, plus "FS" for a few-spikes neuron and the fused
// activations "SiLU", "GELU", "GELUTanh", "HardSwish", "Mish"). The onnx
// package builds Graphs from ONNX files; the convert package rewrites them.
package layers
