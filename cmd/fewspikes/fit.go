package main

import "github.com/urfave/cli/v2"

// fitCommand is a placeholder until the fit command lands.
func fitCommand() *cli.Command {
	return &cli.Command{Name: "fit", Usage: "(not yet implemented)", Action: func(*cli.Context) error {
		return badInputf("fit: not implemented yet")
	}}
}
