package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fewspikes/fewspikes/convert"
	"github.com/fewspikes/fewspikes/internal/dataset"
	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/models"
	"github.com/fewspikes/fewspikes/onnx"
)

// benchResult is the --json output (DESIGN.md keys first).
type benchResult struct {
	Model         string   `json:"model"`
	Batch         int      `json:"batch"`
	Threads       int      `json:"threads"`
	ANNMicros     float64  `json:"ann_us_per_sample"`
	SNNMicros     *float64 `json:"snn_us_per_sample"`
	ANNPerSecond  float64  `json:"ann_samples_per_second"`
	SNNPerSecond  *float64 `json:"snn_samples_per_second,omitempty"`
	Steps         int      `json:"steps,omitempty"`
	Repetitions   int      `json:"repetitions"`
	SNNNote       string   `json:"snn_note,omitempty"`
	InputShape    []int    `json:"input_shape"`
	ANNBestMicros float64  `json:"ann_min_us_per_sample"`
}

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:      "bench",
		Usage:     "time a model (and its spiking conversion) per sample at a batch size and thread count",
		ArgsUsage: "[MODEL.onnx]",
		Description: "Runs the model on --input (or random inputs of its input shape) after a warm-up and\n" +
			"reports the median time per sample over repeated runs, for the ANN and for its\n" +
			"converted few-spikes network (K = --steps, library parameters, calibrated on the same input).\n" +
			"No MODEL: the embedded default model.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Usage: "input batch (.npy or IDX); its first --batch samples are used"},
			&cli.IntFlag{Name: "batch", Value: 1, Usage: "samples per run"},
			&cli.IntFlag{Name: "threads", Usage: "threads (0: all cores)"},
			&cli.IntFlag{Name: "steps", Value: 16, Usage: "FS time steps K of the spiking network"},
			&cli.Float64Flag{Name: "seconds", Value: 1, Usage: "minimum time spent timing each network"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object on stdout"},
		},
		Action: benchAction,
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return badInputf("bench: %v", err)
		},
	}
}

