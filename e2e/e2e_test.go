package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/models"
	"github.com/fewspikes/fewspikes/onnx"
)

const (
	testdataDir = "../testdata"
	modelsDir   = "../models"
	absTol      = 1e-4
	relTol      = 1e-5
	tieTol      = 1e-4
)

// entry is one ONNX file of testdata/manifest.json.
type entry struct {
	File            string   `json:"file"`
	Model           string   `json:"model"`
	Opset           int      `json:"opset"`
	Dynamic         bool     `json:"dynamic"`
	Batch           *int     `json:"batch"`
	Input           string   `json:"input"`
	Output          string   `json:"output"`
	Kind            string   `json:"kind"`
	PyTorchAccuracy *float64 `json:"pytorch_accuracy"`
	Predictions     *string  `json:"predictions"`
	Operators       []string `json:"operators"`
}

type manifest struct {
	Models []entry `json:"models"`
}

func readManifest(t *testing.T) []entry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(m.Models) == 0 {
		t.Fatal("manifest.json lists no models")
	}
	return m.Models
}

func readNpy(t *testing.T, path string) *layers.Tensor {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a.Tensor
}

// TestManifestCoverage checks that testdata covers what issue 3 asks: the
// opsets 9, 11, 13, 14 and 17 each with several nets, each net at two
// opsets or more, fixed and dynamic batch, and that every file exists.
func TestManifestCoverage(t *testing.T) {
	entries := readManifest(t)
	netsAt := map[int]map[string]bool{}
	opsetsOf := map[string]map[int]bool{}
	var dyn, fix int
	for _, e := range entries {
		for _, f := range []string{e.File, e.Input, e.Output} {
			if _, err := os.Stat(filepath.Join(testdataDir, f)); err != nil {
				t.Errorf("%s: %v", e.File, err)
			}
		}
		if e.Kind == "classifier" && (e.PyTorchAccuracy == nil || e.Predictions == nil) {
			t.Errorf("%s: classifier without accuracy or predictions", e.File)
		}
		if netsAt[e.Opset] == nil {
			netsAt[e.Opset] = map[string]bool{}
		}
		netsAt[e.Opset][e.Model] = true
		if opsetsOf[e.Model] == nil {
			opsetsOf[e.Model] = map[int]bool{}
		}
		opsetsOf[e.Model][e.Opset] = true
		if e.Dynamic {
			dyn++
		} else {
			fix++
		}
	}
	for _, op := range []int{9, 11, 13, 14, 17} {
		if len(netsAt[op]) < 2 {
			t.Errorf("opset %d: only %d nets", op, len(netsAt[op]))
		}
	}
	for net, ops := range opsetsOf {
		if len(ops) < 2 {
			t.Errorf("net %s: exported at %d opset(s) only", net, len(ops))
		}
	}
	if dyn == 0 || fix == 0 {
		t.Errorf("%d dynamic and %d fixed-batch files: want both", dyn, fix)
	}
}

// compile loads an ONNX file (or bytes) and compiles it; failures name the stage.
func compile(t *testing.T, name string, data []byte, threads int) (*layers.Program, *layers.Graph) {
	t.Helper()
	var g *layers.Graph
	var err error
	if data == nil {
		g, err = onnx.Load(name)
	} else {
		g, err = onnx.Decode(data, "")
	}
	if err != nil {
		t.Fatalf("onnx load %s: %v", name, err)
	}
	if len(g.Inputs) != 1 || len(g.Outputs) != 1 {
		t.Fatalf("%s: %d inputs and %d outputs, want 1 and 1", name, len(g.Inputs), len(g.Outputs))
	}
	p, err := layers.Compile(g, layers.Options{Threads: threads})
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return p, g
}

func run(p *layers.Program, g *layers.Graph, x *layers.Tensor) (*layers.Tensor, error) {
	out, err := p.Run(map[string]*layers.Tensor{g.Inputs[0].Name: x})
	if err != nil {
		return nil, err
	}
	y, ok := out[g.Outputs[0].Name]
	if !ok {
		return nil, fmt.Errorf("Run returned no %q", g.Outputs[0].Name)
	}
	return y, nil
}

// rows returns rows [lo, hi) of the leading (batch) axis of x, copied.
func rows(x *layers.Tensor, lo, hi int) *layers.Tensor {
	per := layers.NumElements(x.Shape[1:])
	shape := append([]int{hi - lo}, x.Shape[1:]...)
	return layers.FromFloat32(append([]float32(nil), x.F[lo*per:hi*per]...), shape...)
}

// compare checks got against want elementwise with the package tolerances
// and returns a description of the worst mismatch, or "".
func compare(got, want *layers.Tensor) string {
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		return fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)
	}
	if got.DType != layers.Float32 {
		return fmt.Sprintf("dtype %s, want float32", got.DType)
	}
	bad, worst, worstAt := 0, 0.0, -1
	for i, w := range want.F {
		d := math.Abs(float64(got.F[i]) - float64(w))
		if math.IsNaN(float64(got.F[i])) || (d > absTol && d > relTol*math.Abs(float64(w))) {
			bad++
			if worstAt < 0 || d > worst || math.IsNaN(d) {
				worst, worstAt = d, i
			}
		}
	}
	if bad == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d values differ; worst at flat index %d: got %v, want %v (|diff| %.3g)",
		bad, len(want.F), worstAt, got.F[worstAt], want.F[worstAt], worst)
}

