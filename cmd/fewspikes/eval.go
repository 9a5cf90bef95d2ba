package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/fewspikes/fewspikes/convert"
	"github.com/fewspikes/fewspikes/internal/dataset"
	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/models"
	"github.com/fewspikes/fewspikes/onnx"
)

// Flags shared by convert and eval.
func conversionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "embedded model `NAME` to use when no MODEL.onnx is given (" + strings.Join(modelNames(), ", ") + ")"},
		&cli.StringFlag{Name: "calib", Usage: "calibration inputs `X` (.npy or IDX); default: the first --calib-samples of the evaluation data (embedded MNIST test set for convert)"},
		&cli.IntFlag{Name: "calib-samples", Value: 500, Usage: "samples used for calibration"},
		&cli.StringFlag{Name: "exclude", Usage: "comma-separated activation `NODE`s to keep analog"},
		&cli.StringFlag{Name: "site-steps", Usage: "per-site K as `NODE=K,...`"},
		&cli.StringFlag{Name: "fit", Value: "auto", Usage: "FS parameters per site: auto (better of library and a fit to the site's inputs), library, fit"},
		&cli.Float64Flag{Name: "spike-budget", Value: convert.DefaultSpikeBudget, Usage: "mean spikes per neuron that parameter choice trades fit error against (negative: no budget, most accurate)"},
		&cli.BoolFlag{Name: "fit-per-site", Usage: "fit each site's own input distribution instead of one pooled distribution per activation (slower)"},
		&cli.BoolFlag{Name: "shared-d", Usage: "one set of FS output weights d per site, instead of d re-solved for each channel's inputs"},
		&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed of the FS parameter fits"},
		&cli.BoolFlag{Name: "scale-uint8", Usage: "divide uint8 data by 255"},
		&cli.IntFlag{Name: "batch", Value: 64, Usage: "samples per engine run"},
		&cli.IntFlag{Name: "threads", Usage: "engine threads (0 = all cores)"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object on stdout"},
	}
}

func modelNames() []string {
	var names []string
	for _, m := range models.List() {
		names = append(names, m.Name)
	}
	return names
}

// loadedModel is the model a command works on, with the data that comes
// with it when it is embedded.
type loadedModel struct {
	name     string
	graph    *layers.Graph
	embedded bool
}

// checkConversionFlags rejects numeric flags of convert and eval that are
// out of range (they were silently replaced by defaults before).
func checkConversionFlags(c *cli.Context) error {
	if b := c.Int("batch"); b < 1 {
		return badInputf("--batch %d: want at least 1", b)
	}
	if th := c.Int("threads"); th < 0 {
		return badInputf("--threads %d: want 0 (all cores) or more", th)
	}
	if c.IsSet("limit") && c.Int("limit") < 0 {
		return badInputf("--limit %d: want 0 (all) or more", c.Int("limit"))
	}
	if sb := c.Float64("spike-budget"); math.IsNaN(sb) || math.IsInf(sb, 0) {
		return badInputf("--spike-budget %v: want a finite number", sb)
	}
	return nil
}

// loadModel loads args[0] (the positional arguments left by trailingFlags)
// or the embedded model.
func loadModel(c *cli.Context, args []string) (*loadedModel, error) {
	if len(args) > 1 {
		return nil, badInputf("want at most one MODEL.onnx, got %d arguments", len(args))
	}
	if len(args) == 1 {
		path := args[0]
		if c.IsSet("model") {
			return nil, badInputf("give either MODEL.onnx or --model, not both")
		}
		g, err := onnx.Load(path)
		if err != nil {
			return nil, badInput(err)
		}
		return &loadedModel{name: path, graph: g}, nil
	}
	m := models.Default()
	if name := c.String("model"); name != "" {
		var err error
		if m, err = models.Get(name); err != nil {
			return nil, badInput(err)
		}
	}
	g, err := onnx.Decode(m.ONNX, "")
	if err != nil {
		return nil, fmt.Errorf("embedded model %s: %w", m.Name, err)
	}
	return &loadedModel{name: m.Name, graph: g, embedded: true}, nil
}

