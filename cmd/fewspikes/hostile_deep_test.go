package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestDeepChainModel: a long chain of nodes (a big but legal graph) loads
// in bounded time and is inspected without recursion blowing the stack.
func TestDeepChainModel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100000-node model")
	}
	const n = 100000
	nodes := make([]pb, n)
	prev := "x"
	for i := range nodes {
		out := fmt.Sprintf("v%d", i)
		if i == n-1 {
			out = "y"
		}
		// Alternate ops so that no fusion pattern swallows the chain.
		op := []string{"Relu", "Neg", "Abs"}[i%3]
		nodes[i] = onnxNode(op, fmt.Sprintf("n%d", i), []string{prev}, []string{out})
		prev = out
	}
	// Reverse the order: the decoder must sort them.
	for i, j := 0, len(nodes)-1; i < j; i, j = i+1, j-1 {
		nodes[i], nodes[j] = nodes[j], nodes[i]
	}
	m := writeFile(t, filepath.Join(t.TempDir(), "deep.onnx"), onnxModel(13, onnxGraph(nodes, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)})))
	start := time.Now()
	var stdout, stderr bytes.Buffer
	code := run([]string{"fewspikes", "inspect", m}, &stdout, &stderr)
	t.Logf("inspect of %d nodes: exit %d in %v", n, code, time.Since(start))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

// TestWideModel: one value read by 50000 nodes (x*sigmoid(x)-like fan-out
// is what the fusion matchers inspect) whose outputs meet in one Sum.
func TestWideModel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 50000-node model")
	}
	const n = 50000
	var nodes []pb
	var outs []string
	for i := 0; i < n; i++ {
		out := fmt.Sprintf("s%d", i)
		nodes = append(nodes, onnxNode("Sigmoid", fmt.Sprintf("sig%d", i), []string{"x"}, []string{out}))
		m := fmt.Sprintf("m%d", i)
		nodes = append(nodes, onnxNode("Mul", fmt.Sprintf("mul%d", i), []string{"x", out}, []string{m}))
		outs = append(outs, m)
	}
	nodes = append(nodes, onnxNode("Sum", "sum", outs, []string{"y"}))
	m := writeFile(t, filepath.Join(t.TempDir(), "wide.onnx"), onnxModel(13, onnxGraph(nodes, nil, []pb{onnxValue("x", -1, 4)}, []pb{onnxValue("y", -1, 4)})))
	start := time.Now()
	var stdout, stderr bytes.Buffer
	code := run([]string{"fewspikes", "inspect", m}, &stdout, &stderr)
	t.Logf("inspect of %d nodes: exit %d in %v", 2*n+1, code, time.Since(start))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %v: super-linear work in the importer?", d)
	}
}
