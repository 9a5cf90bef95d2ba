package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fewspikes/fewspikes/convert"
	"github.com/fewspikes/fewspikes/internal/atomicfile"
	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx"
)

// convertSummary is what convert prints (--json) and writes beside the
// SNN (sites.json holds the same with full site statistics).
type convertSummary struct {
	Model     string               `json:"model"`
	Steps     int                  `json:"steps"`
	Output    string               `json:"output"`
	SitesFile string               `json:"sites_file"`
	Calib     int                  `json:"calib_samples"`
	Seconds   float64              `json:"seconds"`
	Verified  bool                 `json:"verified"`
	Analog    []convert.AnalogOp   `json:"analog_ops"`
	Sites     []convert.SiteReport `json:"sites"`
}

func convertCommand() *cli.Command {
	return &cli.Command{
		Name:      "convert",
		Usage:     "convert a model to an SNN of FS neurons and write it as standard ONNX",
		ArgsUsage: "[MODEL.onnx]",
		Description: "Writes DIR/snn.onnx (every FS neuron unrolled into Greater, Cast, Mul, Sub and Add, runnable by any ONNX\n" +
			"runtime) and DIR/sites.json (each site's activation, K, h/T/d, fit error and input statistics). Without\n" +
			"MODEL.onnx, converts the embedded default model (or --model NAME), calibrated on the embedded MNIST test set.\n" +
			"The written file is loaded back and checked to give exactly the SNN's outputs.",
		Flags: append(conversionFlags(),
			&cli.StringFlag{Name: "steps", Value: "16", Usage: "FS time steps `K`"},
			&cli.StringFlag{Name: "out", Value: "fewspikes-out", Usage: "output `DIR`"},
		),
		Action: func(c *cli.Context) error {
			// DESIGN.md puts the flags after MODEL.onnx.
			args, err := trailingFlags(c)
			if err != nil {
				return badInputf("convert: %w", err)
			}
			if err := checkConversionFlags(c); err != nil {
				return err
			}
			steps, err := convert.ParseSteps(c.String("steps"))
			if err != nil {
				return badInput(err)
			}
			if len(steps) != 1 {
				return badInputf("convert takes one --steps K, not a sweep (use eval for sweeps)")
			}
			so, err := siteOptions(c)
			if err != nil {
				return err
			}
			so.Steps = steps[0]
			if err := checkOutputDir("--out", c.String("out")); err != nil {
				return err
			}
			lm, err := loadModel(c, args)
			if err != nil {
				return err
			}
			if _, err := convert.FindSites(lm.graph, so); err != nil {
				return badInput(err)
			}
			m, err := newModel(lm, c.Int("threads"))
			if err != nil {
				return err
			}
			var calib *layers.Tensor
			if c.String("calib") == "" {
				x, _, err := embeddedTestSet(m.Input, "--calib")
				if err != nil {
					return err
				}
				if calib, err = calibrationData(c, x, m.Input); err != nil {
					return err
				}
			} else if calib, err = calibrationData(c, nil, m.Input); err != nil {
				return err
			}
			stage := progressStages(c.App.ErrWriter)
			opt := convert.Options{Steps: steps, Sites: so, Batch: c.Int("batch"),
				Fit: fitOptions(c), Stage: stage}
			if stage != nil {
				opt.Fit.Progress = stage("fit")
			}
			fitter, err := convert.NewFitter(opt.Fit)
			if err != nil {
				return badInput(err)
			}
			start := time.Now()
			cal, err := m.CalibrateSites(calib, opt)
			if err != nil {
				return runError(lm, err)
			}
			conv, err := m.Convert(cal, steps[0], fitter, opt)
			if err != nil {
				return err
			}
			unrolled, err := convert.Unroll(conv.SNN)
			if err != nil {
				return err
			}
			data, err := onnx.Encode(unrolled)
			if err != nil {
				return fmt.Errorf("encode SNN: %w", err)
			}
			verified, err := verifyRoundTrip(m, conv.SNN, data, calib, c.Int("threads"))
			if err != nil {
				return err
			}
			dir := c.String("out")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("output directory: %w", err)
			}
			sum := convertSummary{Model: lm.name, Steps: steps[0], Output: filepath.Join(dir, "snn.onnx"),
				SitesFile: filepath.Join(dir, "sites.json"), Calib: cal.Samples, Verified: verified,
				Analog: conv.Analog, Sites: conv.SiteReports(cal), Seconds: time.Since(start).Seconds()}
			full, err := json.MarshalIndent(sum, "", "  ")
			if err != nil {
				return fmt.Errorf("encode sites.json: %w", err)
			}
			// sites.json first: if it cannot be written, the previous
			// snn.onnx stays untouched. A signal during the writes waits for
			// them to finish, so no temporary file is left behind; before
			// them nothing is written, so an interrupt ends the work at once.
			interrupted, stop := catchInterrupts()
			defer stop()
			if err := atomicfile.WriteFile(sum.SitesFile, append(full, '\n')); err != nil {
				return err
			}
			if err := atomicfile.WriteFile(sum.Output, data); err != nil {
				return err
			}
			if interrupted() {
				return fmt.Errorf("interrupted (after %s was completely written)", dir)
			}
			brief := sum
			brief.Sites = (&convert.Report{Sites: sum.Sites}).Brief().Sites
			if c.Bool("json") {
				return printJSON(c.App.Writer, brief)
			}
			w := c.App.Writer
			fmt.Fprintf(w, "converted %s: %d sites, K=%d, calibrated on %d samples, in %.2f s\n", lm.name, len(sum.Sites), steps[0], cal.Samples, sum.Seconds)
			fmt.Fprintf(w, "wrote %s (%d bytes, reloaded with identical outputs: %v) and %s\n\n", sum.Output, len(data), verified, sum.SitesFile)
			width := len("site")
			for _, s := range sum.Sites {
				width = max(width, len(s.Node))
			}
			fmt.Fprintf(w, "  %-*s %-11s %3s %8s %8s %10s %8s  %s\n", width, "site", "activation", "K", "neurons", "spk/in", "mse", "params", "input range")
			for _, s := range sum.Sites {
				fmt.Fprintf(w, "  %-*s %-11s %3d %8d %8.3f %10.3g %8s  [%.3g, %.3g]\n", width, s.Node, s.Activation, s.Steps, s.Neurons, float64(s.SpikesPerNeuron), s.MSE, s.SourceLabel(), s.Input.Min, s.Input.Max)
			}
			return nil
		},
	}
}

