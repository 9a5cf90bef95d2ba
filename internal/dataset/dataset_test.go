package dataset

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/internal/idx"
	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
)

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestIDXImagesScaledAndReshaped(t *testing.T) {
	raw, err := idx.Encode(idx.UByte, []int{2, 2, 2}, []float64{0, 51, 102, 255, 255, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	path := write(t, "images.gz", gzipped(raw)) // the name says nothing: content decides
	x, err := LoadInputs(path, Options{ScaleBytes: true, SampleShape: []int{1, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Shape) != 4 || x.Shape[0] != 2 || x.Shape[1] != 1 {
		t.Fatalf("shape %v, want [2 1 2 2]", x.Shape)
	}
	if x.F[1] != 0.2 || x.F[3] != 1 || x.F[4] != 1 {
		t.Errorf("scaled pixels %v", x.F)
	}
	unscaled, err := LoadInputs(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if unscaled.F[3] != 255 {
		t.Errorf("unscaled pixel 3 = %v, want 255", unscaled.F[3])
	}
	if _, err := LoadInputs(path, Options{SampleShape: []int{1, 28, 28}}); err == nil || !strings.Contains(err.Error(), "cannot be reshaped") {
		t.Errorf("reshape mismatch: %v", err)
	}
}

func TestNpyFloatNotScaled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := npy.WriteFile(path, layers.FromFloat32([]float32{0.5, 2, 3, 255}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	x, err := LoadInputs(path, Options{ScaleBytes: true})
	if err != nil {
		t.Fatal(err)
	}
	if x.F[3] != 255 || x.F[0] != 0.5 {
		t.Errorf("float32 .npy was altered: %v", x.F)
	}
}

func TestLabels(t *testing.T) {
	raw, _ := idx.Encode(idx.UByte, []int{4}, []float64{7, 2, 1, 0})
	got, err := LoadLabels(write(t, "labels-ubyte", raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != 7 || got[3] != 0 {
		t.Errorf("labels %v", got)
	}
	path := filepath.Join(t.TempDir(), "y.npy")
	if err := npy.WriteFile(path, layers.FromInt64([]int64{3, 9}, 2)); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadLabels(path); err != nil || got[1] != 9 {
		t.Errorf("npy labels %v, %v", got, err)
	}
	bad := filepath.Join(t.TempDir(), "neg.npy")
	npy.WriteFile(bad, layers.FromInt64([]int64{1, -1}, 2))
	if _, err := LoadLabels(bad); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative label: %v", err)
	}
	twoD, _ := idx.Encode(idx.UByte, []int{2, 2}, []float64{1, 2, 3, 4})
	if _, err := LoadLabels(write(t, "l2", twoD)); err == nil || !strings.Contains(err.Error(), "want [N]") {
		t.Errorf("2-D labels: %v", err)
	}
}

func TestNotAFormat(t *testing.T) {
	p := write(t, "x.csv", []byte("1,2,3\n"))
	if _, err := LoadInputs(p, Options{}); err == nil || !strings.Contains(err.Error(), "neither an .npy nor an IDX") || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v", err)
	}
	if _, err := LoadInputs(filepath.Join(t.TempDir(), "missing.npy"), Options{}); err == nil {
		t.Error("missing file: no error")
	}
}
