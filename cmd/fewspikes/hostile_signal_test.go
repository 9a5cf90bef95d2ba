package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fewspikes/fewspikes/onnx"
)

// checkSNNDir checks that dir/snn.onnx is either the previous good file
// (sentinel) or a complete model that decodes, and that no temporary file
// is left beside it.
func checkSNNDir(t *testing.T, dir string) (replaced bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "snn.onnx"))
	if err != nil {
		t.Fatalf("snn.onnx is gone: %v", err)
	}
	if !bytes.Equal(b, sentinel) {
		if _, err := onnx.Decode(b, dir); err != nil {
			t.Fatalf("snn.onnx is partial or corrupt (%d bytes): %v", len(b), err)
		}
		replaced = true
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	return replaced
}

// TestConvertInterrupted sends SIGINT to `fewspikes convert` at several
// points of its work: the previous snn.onnx must survive intact or be
// replaced by a complete file, never a partial one.
func TestConvertInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and converts a model several times")
	}
	model := repoFile(t, "testdata/mlp.op13.dyn.onnx")
	calib := repoFile(t, "testdata/mlp.input.npy")
	bin := filepath.Join(t.TempDir(), "fewspikes")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The default fit mode fits FS parameters per activation: seconds of
	// work, so the signals land before, during and after the writes.
	for _, delay := range []time.Duration{50 * time.Millisecond, 1500 * time.Millisecond} {
		dir := filepath.Join(t.TempDir(), "snn")
		os.MkdirAll(dir, 0o755)
		writeFile(t, filepath.Join(dir, "snn.onnx"), sentinel)
		cmd := exec.Command(bin, "convert", model, "--calib", calib, "--out", dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGINT)
		signalled := time.Now()
		err := cmd.Wait()
		replaced := checkSNNDir(t, dir)
		took := time.Since(signalled)
		t.Logf("SIGINT after %v: exited %v later (%v), snn.onnx replaced: %v", delay, took.Round(time.Millisecond), err, replaced)
		// Nothing is written before the end, so ctrl-C need not wait for
		// the fits (it once waited 27 s for them).
		if took > 5*time.Second {
			t.Errorf("convert took %v to stop after SIGINT", took)
		}
	}
}

// TestConvertFailedWrite: when writing the results fails (sites.json is a
// directory), convert exits non-zero and does not leave a partial or
// half-replaced result.
func TestConvertFailedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("converts a model")
	}
	model := repoFile(t, "testdata/mlp.op13.dyn.onnx")
	calib := repoFile(t, "testdata/mlp.input.npy")
	dir := filepath.Join(t.TempDir(), "snn")
	os.MkdirAll(filepath.Join(dir, "sites.json"), 0o755) // cannot be replaced by a file
	writeFile(t, filepath.Join(dir, "snn.onnx"), sentinel)
	var stdout, stderr bytes.Buffer
	code := run([]string{"fewspikes", "convert", model, "--calib", calib, "--fit", "library", "--out", dir}, &stdout, &stderr)
	if code == 0 {
		t.Fatal("convert succeeded although sites.json cannot be written")
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Fatalf("panic: %s", stderr.String())
	}
	if checkSNNDir(t, dir) {
		t.Error("a failed convert replaced the previous snn.onnx")
	}
	t.Logf("exit %d: %s", code, strings.TrimSpace(stderr.String()))
}
