package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFitBadFlagsExit2(t *testing.T) {
	cases := []struct {
		args []string
		want string // in the error message
	}{
		{[]string{"fit", "--act", "sine", "--steps", "4"}, "softsign"}, // lists valid names
		{[]string{"fit", "--act", "swish", "--steps", "0"}, "--steps 0"},
		{[]string{"fit", "--act", "swish", "--steps", "65"}, "--steps 65"},
		{[]string{"fit", "--act", "swish"}, "--steps is required"},
		{[]string{"fit", "--steps", "4"}, "--act is required"},
		{[]string{"fit", "--act", "swish", "--steps", "4", "--range", "3:1"}, "inverted"},
		{[]string{"fit", "--act", "swish", "--steps", "4", "--range", "2:2"}, "empty"},
		{[]string{"fit", "--act", "swish", "--steps", "4", "--range", "x:1"}, "bad LO"},
		{[]string{"fit", "--act", "swish", "--steps", "4", "--range", "1"}, "LO:HI"},
		{[]string{"fit", "--act", "swish", "--steps", "4", "--points", "1"}, "--points 1"},
		{[]string{"fit", "--act", "swish", "--steps", "4", "--init", "magic"}, "magic"},
		{[]string{"fit", "--act", "swish", "--steps", "8", "--init", "stockl"}, "K=8"},
		{[]string{"fit", "--act", "swish", "--steps", "4", "--bogus"}, "bogus"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(append([]string{"fewspikes"}, c.args...), &out, &errb)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, errb.String())
			continue
		}
		if !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: stderr %q does not mention %q", c.args, errb.String(), c.want)
		}
		if strings.Count(strings.TrimSpace(errb.String()), "\n") > 2 {
			t.Errorf("%v: error is not short: %q", c.args, errb.String())
		}
	}
}

func TestFitJSONAndOut(t *testing.T) {
	dir := t.TempDir()
	params := filepath.Join(dir, "p.json")
	var out, errb bytes.Buffer
	code := run([]string{"fewspikes", "fit", "--act", "swish", "--steps", "16", "--init", "stockl",
		"--json", "--out", params}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m map[string]any
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	if dec.More() {
		t.Error("stdout holds more than one JSON value")
	}
	for _, k := range []string{"activation", "steps", "init", "range", "points", "mse", "max_abs_error",
		"spikes_per_input", "seconds", "h", "T", "d"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks key %q", k)
		}
	}
	if mse := m["mse"].(float64); mse < 3.41e-3 || mse > 3.48e-3 {
		t.Errorf("stockl swish mse %v, want 3.446e-3", mse)
	}
	data, err := os.ReadFile(params)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ H, T, D []float64 }
	if err := json.Unmarshal(data, &p); err != nil || len(p.H) != 16 || len(p.T) != 16 || len(p.D) != 16 {
		t.Errorf("--out file: %v, %d/%d/%d values", err, len(p.H), len(p.T), len(p.D))
	}
}
