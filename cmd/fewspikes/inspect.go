package main

import "github.com/urfave/cli/v2"

// inspectCommand is a placeholder until the inspect command lands.
func inspectCommand() *cli.Command {
	return &cli.Command{Name: "inspect", Usage: "(not yet implemented)", Action: func(*cli.Context) error {
		return badInputf("inspect: not implemented yet")
	}}
}
