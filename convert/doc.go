// Package convert turns a trained network (a layers.Graph imported from
// ONNX) into a spiking network of few-spikes (FS) neurons and measures what
// the conversion costs.
//
// The pipeline is: FindSites picks every elementwise activation that an FS
// neuron can replace; Calibrate runs the ANN on calibration data and records
// each site's input distribution; a Fitter chooses FS parameters per site
// (the embedded fsfit library or a fit weighted by the site's real inputs,
// whichever approximates the activation better on those inputs); BuildSNN
// replaces the sites by "FS" nodes; Evaluate runs ANN and SNN side by side
// and reports accuracy, agreement, output fidelity, spikes, synaptic
// operations and an energy estimate; Unroll expresses each FS node in
// standard ONNX operators so that any ONNX runtime can execute the SNN.
package convert
