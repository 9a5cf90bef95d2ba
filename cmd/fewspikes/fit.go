package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/fewspikes/fewspikes/fsfit"
	"github.com/fewspikes/fewspikes/internal/atomicfile"
)

func fitCommand() *cli.Command {
	return &cli.Command{
		Name:  "fit",
		Usage: "fit a K-step few-spikes neuron to an activation function",
		Description: "Fits thresholds T, resets h and output weights d of an FS neuron so that its output\n" +
			"approximates the activation on a range, and reports MSE, max error and spikes per input.\n" +
			"--bench compares the initialisations at K = 4, 8, 12, 16.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "act", Usage: "activation (" + strings.Join(fsfit.Names(), ", ") + ")"},
			&cli.IntFlag{Name: "steps", Aliases: []string{"k"}, Usage: "time steps K (1.." + strconv.Itoa(fsfit.MaxSteps) + ")"},
			&cli.StringFlag{Name: "init", Value: fsfit.InitAuto, Usage: "initialisation: " + strings.Join(fsfit.Inits(), ", ")},
			&cli.StringFlag{Name: "range", Usage: "input range LO:HI (default: the activation's)"},
			&cli.IntFlag{Name: "points", Value: 100000, Usage: "evenly spaced points the error is measured on"},
			&cli.IntFlag{Name: "epochs", Usage: "Adam epochs per phase (0: the method's default)"},
			&cli.Int64Flag{Name: "seed", Usage: "random seed"},
			&cli.BoolFlag{Name: "thorough", Usage: "auto init: search about twice as long (as the embedded library)"},
			&cli.Float64Flag{Name: "alpha", Usage: "leaky_relu slope, elu alpha or hard_sigmoid alpha (default: the catalogue's)"},
			&cli.Float64Flag{Name: "beta", Usage: "hard_sigmoid beta (default 0.5)"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object on stdout"},
			&cli.StringFlag{Name: "out", Usage: "write the parameters as JSON to this file"},
			&cli.StringFlag{Name: "plot", Usage: "write a PNG of f, the FS approximation and the error"},
			&cli.BoolFlag{Name: "bench", Usage: "compare the initialisations at K = 4, 8, 12, 16 (default activation swish)"},
		},
		Action: fitAction,
		// An unknown or malformed flag is bad input: exit 2.
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return badInputf("fit: %v", err)
		},
	}
}

// fitJSON is the --json output and the --out file (DESIGN.md keys).
type fitJSON struct {
	Activation     string     `json:"activation"`
	Alpha          float64    `json:"alpha,omitempty"`
	Beta           float64    `json:"beta,omitempty"`
	Steps          int        `json:"steps"`
	Init           string     `json:"init"`
	Range          [2]float64 `json:"range"`
	Points         int        `json:"points"`
	Seed           int64      `json:"seed"`
	MSE            float64    `json:"mse"`
	MaxAbsError    float64    `json:"max_abs_error"`
	SpikesPerInput float64    `json:"spikes_per_input"`
	Seconds        float64    `json:"seconds"`
	CPUSeconds     float64    `json:"cpu_seconds"`
	H              []float64  `json:"h"`
	T              []float64  `json:"T"`
	D              []float64  `json:"d"`
}

// fitFlags are the validated flags of one fit.
type fitFlags struct {
	act  fsfit.Activation
	k    int
	opt  fsfit.Options
	json bool
	out  string
	plot string
}

func parseFitFlags(c *cli.Context, bench bool) (fitFlags, error) {
	var ff fitFlags
	if c.Args().Len() > 0 {
		return ff, badInputf("fit: unexpected argument %q", c.Args().First())
	}
	name := c.String("act")
	if name == "" {
		if !bench {
			return ff, badInputf("fit: --act is required (one of %s)", strings.Join(fsfit.Names(), ", "))
		}
		name = "swish"
	}
	act, err := fsfit.Lookup(name)
	if err != nil {
		return ff, badInputf("fit: --act: %v", err)
	}
	if c.IsSet("alpha") || c.IsSet("beta") {
		alpha, beta := act.Alpha, act.Beta
		if c.IsSet("alpha") {
			alpha = c.Float64("alpha")
		}
		if c.IsSet("beta") {
			beta = c.Float64("beta")
		}
		if math.IsNaN(alpha) || math.IsInf(alpha, 0) || math.IsNaN(beta) || math.IsInf(beta, 0) {
			return ff, badInputf("fit: --alpha/--beta must be finite")
		}
		act = act.WithParams(alpha, beta)
	}
	ff.act = act
	if !bench {
		if !c.IsSet("steps") {
			return ff, badInputf("fit: --steps is required (1..%d)", fsfit.MaxSteps)
		}
		ff.k = c.Int("steps")
		if ff.k < 1 || ff.k > fsfit.MaxSteps {
			return ff, badInputf("fit: --steps %d out of range 1..%d", ff.k, fsfit.MaxSteps)
		}
	}
	init := c.String("init")
	valid := false
	for _, s := range fsfit.Inits() {
		valid = valid || s == init
	}
	if !valid {
		return ff, badInputf("fit: --init %q unknown (valid: %s)", init, strings.Join(fsfit.Inits(), ", "))
	}
	ff.opt = fsfit.Options{Init: init, Lo: act.Lo, Hi: act.Hi, Points: c.Int("points"),
		Epochs: c.Int("epochs"), Seed: c.Int64("seed"), Thorough: c.Bool("thorough")}
	if r := c.String("range"); r != "" {
		lo, hi, err := parseRange(r)
		if err != nil {
			return ff, badInputf("fit: --range: %v", err)
		}
		ff.opt.Lo, ff.opt.Hi = lo, hi
	}
	if ff.opt.Points < 2 || ff.opt.Points > fsfit.MaxPoints {
		return ff, badInputf("fit: --points %d out of range 2..%d", ff.opt.Points, fsfit.MaxPoints)
	}
	if ff.opt.Epochs < 0 || ff.opt.Epochs > fsfit.MaxEpochs {
		return ff, badInputf("fit: --epochs %d out of range 0..%d", ff.opt.Epochs, fsfit.MaxEpochs)
	}
	ff.json, ff.out, ff.plot = c.Bool("json"), c.String("out"), c.String("plot")
	return ff, nil
}

