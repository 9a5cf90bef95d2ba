package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fewspikes/fewspikes/convert"
	"github.com/fewspikes/fewspikes/internal/dataset"
	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run an ONNX model on a batch of inputs and write its first output as .npy",
		ArgsUsage: "MODEL.onnx",
		Description: "Feeds X (.npy or MNIST IDX; its first axis is the batch) to the model's first input and\n" +
			"writes the model's first output to Y.npy. Samples are reshaped to the model's input shape\n" +
			"when the element counts agree. Models with a fixed batch size run in chunks of that size.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Usage: "input batch X (.npy or IDX; required)"},
			&cli.StringFlag{Name: "output", Usage: "where to write the output Y (.npy; required)"},
			&cli.BoolFlag{Name: "snn", Usage: "run the converted spiking network instead of the ANN"},
			&cli.IntFlag{Name: "steps", Value: 16, Usage: "FS time steps K for --snn"},
			&cli.IntFlag{Name: "batch", Value: 256, Usage: "samples per engine run (dynamic-batch models)"},
			&cli.IntFlag{Name: "threads", Usage: "threads (0: all cores)"},
			&cli.BoolFlag{Name: "scale-uint8", Aliases: []string{"scale-bytes"}, Usage: "divide uint8 input by 255"},
		},
		Action: runAction,
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return badInputf("run: %v", err)
		},
	}
}

func runAction(c *cli.Context) error {
	args, err := trailingFlags(c)
	if err != nil {
		return badInputf("run: %w", err)
	}
	if len(args) != 1 {
		return badInputf("run: want exactly one MODEL.onnx argument, got %d", len(args))
	}
	if c.String("input") == "" || c.String("output") == "" {
		return badInputf("run: --input and --output are required")
	}
	if c.Int("batch") < 1 || c.Int("threads") < 0 {
		return badInputf("run: --batch must be at least 1 and --threads not negative")
	}
	path := args[0]
	g, err := onnx.Load(path)
	if err != nil {
		return badInput(err)
	}
	in, err := modelDataInput(g)
	if err != nil {
		return badInputf("%s: %w", path, err)
	}
	x, err := dataset.LoadInputs(c.String("input"), dataset.Options{ScaleBytes: c.Bool("scale-uint8")})
	if err != nil {
		return badInputf("run: --input: %w", err)
	}
	if x, err = fitBatchToInput(x, in); err != nil {
		return badInputf("run: --input %s: %w", c.String("input"), err)
	}
	if c.Bool("snn") {
		if g, err = snnGraph(path, g, x, c.Int("steps"), c.Int("threads"), "auto"); err != nil {
			return err
		}
	}
	prog, err := layers.Compile(g, layers.Options{Threads: c.Int("threads")})
	if err != nil {
		return badInputf("%s: %w", path, err)
	}
	start := time.Now()
	y, err := runInChunks(prog, in, g.Outputs[0].Name, x, c.Int("batch"))
	if err != nil {
		// A model that loads but cannot run on fitting data (an Expand to
		// 2^40 elements) is malformed input.
		return badInputf("%s: %w", path, err)
	}
	if err := npy.WriteFile(c.String("output"), y); err != nil {
		return fmt.Errorf("run: writing --output: %w", err)
	}
	fmt.Fprintf(c.App.ErrWriter, "run: %d samples through %s in %.3f s; wrote %s %v to %s\n",
		x.Shape[0], path, time.Since(start).Seconds(), g.Outputs[0].Name, y.Shape, c.String("output"))
	return nil
}

// checkSteps checks an FS time-step count K given by --steps.
func checkSteps(k int) error {
	if k < 1 || k > convert.MaxSteps {
		return fmt.Errorf("--steps %d out of range 1..%d", k, convert.MaxSteps)
	}
	return nil
}

// trailingFlags sets the flags that follow the positional arguments (the
// command line of DESIGN.md puts them after MODEL.onnx, and the flag
// package stops at the first positional argument) and returns the
// positional arguments.
func trailingFlags(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var flag cli.Flag
		for _, f := range c.Command.Flags {
			if slices.Contains(f.Names(), name) {
				flag = f
			}
		}
		if flag == nil {
			return nil, fmt.Errorf("flag provided but not defined: -%s", name)
		}
		if !hasValue {
			if _, isBool := flag.(*cli.BoolFlag); isBool {
				value = "true"
			} else {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("flag needs an argument: -%s", name)
				}
				i++
				value = args[i]
			}
		}
		if err := c.Set(flag.Names()[0], value); err != nil {
			return nil, fmt.Errorf("invalid value %q for flag -%s: %w", value, name, err)
		}
	}
	return pos, nil
}

// modelDataInput returns the graph input that data is fed to: the first one
// that is not an initializer.
func modelDataInput(g *layers.Graph) (layers.ValueInfo, error) {
	if len(g.Outputs) == 0 {
		return layers.ValueInfo{}, fmt.Errorf("the model has no outputs")
	}
	for _, in := range g.Inputs {
		if _, ok := g.Initializers[in.Name]; !ok {
			return in, nil
		}
	}
	return layers.ValueInfo{}, fmt.Errorf("the model has no data input")
}

