package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An output folder that cannot be made is refused before any work, with
// exit code 2 and the flag named; nothing is created.
func TestUnwritableOutputRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"fewspikes", "convert", "--out", filepath.Join(file, "out")},
		{"fewspikes", "eval", "--report", filepath.Join(file, "report")},
	} {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		flag := args[2]
		if code != 2 || !strings.Contains(stderr.String(), flag) || !strings.Contains(stderr.String(), "not a directory") {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", args[1:], code, stderr.String(), flag)
		}
		if strings.Contains(stderr.String(), "calibrat") || stdout.Len() > 0 {
			t.Errorf("%v: work done before the refusal: %q", args[1:], stderr.String()+stdout.String())
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only the file", len(entries))
	}
	// A writable folder passes, and the check leaves nothing behind.
	if err := checkOutputDir("--out", filepath.Join(dir, "new", "out")); err != nil {
		t.Fatalf("writable: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the check left %d entries, want 1", len(entries))
	}
}
