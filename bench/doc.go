// Package bench compares the layers engine with ONNX Runtime (1.30, MLAS
// kernels) on the same models, batch sizes and thread counts. The
// comparison lives in its tests and benchmarks (they need cgo and the
// shared library, fetched by scripts/fetch-onnxruntime.sh); this file only
// locates the library.
package bench

import (
	"os"
	"path/filepath"
	"runtime"
)

// LibraryEnv names the environment variable that overrides the path of the
// ONNX Runtime shared library.
const LibraryEnv = "FEWSPIKES_ORT_LIB"

// LibraryPath returns the ONNX Runtime shared library to load: $FEWSPIKES_ORT_LIB
// when set, else third_party/onnxruntime/libonnxruntime.so.1 at the root of
// this module. It returns "" when the file does not exist.
func LibraryPath() string {
	if p := os.Getenv(LibraryEnv); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	p := filepath.Join(filepath.Dir(file), "..", "third_party", "onnxruntime", "libonnxruntime.so.1")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}