// parseRange parses "LO:HI" with LO < HI, both finite.
func parseRange(s string) (lo, hi float64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not LO:HI", s)
	}
	lo, err = strconv.ParseFloat(strings.TrimSpace(a), 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: bad LO: %w", s, err)
	}
	hi, err = strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: bad HI: %w", s, err)
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, fmt.Errorf("%q: bounds must be finite", s)
	}
	if !(lo < hi) {
		return 0, 0, fmt.Errorf("%q is empty or inverted (need LO < HI)", s)
	}
	return lo, hi, nil
}

func fitAction(c *cli.Context) error {
	bench := c.Bool("bench")
	ff, err := parseFitFlags(c, bench)
	if err != nil {
		return err
	}
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	if bench {
		return fitBench(stdout, stderr, ff)
	}
	opt := ff.opt
	bar := newLazyBar(stderr, fmt.Sprintf("fit %s K=%d", ff.act.Name, ff.k))
	opt.Progress = bar.progress
	res, err := fsfit.Fit(ff.act, ff.k, opt)
	bar.finish()
	if err != nil {
		return badInputf("fit: %v", err)
	}
	out := fitJSON{Activation: ff.act.Name, Alpha: ff.act.Alpha, Beta: ff.act.Beta, Steps: ff.k,
		Init: res.Init, Range: [2]float64{res.Lo, res.Hi}, Points: res.Points, Seed: opt.Seed,
		MSE: res.MSE, MaxAbsError: res.MaxAbsError, SpikesPerInput: res.SpikesPerInput,
		Seconds: res.Seconds, CPUSeconds: res.CPUSeconds, H: res.H, T: res.T, D: res.D}
	if ff.out != "" {
		data, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return fmt.Errorf("fit: encode %s: %w", ff.out, err)
		}
		if err := atomicfile.WriteFile(ff.out, append(data, '\n')); err != nil {
			return fmt.Errorf("fit: %w", err)
		}
	}
	if ff.plot != "" {
		if err := writeFitPlot(ff.plot, ff.act, res); err != nil {
			return fmt.Errorf("fit: plot: %w", err)
		}
	}
	if ff.json {
		enc := json.NewEncoder(stdout)
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "%s K=%d init=%s range [%g, %g], %d points\n", ff.act.Name, ff.k, res.Init, res.Lo, res.Hi, res.Points)
	fmt.Fprintf(stdout, "mse %.4e  max_abs_error %.4f  spikes/input %.3f  %.2fs (%.2fs CPU)\n", res.MSE, res.MaxAbsError, res.SpikesPerInput, res.Seconds, res.CPUSeconds)
	fmt.Fprintf(stdout, "%4s %12s %12s %12s\n", "t", "h", "T", "d")
	for t := range res.H {
		fmt.Fprintf(stdout, "%4d %12.6f %12.6f %12.6f\n", t, res.H[t], res.T[t], res.D[t])
	}
	return nil
}

// lazyBar shows a progress bar on stderr only once a fit has run for a
// moment, so quick fits print nothing.
type lazyBar struct {
	w     io.Writer
	desc  string
	start time.Time
	bar   *progressbar.ProgressBar
}

func newLazyBar(w io.Writer, desc string) *lazyBar {
	return &lazyBar{w: w, desc: desc, start: time.Now()}
}

