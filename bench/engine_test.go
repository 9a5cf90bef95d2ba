package bench

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEngine runs each test model in our engine alone (no ONNX
// Runtime needed), for profiling: `-bench 'Engine/dwsep_se/batch=64'
// -cpuprofile cpu.out` shows only our kernels.
func BenchmarkEngine(b *testing.B) {
	for _, name := range compareModels {
		path := modelPath(b, name)
		for _, batch := range []int{1, 64} {
			for _, threads := range []int{1, 2} {
				short := strings.SplitN(name, ".", 2)[0]
				b.Run(fmt.Sprintf("%s/batch=%d/threads=%d", short, batch, threads), func(b *testing.B) {
					ours := newOurs(b, path, threads)
					x := randomBatch(ours.sample, batch)
					ours.run(b, x)
					c0 := cpuMicros()
					for b.Loop() {
						ours.run(b, x)
					}
					reportPerSample(b, batch, cpuMicros()-c0)
				})
			}
		}
	}
}
