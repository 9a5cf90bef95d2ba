// Package onnxpb holds the protobuf types of the ONNX file format, generated
// by protoc-gen-go from the official onnx.proto (ONNX 1.12, IR version 8)
// with the proto package renamed to fewspikes.onnx.
package onnxpb

//go:generate ./gen.sh