func (l *lazyBar) progress(done, total int) {
	if l.bar == nil {
		if time.Since(l.start) < 500*time.Millisecond || done >= total {
			return
		}
		l.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(l.w),
			progressbar.OptionSetDescription(l.desc), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	l.bar.ChangeMax(total)
	l.bar.Set(done)
}

func (l *lazyBar) finish() {
	if l.bar != nil {
		l.bar.Finish()
		fmt.Fprintln(l.w)
	}
}

// writeFitPlot draws f, the FS output and the error over the range.
func writeFitPlot(path string, act fsfit.Activation, res *fsfit.Result) error {
	const n = 2000
	xs := fsfit.Linspace(res.Lo, res.Hi, n)
	fv, fs, ev := make(plotter.XYs, n), make(plotter.XYs, n), make(plotter.XYs, n)
	for i, x := range xs {
		y := act.F(x)
		o, _ := res.Forward(x)
		fv[i] = plotter.XY{X: x, Y: y}
		fs[i] = plotter.XY{X: x, Y: o}
		ev[i] = plotter.XY{X: x, Y: o - y}
	}
	top := plot.New()
	top.Title.Text = fmt.Sprintf("%s, FS K=%d (%s): MSE %.3g, %.2f spikes/input", act.Name, res.K(), res.Init, res.MSE, res.SpikesPerInput)
	top.X.Label.Text = "x"
	top.Y.Label.Text = "output"
	bottom := plot.New()
	bottom.X.Label.Text = "x"
	bottom.Y.Label.Text = "FS - f"
	lf, err := plotter.NewLine(fv)
	if err != nil {
		return err
	}
	lf.Color = color.RGBA{B: 200, A: 255}
	ls, err := plotter.NewLine(fs)
	if err != nil {
		return err
	}
	ls.Color = color.RGBA{R: 220, A: 255}
	le, err := plotter.NewLine(ev)
	if err != nil {
		return err
	}
	le.Color = color.RGBA{R: 120, G: 60, B: 0, A: 255}
	top.Add(lf, ls, plotter.NewGrid())
	top.Legend.Add(act.Name, lf)
	top.Legend.Add("FS", ls)
	top.Legend.Top, top.Legend.Left = true, true
	bottom.Add(le, plotter.NewGrid())

	img := vgimg.New(8*vg.Inch, 7*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(10), PadX: vg.Points(10), PadTop: vg.Points(5), PadBottom: vg.Points(5)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// fitBench fits act at K = 4, 8, 12, 16 with every initialisation and
// prints a Markdown table.
func fitBench(stdout, stderr io.Writer, ff fitFlags) error {
	type row struct {
		K    int
		Init string
		Res  *fsfit.Result
	}
	var rows []row
	if !ff.json {
		fmt.Fprintf(stdout, "%s on [%g, %g], errors on %d evenly spaced points; seconds are wall time of one fit on this machine.\n\n",
			ff.act.Name, ff.opt.Lo, ff.opt.Hi, ff.opt.Points)
		fmt.Fprintln(stdout, "| K | init | MSE | max abs error | spikes/input | seconds (wall) | CPU seconds |")
		fmt.Fprintln(stdout, "|---|------|-----|---------------|--------------|----------------|-------------|")
	}
	for _, k := range []int{4, 8, 12, 16} {
		for _, name := range []string{fsfit.InitRandom, fsfit.InitStockl, fsfit.InitTBPI, fsfit.InitAuto, "auto --thorough"} {
			init := strings.TrimSuffix(name, " --thorough")
			if init == fsfit.InitStockl {
				if _, err := fsfit.Stockl(ff.act, k); err != nil {
					continue
				}
			}
			opt := ff.opt
			opt.Init = init
			opt.Thorough = name != init
			bar := newLazyBar(stderr, fmt.Sprintf("%s K=%d", name, k))
			opt.Progress = bar.progress
			res, err := fsfit.Fit(ff.act, k, opt)
			bar.finish()
			if err != nil {
				return fmt.Errorf("fit bench: %s K=%d: %w", name, k, err)
			}
			rows = append(rows, row{k, name, res})
			if ff.json {
				continue
			}
			fmt.Fprintf(stdout, "| %d | %s | %.3e | %.4f | %.2f | %.2f | %.2f |\n", k, name, res.MSE, res.MaxAbsError, res.SpikesPerInput, res.Seconds, res.CPUSeconds)
		}
	}
	if !ff.json {
		return nil
	}
	type jrow struct {
		Steps          int     `json:"steps"`
		Init           string  `json:"init"`
		MSE            float64 `json:"mse"`
		MaxAbsError    float64 `json:"max_abs_error"`
		SpikesPerInput float64 `json:"spikes_per_input"`
		Seconds        float64 `json:"seconds"`
		CPUSeconds     float64 `json:"cpu_seconds"`
	}
	out := struct {
		Activation string     `json:"activation"`
		Range      [2]float64 `json:"range"`
		Points     int        `json:"points"`
		Rows       []jrow     `json:"rows"`
	}{Activation: ff.act.Name, Range: [2]float64{ff.opt.Lo, ff.opt.Hi}, Points: ff.opt.Points}
	for _, r := range rows {
		out.Rows = append(out.Rows, jrow{r.K, r.Init, r.Res.MSE, r.Res.MaxAbsError, r.Res.SpikesPerInput, r.Res.Seconds, r.Res.CPUSeconds})
	}
	return json.NewEncoder(stdout).Encode(out)
}
