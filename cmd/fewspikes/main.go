// Command fewspikes converts trained neural networks (ONNX) into spiking
// networks of few-spikes neurons and reports what the conversion costs.
// The interface is specified in DESIGN.md; each command lives in its own
// file and only parses flags and calls the packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// inputError marks a failure caused by the user's input (usage, unreadable
// or malformed model or data, unsupported operator): exit code 2.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

// badInput wraps err so that the command exits with code 2.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return inputError{err}
}

// badInputf formats a bad-input error.
func badInputf(format string, args ...any) error {
	return inputError{fmt.Errorf(format, args...)}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "fewspikes",
		Usage:     "convert ONNX networks to few-spikes SNNs and report accuracy, spikes and energy",
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			fitCommand(),
			inspectCommand(),
			runCommand(),
			convertCommand(),
			evalCommand(),
			benchCommand(),
		},
		// Usage errors (unknown flag, bad value) are bad input: exit 2.
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return badInput(err)
		},
		ExitErrHandler: func(*cli.Context, error) {},
		// Without this, an unknown command falls through to help and
		// fails with "No help topic" and exit 1.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return badInputf("unknown command %q (commands: fit, inspect, run, convert, eval, bench)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// exitCode maps an error to the process exit status of DESIGN.md.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ie inputError
	if errors.As(err, &ie) {
		return 2
	}
	return 1
}

func run(args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).Run(args)
	if err != nil {
		fmt.Fprintf(stderr, "fewspikes: %v\n", err)
	}
	return exitCode(err)
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}
