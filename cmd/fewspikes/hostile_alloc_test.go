package main

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

// allocDuring returns the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHugeDeclaredShapes: models whose declared input or computed
// intermediate shapes are absurd (2^40 elements) must be refused with exit
// 2 before anything that size is allocated.
func TestHugeDeclaredShapes(t *testing.T) {
	dir := t.TempDir()
	relu := func(in, out string) pb { return onnxNode("Relu", "act", []string{in}, []string{out}) }
	// A fixed input of 2^40 elements.
	hugeIn := writeFile(t, filepath.Join(dir, "hugein.onnx"), onnxModel(13, onnxGraph(
		[]pb{relu("x", "y")}, nil, []pb{onnxValue("x", 1, 1<<20, 1<<20)}, []pb{onnxValue("y", 1, 1<<20, 1<<20)})))
	// A small input expanded to 2^40 elements by a constant shape.
	shape := make([]byte, 0, 24)
	for _, d := range []int64{1, 1 << 20, 1 << 20} {
		shape = append(shape, byte(d), byte(d>>8), byte(d>>16), byte(d>>24), byte(d>>32), 0, 0, 0)
	}
	shapeInit := pb(nil).varint(1, 3).varint(2, 7 /* INT64 */).str(8, "s").bytes(9, shape)
	expand := writeFile(t, filepath.Join(dir, "expand.onnx"), onnxModel(13, onnxGraph(
		[]pb{onnxNode("Expand", "grow", []string{"x", "s"}, []string{"e"}), relu("e", "y")},
		[]pb{shapeInit}, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y")})))
	// Dimensions whose product overflows int64 to 0, fed empty samples
	// (0 values each, which the overflowed count "matches").
	overflow := writeFile(t, filepath.Join(dir, "overflow.onnx"), onnxModel(13, onnxGraph(
		[]pb{relu("x", "y")}, nil, []pb{onnxValue("x", -1, 1<<31, 1<<31, 4)}, []pb{onnxValue("y")})))
	empty := writeFile(t, filepath.Join(dir, "empty.npy"), npy.Encode(layers.New(2, 0)))
	x4 := writeFile(t, filepath.Join(dir, "x4.npy"), npy.Encode(layers.FromFloat32([]float32{1, 2, 3, 4}, 1, 4)))
	small := writeFile(t, filepath.Join(dir, "x.npy"), npy.Encode(layers.New(1, 16)))
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"inspect huge input", []string{"inspect", hugeIn}, []string{hugeIn}},
		{"run huge input", []string{"run", hugeIn, "--input", small, "--output", filepath.Join(dir, "y.npy")}, []string{small}},
		{"eval huge input", []string{"eval", hugeIn, "--data", small}, []string{small}},
		{"eval huge input, embedded data", []string{"eval", hugeIn}, []string{"--data"}},
		{"convert huge input, embedded data", []string{"convert", hugeIn, "--out", filepath.Join(dir, "snn")}, []string{"--calib"}},
		{"bench huge input", []string{"bench", hugeIn}, []string{"too large"}},
		{"run expand to 2^40", []string{"run", expand, "--input", x4, "--output", filepath.Join(dir, "y.npy")}, []string{expand, "grow"}},
		{"eval expand to 2^40", []string{"eval", expand, "--data", x4}, []string{expand, "grow"}},
		{"convert expand to 2^40", []string{"convert", expand, "--calib", x4, "--out", filepath.Join(dir, "snn")}, []string{expand, "grow"}},
		{"run overflowing dims, empty samples", []string{"run", overflow, "--input", empty, "--output", filepath.Join(dir, "y.npy")}, []string{overflow, "act"}},
		{"eval overflowing dims, empty samples", []string{"eval", overflow, "--data", empty}, []string{overflow, "act"}},
		{"inspect overflowing dims", []string{"inspect", overflow}, []string{overflow, "too large"}},
		{"fit huge --points", []string{"fit", "--act", "swish", "--steps", "4", "--points", "1099511627776"}, []string{"--points"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var msg string
			n := allocDuring(func() { msg = expectBadInput(t, c.args, c.want...) })
			if n > 256<<20 {
				t.Errorf("allocated %d MB before refusing", n>>20)
			}
			t.Logf("%s (allocated %d MB)", msg, n>>20)
		})
	}
}