func siteOptions(c *cli.Context) (convert.SiteOptions, error) {
	var so convert.SiteOptions
	for _, f := range strings.Split(c.String("exclude"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			so.Exclude = append(so.Exclude, f)
		}
	}
	per, err := convert.ParsePerSite(c.String("site-steps"))
	if err != nil {
		return so, badInput(err)
	}
	so.PerSite = per
	return so, nil
}

// loadSamples reads a data file and shapes it for the model's input.
func loadSamples(path string, scale bool, in layers.ValueInfo) (*layers.Tensor, error) {
	x, err := dataset.LoadInputs(path, dataset.Options{ScaleBytes: scale})
	if err != nil {
		return nil, badInput(err)
	}
	if len(x.Shape) == 0 || x.Shape[0] == 0 {
		return nil, badInputf("%s: no samples", path)
	}
	x, err = convert.FitToInput(x, in)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return x, nil
}

// embeddedTestSet returns the embedded MNIST test set shaped for the
// model's input, or an error saying which flag is needed.
func embeddedTestSet(in layers.ValueInfo, flag string) (*layers.Tensor, []int64, error) {
	x, labels, err := models.TestSet()
	if err != nil {
		return nil, nil, err
	}
	x, err = convert.FitToInput(x, in)
	if err != nil {
		return nil, nil, badInputf("%s is required: the embedded MNIST test set does not fit this model (%v)", flag, err)
	}
	return x, labels, nil
}

// calibrationData returns --calib (or the first --calib-samples of data).
func calibrationData(c *cli.Context, data *layers.Tensor, in layers.ValueInfo) (*layers.Tensor, error) {
	n := c.Int("calib-samples")
	if n < 1 {
		return nil, badInputf("--calib-samples %d: want at least 1", n)
	}
	if path := c.String("calib"); path != "" {
		x, err := loadSamples(path, c.Bool("scale-uint8"), in)
		if err != nil {
			return nil, err
		}
		return convert.Slice(x, 0, min(n, x.Shape[0])), nil
	}
	return convert.Slice(data, 0, min(n, data.Shape[0])), nil
}

