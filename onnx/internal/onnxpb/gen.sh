#!/bin/sh
# Regenerates onnx.pb.go from the official onnx.proto (Debian python3-onnx
# 1.12.0), renaming the proto package to fewspikes.onnx so that its
# registration cannot clash with another copy of onnx.proto linked into the
# same binary. Needs protoc (Debian protobuf-compiler) and
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
set -eu
cd "$(dirname "$0")"
src=${ONNX_PROTO:-/usr/lib/python3/dist-packages/onnx/onnx.proto}
if [ -f "$src" ]; then
	sed -e 's/^package onnx;$/package fewspikes.onnx;\noption go_package = "github.com\/fewspikes\/fewspikes\/onnx\/internal\/onnxpb";/' "$src" >onnx.proto
fi
PATH="$PATH:$(go env GOPATH)/bin" protoc --go_out=. --go_opt=paths=source_relative onnx.proto
