package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/fewspikes/fewspikes/convert"
	"github.com/fewspikes/fewspikes/internal/npy"
	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/models"
	"github.com/fewspikes/fewspikes/onnx"
)

// TestConvertRoundTrip converts an embedded model, loads the written
// snn.onnx back with onnx.Load and checks that it computes exactly what
// the FS-node SNN built from sites.json's parameters computes.
func TestConvertRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("converts a model")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"fewspikes", "convert", "--model", "mlp-silu", "--steps", "8", "--calib-samples", "64",
		"--out", dir, "--json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var sum struct {
		Model    string `json:"model"`
		Steps    int    `json:"steps"`
		Output   string `json:"output"`
		Verified bool   `json:"verified"`
		Sites    []struct {
			Node string  `json:"node"`
			MSE  float64 `json:"mse"`
		} `json:"sites"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("stdout: %v\n%s", err, stdout.String())
	}
	if sum.Model != "mlp-silu" || sum.Steps != 8 || sum.Output != filepath.Join(dir, "snn.onnx") || !sum.Verified || len(sum.Sites) == 0 {
		t.Fatalf("summary %+v", sum)
	}
	var full struct {
		Sites []convert.SiteReport `json:"sites"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "sites.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &full); err != nil {
		t.Fatalf("sites.json: %v", err)
	}

	md, err := models.Get("mlp-silu")
	if err != nil {
		t.Fatal(err)
	}
	ann, err := onnx.Decode(md.ONNX, "")
	if err != nil {
		t.Fatal(err)
	}
	sites, err := convert.FindSites(ann, convert.SiteOptions{Steps: 8})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]layers.FSParams{}
	for _, s := range full.Sites {
		if s.Input == nil || len(s.H) != 8 {
			t.Fatalf("site %s in sites.json lacks statistics or parameters", s.Node)
		}
		params[s.Node] = layers.FSParams{H: s.H, T: s.T, D: s.D, Bias: s.Bias}
	}
	snn, err := convert.BuildSNN(ann, sites, params)
	if err != nil {
		t.Fatal(err)
	}
	back, err := onnx.Load(sum.Output)
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := models.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	in := ann.Inputs[0]
	x, err = convert.FitToInput(convert.Slice(x, 0, 100), in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := runOnce(snn, map[string]*layers.Tensor{in.Name: x}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := runOnce(back, map[string]*layers.Tensor{in.Name: x}, 0)
	if err != nil {
		t.Fatal(err)
	}
	name := ann.Outputs[0].Name
	if got[name] == nil || got[name].Len() != want[name].Len() {
		t.Fatalf("reloaded SNN output %v, want %v", got[name], want[name])
	}
	for i, w := range want[name].F {
		if got[name].F[i] != w {
			t.Fatalf("output[%d] = %g from snn.onnx, %g from the FS graph", i, got[name].F[i], w)
		}
	}
}

// TestEvalJSONKeys evaluates an embedded model on a few samples and checks
// the keys DESIGN.md promises and their consistency.
func TestEvalJSONKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("converts and evaluates a model")
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"fewspikes", "eval", "--model", "mlp-silu", "--steps", "4,8", "--limit", "200",
		"--calib-samples", "100", "--json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	for _, k := range []string{"model", "steps", "samples", "ann_accuracy", "snn_accuracy", "agreement", "neurons",
		"spikes_per_neuron", "macs", "synops", "energy_pj", "sites", "sweep"} {
		if _, ok := v[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	if v["samples"].(float64) != 200 || v["steps"].(float64) != 4 || len(v["sweep"].([]any)) != 2 {
		t.Errorf("samples %v steps %v sweep %v", v["samples"], v["steps"], v["sweep"])
	}
	if acc := v["ann_accuracy"].(float64); acc < 0.9 {
		t.Errorf("ANN accuracy %g on the embedded test set", acc)
	}
	e := v["energy_pj"].(map[string]any)
	if e["ann"].(float64) != v["macs"].(float64)*convert.EnergyMACpJ {
		t.Errorf("ANN energy %v != MACs %v x %g", e["ann"], v["macs"], convert.EnergyMACpJ)
	}
	for _, s := range v["sites"].([]any) {
		site := s.(map[string]any)
		for _, k := range []string{"node", "activation", "neurons", "spikes_per_neuron", "mse"} {
			if _, ok := site[k]; !ok {
				t.Errorf("site key %q missing", k)
			}
		}
	}
}

func TestEvalBadInputExit2(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	y := filepath.Join(dir, "y.npy")
	writeNpy(t, x, layers.New(3, 1, 28, 28))
	writeNpy(t, y, layers.FromInt64([]int64{1, 2}, 2))
	for name, args := range map[string][]string{
		"missing model":   {"eval", filepath.Join(dir, "nope.onnx")},
		"missing data":    {"eval", "--data", filepath.Join(dir, "nope.npy")},
		"label mismatch":  {"eval", "--data", x, "--labels", y},
		"labels no data":  {"eval", "--labels", y},
		"unknown exclude": {"eval", "--data", x, "--exclude", "no-such-node"},
		"bad steps":       {"eval", "--steps", "4,x"},
		"zero steps":      {"convert", "--steps", "0"},
		"sweep convert":   {"convert", "--steps", "4,8"},
		"unknown model":   {"eval", "--model", "no-such-model"},
		"bad fit mode":    {"eval", "--data", x, "--fit", "magic"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"fewspikes"}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", name, code, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: wrote to stdout: %s", name, stdout.String())
		}
	}
}

func writeNpy(t *testing.T, path string, x *layers.Tensor) {
	t.Helper()
	if err := os.WriteFile(path, npy.Encode(x), 0o644); err != nil {
		t.Fatal(err)
	}
}
