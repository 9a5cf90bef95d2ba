#!/bin/sh
# Fetch the ONNX Runtime shared library (1.30.0, MLAS kernels) for the
# side-by-side benchmark in bench/: unpack the npm package onnxruntime-node
# (not installed, just packed and untarred) and copy libonnxruntime.so* into
# third_party/onnxruntime/ (gitignored; never commit it).
set -eu
version=${ORT_VERSION:-1.30.0}
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/third_party/onnxruntime"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "onnxruntime-node@$version" >/dev/null
tar xzf onnxruntime-node-"$version".tgz
arch=$(uname -m)
case "$arch" in
x86_64) arch=x64 ;;
aarch64) arch=arm64 ;;
esac
src=$(find package/bin -path "*linux/$arch*" -name 'libonnxruntime.so*' | head -n 1)
if [ -z "$src" ]; then
	echo "fetch-onnxruntime: no libonnxruntime.so for linux/$arch in onnxruntime-node@$version" >&2
	exit 1
fi
mkdir -p "$dest"
cp "$(dirname "$src")"/libonnxruntime.so* "$dest"/
ls -l "$dest"
echo "set FEWSPIKES_ORT_LIB=$dest/$(basename "$src") or rely on the default path" >&2
