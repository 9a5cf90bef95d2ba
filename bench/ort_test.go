package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx"
)

// The dynamic-batch PyTorch test models (testdata/), so that batch 64 runs.
var compareModels = []string{
	"mlp.op13.dyn", "mlp_mixed_act.op17.dyn", "cnn_bn_pool.op14.dyn", "resnet_gelu.op17.dyn",
	"dwsep_se.op13.dyn", "mobilenetv3.op14.dyn", "unet.op11.dyn",
}

var (
	ortOnce sync.Once
	ortErr  error
)

// needORT skips the calling test when the library is absent and otherwise
// initialises the ONNX Runtime environment once per process.
func needORT(tb testing.TB) {
	tb.Helper()
	lib := LibraryPath()
	if lib == "" {
		tb.Skipf("ONNX Runtime library not found (run scripts/fetch-onnxruntime.sh or set %s)", LibraryEnv)
	}
	ortOnce.Do(func() {
		ort.SetSharedLibraryPath(lib)
		ortErr = ort.InitializeEnvironment(ort.WithLogLevelError())
	})
	if ortErr != nil {
		tb.Fatalf("initialising ONNX Runtime from %s: %v", lib, ortErr)
	}
}

func modelPath(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join("..", "testdata", name+".onnx")
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("test model missing: %v", err)
	}
	return p
}

// ourRunner compiles the model for our engine and returns a function that
// runs it on x, and the names of its data input and first output.
type ourRunner struct {
	prog          *layers.Program
	input, output string
	sample        []int
}

func newOurs(tb testing.TB, path string, threads int) *ourRunner {
	tb.Helper()
	g, err := onnx.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := layers.Compile(g, layers.Options{Threads: threads})
	if err != nil {
		tb.Fatal(err)
	}
	in := g.Inputs[0]
	for _, v := range g.Inputs {
		if _, ok := g.Initializers[v.Name]; !ok {
			in = v
			break
		}
	}
	return &ourRunner{prog: prog, input: in.Name, output: g.Outputs[0].Name, sample: in.Shape[1:]}
}

func (r *ourRunner) run(tb testing.TB, x *layers.Tensor) *layers.Tensor {
	out, err := r.prog.Run(map[string]*layers.Tensor{r.input: x})
	if err != nil {
		tb.Fatal(err)
	}
	return out[r.output]
}

func randomBatch(sample []int, batch int) *layers.Tensor {
	x := layers.New(append([]int{batch}, sample...)...)
	r := rand.New(rand.NewPCG(7, uint64(batch)))
	for i := range x.F {
		x.F[i] = r.Float32()
	}
	return x
}

// ortRunner holds an ONNX Runtime session bound to fixed input and output
// tensors.
type ortRunner struct {
	sess *ort.AdvancedSession
	in   *ort.Tensor[float32]
	out  *ort.Tensor[float32]
}

func newORT(tb testing.TB, path, input, output string, x *layers.Tensor, outShape []int, threads int) *ortRunner {
	tb.Helper()
	opts, err := ort.NewSessionOptions()
	if err != nil {
		tb.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		tb.Fatal(err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		tb.Fatal(err)
	}
	// Spinning worker threads would burn the cores other processes on a
	// shared machine need and bill idle waiting as CPU time.
	if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		tb.Fatal(err)
	}
	in, err := ort.NewTensor(ort.NewShape(int64s(x.Shape)...), slices.Clone(x.F))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64s(outShape)...))
	if err != nil {
		tb.Fatal(err)
	}
	sess, err := ort.NewAdvancedSession(path, []string{input}, []string{output}, []ort.Value{in}, []ort.Value{out}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	r := &ortRunner{sess: sess, in: in, out: out}
	tb.Cleanup(func() {
		r.sess.Destroy()
		r.in.Destroy()
		r.out.Destroy()
	})
	return r
}

func (r *ortRunner) run(tb testing.TB) []float32 {
	if err := r.sess.Run(); err != nil {
		tb.Fatal(err)
	}
	return r.out.GetData()
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, d := range v {
		out[i] = int64(d)
	}
	return out
}

// TestAgreesWithORT checks that our engine and ONNX Runtime, a runtime no
// one here wrote, compute the same outputs on random inputs.
func TestAgreesWithORT(t *testing.T) {
	needORT(t)
	for _, name := range compareModels {
		path := modelPath(t, name)
		ours := newOurs(t, path, 2)
		x := randomBatch(ours.sample, 5)
		y := ours.run(t, x)
		o := newORT(t, path, ours.input, ours.output, x, y.Shape, 2)
		got := o.run(t)
		worst := 0.0
		for i, v := range got {
			worst = math.Max(worst, math.Abs(float64(v-y.F[i])))
		}
		if worst > 1e-4 {
			t.Errorf("%s: largest difference from ONNX Runtime %.3g", name, worst)
		}
	}
}

// BenchmarkCompare runs each model in our engine and in ONNX Runtime at
// batch 1 and 64 with 1 and 2 threads, side by side; the metric
// us/sample is what docs/bench.md tabulates.
func BenchmarkCompare(b *testing.B) {
	needORT(b)
	for _, name := range compareModels {
		path := modelPath(b, name)
		for _, batch := range []int{1, 64} {
			for _, threads := range []int{1, 2} {
				ours := newOurs(b, path, threads)
				x := randomBatch(ours.sample, batch)
				y := ours.run(b, x)
				short := strings.SplitN(name, ".", 2)[0]
				b.Run(fmt.Sprintf("%s/batch=%d/threads=%d/engine=fewspikes", short, batch, threads), func(b *testing.B) {
					c0 := cpuMicros()
					for b.Loop() {
						ours.run(b, x)
					}
					reportPerSample(b, batch, cpuMicros()-c0)
				})
				o := newORT(b, path, ours.input, ours.output, x, y.Shape, threads)
				b.Run(fmt.Sprintf("%s/batch=%d/threads=%d/engine=ort", short, batch, threads), func(b *testing.B) {
					c0 := cpuMicros()
					for b.Loop() {
						o.run(b)
					}
					reportPerSample(b, batch, cpuMicros()-c0)
				})
			}
		}
	}
}

// cpuMicros returns the CPU time (user + system) this process has used, in
// microseconds. On a shared machine wall time measures the neighbours too;
// CPU time per sample is the steadier comparison.
func cpuMicros() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec)*1e6 + float64(ru.Utime.Usec+ru.Stime.Usec)
}

func reportPerSample(b *testing.B, batch int, cpu float64) {
	samples := float64(b.N * batch)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/samples, "us/sample")
	b.ReportMetric(cpu/samples, "cpu-us/sample")
}
