package onnx

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoad measures import of the PyTorch test models (decode,
// normalisation, folding, fusion). Noisy on a shared machine.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"resnet_gelu.op11.dyn.onnx", "mobilenetv3.op17.fix.onnx", "unet.op13.dyn.onnx"} {
		path := filepath.Join("..", "testdata", name)
		data, err := os.ReadFile(path)
		if err != nil {
			b.Skipf("test model missing: %v", err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
