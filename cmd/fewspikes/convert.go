package main

import "github.com/urfave/cli/v2"

// convertCommand is a placeholder until the convert command lands.
func convertCommand() *cli.Command {
	return &cli.Command{Name: "convert", Usage: "(not yet implemented)", Action: func(*cli.Context) error {
		return badInputf("convert: not implemented yet")
	}}
}
