package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/fewspikes/fewspikes/bench"
	"github.com/fewspikes/fewspikes/convert"
	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/models"
	"github.com/fewspikes/fewspikes/onnx"
)

// TestSNNInONNXRuntime converts embedded models with `fewspikes convert`
// and runs the written snn.onnx in ONNX Runtime on the whole test split:
// its top-1 accuracy must equal what fewspikes computes for the same
// file. (ONNX Runtime sums convolutions in another order, so a value next
// to an FS threshold may spike in one runtime and not the other: the
// outputs are compared within a tolerance, the accuracy exactly.)
// Skipped where the ONNX Runtime library is absent.
func TestSNNInONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("converts models and runs them in ONNX Runtime")
	}
	lib := bench.LibraryPath()
	if lib == "" {
		t.Skipf("ONNX Runtime library not found (set %s)", bench.LibraryEnv)
	}
	if !ort.IsInitialized() {
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			t.Fatalf("initialise ONNX Runtime from %s: %v", lib, err)
		}
	}
	images, labels, err := models.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mlp-silu", "cnn-gelu"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			if code := run([]string{"fewspikes", "convert", "--model", name, "--out", dir}, &stdout, &stderr); code != 0 {
				t.Fatalf("convert: exit %d: %s", code, stderr.String())
			}
			path := filepath.Join(dir, "snn.onnx")
			g, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			in, out := g.Inputs[0], g.Outputs[0].Name
			x, err := convert.FitToInput(images, in)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := runOnce(g, map[string]*layers.Tensor{in.Name: x}, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := ours[out]

			xt, err := ort.NewTensor(ort.NewShape(int64s(x.Shape)...), slices.Clone(x.F))
			if err != nil {
				t.Fatal(err)
			}
			defer xt.Destroy()
			yt, err := ort.NewEmptyTensor[float32](ort.NewShape(int64s(want.Shape)...))
			if err != nil {
				t.Fatal(err)
			}
			defer yt.Destroy()
			sess, err := ort.NewAdvancedSession(path, []string{in.Name}, []string{out}, []ort.Value{xt}, []ort.Value{yt}, nil)
			if err != nil {
				t.Fatalf("ONNX Runtime cannot load %s: %v", path, err)
			}
			defer sess.Destroy()
			if err := sess.Run(); err != nil {
				t.Fatal(err)
			}
			got := layers.FromFloat32(yt.GetData(), want.Shape...)
			accOurs := accuracy(convert.Argmax(want), labels)
			accORT := accuracy(convert.Argmax(got), labels)
			f := convert.CompareOutputs(want.F, got.F)
			t.Logf("fewspikes %.4f, ONNX Runtime %.4f, outputs: max difference %.3g, cosine %.9f", accOurs, accORT, f.MaxAbsError, f.Cosine)
			if accOurs != accORT {
				t.Errorf("SNN accuracy %.4f in fewspikes, %.4f in ONNX Runtime", accOurs, accORT)
			}
			if f.Cosine < 1-1e-6 {
				t.Errorf("outputs differ: cosine similarity %.9f", f.Cosine)
			}
		})
	}
}

func accuracy(pred, labels []int64) float64 {
	n := 0
	for i := range pred {
		if pred[i] == labels[i] {
			n++
		}
	}
	return float64(n) / float64(len(pred))
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, d := range v {
		out[i] = int64(d)
	}
	return out
}
