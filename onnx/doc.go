// Package onnx reads ONNX model files into layers.Graph and writes graphs
// back to ONNX.
//
// Decoding validates the file (IR and opset versions, dangling names,
// cycles, duplicate outputs, tensor sizes, external data), normalises the
// operator-set differences into the canonical attributes the layers engine
// runs (for example Squeeze axes and Clip bounds as attributes), folds
// constant sub-graphs, folds BatchNormalization into a preceding Conv or
// Gemm, and recognises composite activations (x·sigmoid(x) as SiLU, the erf
// and tanh forms of GELU, HardSwish, Mish, LayerNorm decompositions) so that
// conversion sees one activation node per site. Encoding writes standard
// ONNX (opset 17), expanding fused activations back into standard operators.
//
// The protobuf types are generated from the official onnx.proto; see
// internal/onnxpb.
package onnx