// catchInterrupts holds SIGINT and SIGTERM until stop is called, so
// that an interrupt cannot cut an output write short; interrupted reports
// whether one arrived. stop restores the default behaviour.
func catchInterrupts() (interrupted func() bool, stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return func() bool {
			select {
			case <-ch:
				return true
			default:
				return false
			}
		}, func() {
			signal.Stop(ch)
		}
}

// verifyRoundTrip decodes the encoded SNN, runs it and the FS-node SNN on
// (up to 64 of) the calibration samples and checks the outputs agree
// exactly (NaNs matching NaNs).
func verifyRoundTrip(m *convert.Model, snn *layers.Graph, data []byte, x *layers.Tensor, threads int) (bool, error) {
	back, err := onnx.Decode(data, "")
	if err != nil {
		return false, fmt.Errorf("reload written SNN: %w", err)
	}
	x = convert.Slice(x, 0, min(64, x.Shape[0]))
	in := map[string]*layers.Tensor{m.Input.Name: x}
	// The two runs are independent: run them side by side.
	var got map[string]*layers.Tensor
	var gotErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, gotErr = runOnce(back, in, threads)
	}()
	want, err := runOnce(snn, in, threads)
	<-done
	if err != nil {
		return false, fmt.Errorf("run SNN: %w", err)
	}
	if gotErr != nil {
		return false, fmt.Errorf("run reloaded SNN: %w", gotErr)
	}
	for name, w := range want {
		g := got[name]
		if g == nil || g.Len() != w.Len() {
			return false, fmt.Errorf("reloaded SNN: output %q missing or resized", name)
		}
		wf, gf := w.AsFloat32(), g.AsFloat32()
		for i := range wf {
			if wf[i] != gf[i] && !(math.IsNaN(float64(wf[i])) && math.IsNaN(float64(gf[i]))) {
				return false, fmt.Errorf("reloaded SNN: output %q[%d] = %g, SNN gives %g", name, i, gf[i], wf[i])
			}
		}
	}
	return true, nil
}

func runOnce(g *layers.Graph, in map[string]*layers.Tensor, threads int) (map[string]*layers.Tensor, error) {
	p, err := layers.Compile(g, layers.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	return p.Run(in)
}