// progressStages returns a convert.Options.Stage that draws a progress bar
// per stage on stderr when stderr is a terminal.
func progressStages(stderr io.Writer) func(string) convert.Progress {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(name string) convert.Progress {
		var bar *progressbar.ProgressBar
		return func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total,
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(fmt.Sprintf("%-10s", name)),
					progressbar.OptionShowCount(),
					progressbar.OptionSetWidth(30),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish(),
				)
			}
			bar.Set(done)
			if done >= total {
				bar.Finish()
			}
		}
	}
}

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:      "eval",
		Usage:     "convert a model to an FS-neuron SNN and report ANN vs SNN accuracy, spikes, synaptic operations and energy",
		ArgsUsage: "[MODEL.onnx]",
		Description: "Without MODEL.onnx, evaluates the embedded default model (or --model NAME) on the embedded MNIST test set.\n" +
			"--steps takes one K or a sweep (4,8,12,16,24); the summary and --json describe the first K, with the whole sweep\n" +
			"under \"sweep\". --report DIR writes report.md, report.json, sites.csv and PNG plots.",
		Flags: append(conversionFlags(),
			&cli.StringFlag{Name: "data", Usage: "evaluation inputs `X` (.npy float32/float64/uint8, or IDX)"},
			&cli.StringFlag{Name: "labels", Usage: "class labels `Y` (.npy integers or IDX); without labels only agreement and output fidelity are reported"},
			&cli.StringFlag{Name: "steps", Value: "16", Usage: "FS time steps `K`, or a comma-separated sweep"},
			&cli.IntFlag{Name: "limit", Usage: "evaluate only the first `N` samples (0 = all)"},
			&cli.StringFlag{Name: "report", Usage: "write a report to `DIR`"},
		),
		Action: func(c *cli.Context) error {
			// DESIGN.md puts the flags after MODEL.onnx.
			args, err := trailingFlags(c)
			if err != nil {
				return badInputf("eval: %w", err)
			}
			if err := checkConversionFlags(c); err != nil {
				return err
			}
			steps, err := convert.ParseSteps(c.String("steps"))
			if err != nil {
				return badInput(err)
			}
			so, err := siteOptions(c)
			if err != nil {
				return err
			}
			if dir := c.String("report"); dir != "" {
				if err := checkOutputDir("--report", dir); err != nil {
					return err
				}
			}
			lm, err := loadModel(c, args)
			if err != nil {
				return err
			}
			m, err := newModel(lm, c.Int("threads"))
			if err != nil {
				return err
			}
			var x *layers.Tensor
			var labels []int64
			switch {
			case c.String("data") != "":
				if x, err = loadSamples(c.String("data"), c.Bool("scale-uint8"), m.Input); err != nil {
					return err
				}
			case c.String("labels") != "":
				return badInputf("--labels needs --data")
			default:
				if x, labels, err = embeddedTestSet(m.Input, "--data"); err != nil {
					return err
				}
			}
			if path := c.String("labels"); path != "" {
				if labels, err = dataset.LoadLabels(path); err != nil {
					return badInput(err)
				}
				if len(labels) != x.Shape[0] {
					return badInputf("%s: %d labels for %d samples in %s", path, len(labels), x.Shape[0], c.String("data"))
				}
			}
			if lim := c.Int("limit"); lim > 0 && lim < x.Shape[0] {
				x = convert.Slice(x, 0, lim)
				if labels != nil {
					labels = labels[:lim]
				}
			}
			calib, err := calibrationData(c, x, m.Input)
			if err != nil {
				return err
			}
			so.Steps = steps[0]
			if _, err := convert.FindSites(lm.graph, so); err != nil {
				return badInput(err)
			}
			opt := convert.Options{
				Steps: steps, Sites: so, Batch: c.Int("batch"),
				Fit:   fitOptions(c),
				Stage: progressStages(c.App.ErrWriter),
			}
			if _, err := convert.NewFitter(opt.Fit); err != nil {
				return badInput(err)
			}
			r, err := convert.Evaluate(m, x, calib, labels, opt)
			if err != nil {
				return runError(lm, err)
			}
			if dir := c.String("report"); dir != "" {
				if err := convert.WriteReport(dir, r); err != nil {
					return err
				}
				fmt.Fprintf(c.App.ErrWriter, "report written to %s\n", dir)
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, r.Brief())
			}
			convert.WriteSummary(c.App.Writer, r)
			return nil
		},
	}
}

func fitOptions(c *cli.Context) convert.FitOptions {
	return convert.FitOptions{Mode: c.String("fit"), Seed: c.Int64("seed"), SpikeBudget: c.Float64("spike-budget"), PerSite: c.Bool("fit-per-site"), SharedD: c.Bool("shared-d")}
}

// runError names the model in an error from running it. A user's model
// that loads but cannot run (an Expand to 2^40 elements, shapes that do
// not fit) is malformed input: exit 2.
func runError(lm *loadedModel, err error) error {
	if lm.embedded {
		return err
	}
	return badInputf("%s: %w", lm.name, err)
}

// newModel compiles the model; an unsupported operator is bad input.
func newModel(lm *loadedModel, threads int) (*convert.Model, error) {
	m, err := convert.NewModel(lm.name, lm.graph, threads)
	if err != nil {
		var unsup *layers.ErrUnsupported
		if errors.As(err, &unsup) || !lm.embedded {
			return nil, badInput(err)
		}
		return nil, err
	}
	return m, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
