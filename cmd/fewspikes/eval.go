package main

import "github.com/urfave/cli/v2"

// evalCommand is a placeholder until the eval command lands.
func evalCommand() *cli.Command {
	return &cli.Command{Name: "eval", Usage: "(not yet implemented)", Action: func(*cli.Context) error {
		return badInputf("eval: not implemented yet")
	}}
}