// TestPyTorchOutputs runs every manifest file on its committed input and
// compares with PyTorch's output; dynamic-batch files also at batch 1 and 3.
func TestPyTorchOutputs(t *testing.T) {
	for _, e := range readManifest(t) {
		t.Run(e.File, func(t *testing.T) {
			p, g := compile(t, filepath.Join(testdataDir, e.File), nil, 1)
			x := readNpy(t, filepath.Join(testdataDir, e.Input))
			want := readNpy(t, filepath.Join(testdataDir, e.Output))
			n := x.Shape[0]
			batches := []int{n}
			if e.Dynamic {
				batches = []int{1, 3, n}
			}
			for _, b := range batches {
				got, err := run(p, g, rows(x, 0, b))
				if err != nil {
					t.Errorf("batch %d: run: %v", b, err)
					continue
				}
				if msg := compare(got, rows(want, 0, b)); msg != "" {
					t.Errorf("batch %d: %s", b, msg)
				} else if b == n {
					t.Logf("batch %d: max |diff| %.3g", b, maxAbsDiff(got, want))
				}
			}
			if !e.Dynamic {
				// A fixed-batch model fed another batch size must fail
				// cleanly (or, if the engine can run it, be right): never panic.
				got, err := runNoPanic(p, g, rows(x, 0, 3))
				if err == nil {
					if msg := compare(got, rows(want, 0, 3)); msg != "" {
						t.Errorf("batch 3 on a fixed-batch-%d model: no error, and %s", n, msg)
					}
				} else if strings.Contains(err.Error(), "panic") {
					t.Errorf("batch 3 on a fixed-batch-%d model: %v", n, err)
				} else {
					t.Logf("batch 3 on a fixed-batch-%d model: %v", n, err)
				}
			}
		})
	}
}

func maxAbsDiff(a, b *layers.Tensor) float64 {
	m := 0.0
	for i := range a.F {
		m = math.Max(m, math.Abs(float64(a.F[i])-float64(b.F[i])))
	}
	return m
}

func runNoPanic(p *layers.Program, g *layers.Graph, x *layers.Tensor) (y *layers.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return run(p, g, x)
}

// TestThreadsAgree runs each net's first file with 1 and 2 threads: the
// outputs must be bit-identical (the engine's parallelism must not change
// summation order).
func TestThreadsAgree(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range readManifest(t) {
		if seen[e.Model] {
			continue
		}
		seen[e.Model] = true
		t.Run(e.File, func(t *testing.T) {
			x := readNpy(t, filepath.Join(testdataDir, e.Input))
			p1, g1 := compile(t, filepath.Join(testdataDir, e.File), nil, 1)
			p2, g2 := compile(t, filepath.Join(testdataDir, e.File), nil, 2)
			y1, err1 := run(p1, g1, x)
			y2, err2 := run(p2, g2, x)
			if err1 != nil || err2 != nil {
				t.Fatalf("run: %v / %v", err1, err2)
			}
			for i := range y1.F {
				if math.Float32bits(y1.F[i]) != math.Float32bits(y2.F[i]) {
					t.Fatalf("value %d: %v with 1 thread, %v with 2", i, y1.F[i], y2.F[i])
				}
			}
		})
	}
}

// logitsOnTestSet runs the model on the whole embedded test split in
// chunks of `chunk` images (a fixed-batch model gets exactly its batch,
// the last chunk zero-padded) and returns the logits [N][classes].
func logitsOnTestSet(t *testing.T, p *layers.Program, g *layers.Graph, images *layers.Tensor, chunk int, fixed bool) [][]float32 {
	t.Helper()
	n := images.Shape[0]
	var out [][]float32
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		x := rows(images, lo, hi)
		if fixed && hi-lo < chunk {
			padded := layers.New(append([]int{chunk}, images.Shape[1:]...)...)
			copy(padded.F, x.F)
			x = padded
		}
		y, err := run(p, g, x)
		if err != nil {
			t.Fatalf("images %d..%d: run: %v", lo, hi, err)
		}
		if len(y.Shape) != 2 || y.Shape[0] != x.Shape[0] {
			t.Fatalf("images %d..%d: output shape %v, want [%d classes]", lo, hi, y.Shape, x.Shape[0])
		}
		c := y.Shape[1]
		for i := 0; i < hi-lo; i++ {
			out = append(out, y.F[i*c:(i+1)*c])
		}
	}
	return out
}

func argmax(v []float32) int64 {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return int64(best)
}

// checkPredictions compares our predictions with PyTorch's under the
// package's rule (identical, or one flip at a near-tie) and our accuracy
// with PyTorch's.
func checkPredictions(t *testing.T, logits [][]float32, torchPred, labels []int64, torchAcc float64) {
	checkPredictionsTB(t, logits, torchPred, labels, torchAcc)
}

