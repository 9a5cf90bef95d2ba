package dataset

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fewspikes/fewspikes/internal/idx"
	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// FuzzLoad writes arbitrary bytes to a file and loads it as inputs (plain,
// byte-scaled, reshaped to [1 2 2]) and as labels. Each must succeed with
// consistent results or fail with a message naming the file; never panic
// or allocate more than the file can fill.
func FuzzLoad(f *testing.F) {
	f.Add(npy.Encode(layers.FromFloat32([]float32{0, 0.5, 1, 2, 3, 4, 5, 6}, 2, 4)))
	f.Add(npy.Encode(layers.FromFloat32([]float32{float32(math.NaN()), float32(math.Inf(-1))}, 2)))
	f.Add(npy.Encode(layers.FromInt64([]int64{3, 1, 4, 1, 5}, 5)))
	f.Add(npy.Encode(layers.FromInt64([]int64{3, -1}, 2, 1)))
	f.Add(npy.Encode(layers.FromFloat32([]float32{1.5, 2}, 2)))
	f.Add(npy.Encode(layers.FromFloat32([]float32{7})))
	img, _ := idx.Encode(idx.UByte, []int{2, 2, 2}, []float64{0, 255, 1, 2, 3, 4, 5, 6})
	f.Add(img)
	lab, _ := idx.Encode(idx.UByte, []int{3}, []float64{9, 0, 1})
	f.Add(lab)
	dbl, _ := idx.Encode(idx.Double, []int{2}, []float64{1e300, -0.5})
	f.Add(dbl)
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "data.bin")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, opt := range []Options{{}, {ScaleBytes: true}, {SampleShape: []int{1, 2, 2}}} {
			x, err := LoadInputs(path, opt)
			if err != nil {
				checkNamesFile(t, err, path)
				continue
			}
			if x.DType != layers.Float32 || len(x.F) != layers.NumElements(x.Shape) {
				t.Fatalf("inputs: dtype %v shape %v with %d floats", x.DType, x.Shape, len(x.F))
			}
			if opt.SampleShape != nil && (len(x.Shape) != 4 || layers.NumElements(x.Shape[1:]) != 4) {
				t.Fatalf("reshaped inputs have shape %v", x.Shape)
			}
		}
		labels, err := LoadLabels(path)
		if err != nil {
			checkNamesFile(t, err, path)
		}
		for i, l := range labels {
			if l < 0 {
				t.Fatalf("label %d is negative: %d", i, l)
			}
		}
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 && d > 128*uint64(len(data)) {
			t.Fatalf("loading %d bytes allocated %d MB", len(data), d>>20)
		}
	})
}

func checkNamesFile(t *testing.T, err error, path string) {
	t.Helper()
	if msg := err.Error(); len(msg) < len(path) || msg[:len(path)] != path {
		t.Fatalf("error does not start with the file name: %v", err)
	}
}
