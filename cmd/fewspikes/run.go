package main

import "github.com/urfave/cli/v2"

// runCommand is a placeholder until the run command lands.
func runCommand() *cli.Command {
	return &cli.Command{Name: "run", Usage: "(not yet implemented)", Action: func(*cli.Context) error {
		return badInputf("run: not implemented yet")
	}}
}