// fitBatchToInput checks a batch x (first axis = samples) against the
// model input in and reshapes each sample to the input's shape when the
// element counts agree (for example [N 784] for an [N 1 28 28] input). A
// single sample without the batch axis becomes a batch of one.
func fitBatchToInput(x *layers.Tensor, in layers.ValueInfo) (*layers.Tensor, error) {
	if in.DType == layers.Int64 && x.DType != layers.Int64 {
		x = layers.FromInt64(x.AsInt64(), x.Shape...)
	}
	if in.DType == layers.Float32 && x.DType != layers.Float32 {
		x = layers.FromFloat32(x.AsFloat32(), x.Shape...)
	}
	if len(in.Shape) == 0 {
		return nil, fmt.Errorf("model input %q is a scalar, not a batch", in.Name)
	}
	sample := in.Shape[1:]
	fixed := !slices.ContainsFunc(sample, func(d int) bool { return d < 0 })
	if len(x.Shape) == len(in.Shape)-1 && fixed && layers.NumElements(x.Shape) == layers.NumElements(sample) {
		x = &layers.Tensor{DType: x.DType, Shape: append([]int{1}, x.Shape...), F: x.F, I: x.I}
	}
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("a scalar is not a batch of samples")
	}
	if fixed {
		if got, want := layers.NumElements(x.Shape[1:]), layers.NumElements(sample); got != want {
			return nil, fmt.Errorf("samples of shape %v (%d values) do not fit model input %q of shape %v (%d values per sample)",
				x.Shape[1:], got, in.Name, in.Shape, want)
		}
		x = &layers.Tensor{DType: x.DType, Shape: append([]int{x.Shape[0]}, sample...), F: x.F, I: x.I}
		return x, nil
	}
	if len(x.Shape) != len(in.Shape) {
		return nil, fmt.Errorf("input of rank %d for model input %q of shape %v", len(x.Shape), in.Name, in.Shape)
	}
	for i, d := range sample {
		if d >= 0 && x.Shape[i+1] != d {
			return nil, fmt.Errorf("input shape %v does not match model input %q of shape %v", x.Shape, in.Name, in.Shape)
		}
	}
	return x, nil
}

// runInChunks runs prog over the samples of x, batch at a time (or the
// model's fixed batch size), and concatenates the output along the first
// axis.
func runInChunks(prog *layers.Program, in layers.ValueInfo, output string, x *layers.Tensor, batch int) (*layers.Tensor, error) {
	n := x.Shape[0]
	if fixed := in.Shape[0]; fixed > 0 {
		if n%fixed != 0 {
			return nil, fmt.Errorf("the model has a fixed batch of %d; %d samples is not a multiple", fixed, n)
		}
		batch = fixed
	}
	var y *layers.Tensor
	per := 0
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		outs, err := prog.Run(map[string]*layers.Tensor{in.Name: sliceBatch(x, lo, hi)})
		if err != nil {
			return nil, fmt.Errorf("samples %d..%d: %w", lo, hi-1, err)
		}
		part := outs[output]
		if part == nil || len(part.Shape) == 0 || part.Shape[0] != hi-lo {
			if lo == 0 && hi == n && part != nil {
				return part, nil // an output without a batch axis, computed in one run
			}
			return nil, fmt.Errorf("samples %d..%d: output %q is not a batch of %d (got %v)", lo, hi-1, output, hi-lo, part)
		}
		if y == nil {
			per = part.Len() / (hi - lo)
			shape := append([]int{n}, part.Shape[1:]...)
			if part.DType == layers.Int64 {
				y = layers.NewInt(shape...)
			} else {
				y = layers.New(shape...)
			}
		}
		if part.Len() != (hi-lo)*per || part.DType != y.DType {
			return nil, fmt.Errorf("samples %d..%d: output %q changed type or size per sample", lo, hi-1, output)
		}
		if y.DType == layers.Int64 {
			copy(y.I[lo*per:hi*per], part.I)
		} else {
			copy(y.F[lo*per:hi*per], part.F)
		}
	}
	return y, nil
}

// sliceBatch returns samples [lo, hi) of x, sharing its storage.
func sliceBatch(x *layers.Tensor, lo, hi int) *layers.Tensor {
	per := layers.NumElements(x.Shape[1:])
	t := &layers.Tensor{DType: x.DType, Shape: append([]int{hi - lo}, x.Shape[1:]...)}
	if x.DType == layers.Int64 {
		t.I = x.I[lo*per : hi*per]
	} else {
		t.F = x.F[lo*per : hi*per]
	}
	return t
}

// snnGraph converts g into its few-spikes network with K steps per site,
// calibrated on x, for `run --snn` and `bench`. mode is the fit mode of
// convert.FitOptions ("auto" fits where it beats the library; bench uses
// "library", since the parameters do not change the work).
func snnGraph(name string, g *layers.Graph, x *layers.Tensor, steps, threads int, mode string) (*layers.Graph, error) {
	if err := checkSteps(steps); err != nil {
		return nil, badInput(err)
	}
	m, err := convert.NewModel(name, g, threads)
	if err != nil {
		return nil, badInput(err)
	}
	opt := convert.Options{Steps: []int{steps}, Fit: convert.FitOptions{Mode: mode}}
	cal, err := m.CalibrateSites(x, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: calibration: %w", name, err)
	}
	fitter, err := convert.NewFitter(opt.Fit)
	if err != nil {
		return nil, err
	}
	conv, err := m.Convert(cal, steps, fitter, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: conversion: %w", name, err)
	}
	return conv.SNN, nil
}
