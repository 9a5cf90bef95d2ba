package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// checkOutputDir fails before any work when dir cannot be made or written
// into: the nearest existing directory on its path must be a directory
// that takes a new file. It creates nothing that outlives the check.
func checkOutputDir(flag, dir string) error {
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return badInputf("%s %s: %s is not a directory", flag, dir, p)
		case err == nil:
			f, err := os.CreateTemp(p, ".fewspikes-check-*")
			if err != nil {
				return badInputf("%s %s: cannot write in %s: %w", flag, dir, p, errors.Unwrap(err))
			}
			name := f.Name()
			f.Close()
			os.Remove(name)
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return badInputf("%s %s: %w", flag, dir, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
}