func benchAction(c *cli.Context) error {
	args, err := trailingFlags(c)
	if err != nil {
		return badInputf("bench: %w", err)
	}
	batch, threads := c.Int("batch"), c.Int("threads")
	if len(args) > 1 {
		return badInputf("bench: want at most one MODEL.onnx argument, got %d", len(args))
	}
	if batch < 1 || batch > 1<<16 || threads < 0 || c.Float64("seconds") <= 0 {
		return badInputf("bench: --batch must be in 1..65536, --threads not negative and --seconds positive")
	}
	if k := c.Int("steps"); k < 1 || k > convert.MaxSteps {
		return badInputf("bench: --steps %d out of range 1..%d", k, convert.MaxSteps)
	}
	if err := checkSteps(c.Int("steps")); err != nil {
		return badInputf("bench: %w", err)
	}
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	var g *layers.Graph
	name := ""
	if len(args) == 1 {
		name = args[0]
		if g, err = onnx.Load(name); err != nil {
			return badInput(err)
		}
	} else {
		m := models.Default()
		name = m.Name
		if g, err = onnx.Decode(m.ONNX, ""); err != nil {
			return fmt.Errorf("embedded model %s: %w", m.Name, err)
		}
	}
	in, err := modelDataInput(g)
	if err != nil {
		return badInputf("%s: %w", name, err)
	}
	if in.Shape[0] > 0 && in.Shape[0] != batch {
		return badInputf("bench: %s has a fixed batch of %d; use --batch %d", name, in.Shape[0], in.Shape[0])
	}
	x, err := benchInput(c.String("input"), in, batch)
	if err != nil {
		return badInputf("bench: %w", err)
	}
	res := benchResult{Model: name, Batch: batch, Threads: threads, InputShape: x.Shape}
	prog, err := layers.Compile(g, layers.Options{Threads: threads})
	if err != nil {
		return badInputf("%s: %w", name, err)
	}
	feed := map[string]*layers.Tensor{in.Name: x}
	med, best, reps, err := timeRuns(prog, feed, c.Float64("seconds"))
	if err != nil {
		return badInputf("%s: %w", name, err) // the model cannot run: malformed
	}
	res.ANNMicros = med / float64(batch)
	res.ANNBestMicros = best / float64(batch)
	res.ANNPerSecond = 1e6 / res.ANNMicros
	res.Repetitions = reps
	if snn, err := snnGraph(name, g, x, c.Int("steps"), threads, "library"); err != nil {
		res.SNNNote = err.Error()
	} else {
		sprog, err := layers.Compile(snn, layers.Options{Threads: threads})
		if err != nil {
			return fmt.Errorf("%s: spiking network: %w", name, err)
		}
		smed, _, _, err := timeRuns(sprog, feed, c.Float64("seconds"))
		if err != nil {
			return fmt.Errorf("%s: spiking network: %w", name, err)
		}
		us := smed / float64(batch)
		sps := 1e6 / us
		res.SNNMicros, res.SNNPerSecond, res.Steps = &us, &sps, c.Int("steps")
	}
	if c.Bool("json") {
		if res.SNNMicros == nil {
			fmt.Fprintf(c.App.ErrWriter, "bench: no spiking network timed: %s\n", res.SNNNote)
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "model       %s (input %v)\n", res.Model, res.InputShape)
	fmt.Fprintf(w, "batch       %d\nthreads     %d\nruns        %d (median; after warm-up)\n", res.Batch, res.Threads, res.Repetitions)
	fmt.Fprintf(w, "ANN         %.1f µs/sample (best %.1f), %.0f samples/s\n", res.ANNMicros, res.ANNBestMicros, res.ANNPerSecond)
	if res.SNNMicros != nil {
		fmt.Fprintf(w, "SNN (K=%d)  %.1f µs/sample, %.0f samples/s\n", res.Steps, *res.SNNMicros, *res.SNNPerSecond)
	} else {
		fmt.Fprintf(w, "SNN         not timed: %s\n", res.SNNNote)
	}
	return nil
}

// benchInput returns batch samples: the first ones of the file at path, or
// uniform random values in [0, 1) (a fixed seed) of the model's input shape.
func benchInput(path string, in layers.ValueInfo, batch int) (*layers.Tensor, error) {
	if path != "" {
		x, err := dataset.LoadInputs(path, dataset.Options{})
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		if x, err = fitBatchToInput(x, in); err != nil {
			return nil, fmt.Errorf("--input %s: %w", path, err)
		}
		if x.Shape[0] < batch {
			return nil, fmt.Errorf("--input %s has %d samples, fewer than --batch %d", path, x.Shape[0], batch)
		}
		return sliceBatch(x, 0, batch), nil
	}
	shape := slices.Clone(in.Shape)
	shape[0] = batch
	for i, d := range shape[1:] {
		if d < 0 {
			return nil, fmt.Errorf("model input %q has dynamic dimension %d (%v): give --input", in.Name, i+1, in.Shape)
		}
	}
	if layers.NumElements(shape) > 1<<28 {
		return nil, fmt.Errorf("model input %q of shape %v at batch %d is too large", in.Name, in.Shape, batch)
	}
	r := rand.New(rand.NewPCG(1, uint64(batch)))
	if in.DType == layers.Int64 {
		return nil, fmt.Errorf("model input %q is int64: give --input", in.Name)
	}
	x := layers.New(shape...)
	for i := range x.F {
		x.F[i] = r.Float32()
	}
	return x, nil
}

// timeRuns runs prog on feed twice to warm up (buffers, caches), then
// repeatedly for at least seconds and 5 runs, and returns the median and
// the fastest run in microseconds.
func timeRuns(prog *layers.Program, feed map[string]*layers.Tensor, seconds float64) (median, best float64, runs int, err error) {
	for range 2 {
		if _, err := prog.Run(feed); err != nil {
			return 0, 0, 0, err
		}
	}
	var times []float64
	start := time.Now()
	for len(times) < 5 || time.Since(start).Seconds() < seconds {
		t0 := time.Now()
		if _, err := prog.Run(feed); err != nil {
			return 0, 0, 0, err
		}
		times = append(times, float64(time.Since(t0).Nanoseconds())/1e3)
		if len(times) >= 1_000_000 {
			break
		}
	}
	sort.Float64s(times)
	return times[len(times)/2], times[0], len(times), nil
}