func checkPredictionsTB(t testing.TB, logits [][]float32, torchPred, labels []int64, torchAcc float64) {
	t.Helper()
	if len(torchPred) != len(logits) || len(labels) != len(logits) {
		t.Fatalf("%d logits rows, %d PyTorch predictions, %d labels", len(logits), len(torchPred), len(labels))
	}
	var correct, ties int
	var flips []string
	for i, row := range logits {
		pred := argmax(row)
		if pred == labels[i] {
			correct++
		}
		if pred == torchPred[i] {
			continue
		}
		gap := float64(row[pred] - row[torchPred[i]])
		if gap <= tieTol {
			ties++
			t.Logf("image %d: predicted %d, PyTorch %d: a near-tie (logit gap %.2g)", i, pred, torchPred[i], gap)
		} else {
			flips = append(flips, fmt.Sprintf("image %d: %d vs PyTorch %d (logit gap %.3g)", i, pred, torchPred[i], gap))
		}
	}
	acc := float64(correct) / float64(len(labels))
	if len(flips) > 0 {
		t.Errorf("%d predictions differ from PyTorch's beyond a tie, e.g. %v", len(flips), flips[:min(3, len(flips))])
	}
	if ties > 1 {
		t.Errorf("%d near-tie flips; at most 1 allowed", ties)
	}
	if ties == 0 && len(flips) == 0 && math.Abs(acc-torchAcc) > 1e-9 {
		t.Errorf("accuracy %.4f, PyTorch %.4f, with identical predictions: the labels disagree", acc, torchAcc)
	}
	if math.Abs(acc-torchAcc) > 1.0/float64(len(labels))+1e-9 {
		t.Errorf("accuracy %.4f, PyTorch %.4f", acc, torchAcc)
	}
	t.Logf("accuracy %.4f (PyTorch %.4f), %d near-tie flips", acc, torchAcc, ties)
}

// TestPyTorchAccuracy runs every classifier of the manifest on the whole
// embedded test split and compares predictions and accuracy with
// PyTorch's. With -short, only the first file of each net runs.
func TestPyTorchAccuracy(t *testing.T) {
	images, labels, err := models.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range readManifest(t) {
		if e.Kind != "classifier" || (testing.Short() && seen[e.Model]) {
			continue
		}
		seen[e.Model] = true
		t.Run(e.File, func(t *testing.T) {
			p, g := compile(t, filepath.Join(testdataDir, e.File), nil, 0)
			chunk := 500
			if !e.Dynamic {
				chunk = *e.Batch
			}
			logits := logitsOnTestSet(t, p, g, images, chunk, !e.Dynamic)
			pred := readNpy(t, filepath.Join(testdataDir, *e.Predictions))
			checkPredictions(t, logits, pred.I, labels, *e.PyTorchAccuracy)
		})
	}
}

// TestEmbeddedModels runs every embedded model on the embedded test split:
// PyTorch's predictions (models/<name>.pred.npy) and accuracy exactly, at
// a batch that does not divide the test set evenly.
func TestEmbeddedModels(t *testing.T) {
	images, labels, err := models.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models.List() {
		t.Run(m.Name, func(t *testing.T) {
			p, g := compile(t, m.Name, m.ONNX, 0)
			logits := logitsOnTestSet(t, p, g, images, 384, false)
			pred := readNpy(t, filepath.Join(modelsDir, m.Name+".pred.npy"))
			checkPredictions(t, logits, pred.I, labels, m.PyTorchAccuracy)
		})
	}
}

// TestOperatorsReachEngine reports, per file, which ONNX operators the
// importer kept (after folding and fusion): a composite activation that
// survives as Mul/Sigmoid or Erf means conversion would miss that site.
func TestOperatorsReachEngine(t *testing.T) {
	for _, e := range readManifest(t) {
		t.Run(e.File, func(t *testing.T) {
			g, err := onnx.Load(filepath.Join(testdataDir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]int{}
			for _, n := range g.Nodes {
				ops[n.Op]++
			}
			// Erf and Pow/Sqrt survive only if a GELU or LayerNorm was not
			// fused; Constant nodes should have become initializers. Shape
			// sub-graphs fold only when the batch is fixed: with a dynamic
			// batch, Shape -> Gather -> Unsqueeze -> Concat -> Reshape
			// depends on the input and legitimately stays.
			leftovers := []string{"Erf", "Pow", "Sqrt", "Constant", "Softplus"}
			if !e.Dynamic {
				leftovers = append(leftovers, "Shape", "Gather", "Unsqueeze")
			}
			for _, leftover := range leftovers {
				// mlp_mixed_act has a genuine Softplus layer besides its Mish.
				if ops[leftover] > 0 && !(leftover == "Softplus" && e.Model == "mlp_mixed_act") {
					t.Errorf("%d %s node(s) left after import: not folded or fused", ops[leftover], leftover)
				}
			}
			var names []string
			for op, c := range ops {
				names = append(names, fmt.Sprintf("%s:%d", op, c))
			}
			sort.Strings(names)
			t.Logf("ops after import: %v", names)
		})
	}
}
