package onnx

import (
	"math"

	"github.com/fewspikes/fewspikes/layers"
)

// foldBatchNorm folds an inference BatchNormalization into the Conv or
// Gemm that feeds it, when that is exact: the producer's output is read by
// the BatchNormalization alone, and weights, bias and the four statistics
// are constants. With s = scale/√(var+ε) per output channel,
//
//	W' = W·s,  B' = (B − mean)·s + bias.
//
// New initializers are made (weights may be shared). Other
// BatchNormalizations stay standalone.
func foldBatchNorm(g *layers.Graph) {
	r := newRewriter(g)
	for _, bn := range g.Nodes {
		if bn.Op != "BatchNormalization" || len(bn.Inputs) != 5 || len(bn.Outputs) == 0 {
			continue
		}
		if len(bn.Outputs) > 1 && anyUsed(r, bn.Outputs[1:]) {
			continue
		}
		prod := r.node(bn.Inputs[0], "Conv", "Gemm")
		if prod == nil || len(prod.Inputs) < 2 || !r.private(bn.Inputs[0], bn) {
			continue
		}
		s, shift, ok := bnAffine(g, bn)
		if !ok {
			continue
		}
		var w, b *layers.Tensor
		switch prod.Op {
		case "Conv":
			w, b, ok = foldConv(g, prod, s, shift)
		case "Gemm":
			w, b, ok = foldGemm(g, prod, s, shift)
		}
		if !ok {
			continue
		}
		wName := uniqueName(g, prod.Name+"_bn_weight")
		g.Initializers[wName] = w
		bName := uniqueName(g, prod.Name+"_bn_bias")
		g.Initializers[bName] = b
		prod.Inputs = []string{prod.Inputs[0], wName, bName}
		if prod.Op == "Gemm" {
			prod.Attrs["beta"] = float32(1)
			prod.Attrs["alpha"] = float32(1)
		}
		prod.Outputs = []string{bn.Outputs[0]}
		r.removed[bn] = true
	}
	r.commit()
}

func anyUsed(r *rewriter, names []string) bool {
	for _, o := range names {
		if o != "" && (len(r.consumers[o]) > 0 || r.outputs[o]) {
			return true
		}
	}
	return false
}

// bnAffine returns the per-channel multiplier s and offset so that
// BN(y) = y·s + shift, computed in float64.
func bnAffine(g *layers.Graph, bn *layers.Node) (s, shift []float64, ok bool) {
	var p [4]*layers.Tensor
	for i := range p {
		p[i] = g.Initializers[bn.Inputs[i+1]]
		if p[i] == nil || p[i].DType != layers.Float32 || len(p[i].Shape) != 1 {
			return nil, nil, false
		}
	}
	c := p[0].Len()
	for _, t := range p {
		if t.Len() != c {
			return nil, nil, false
		}
	}
	eps := float64(bn.Attrs.Float("epsilon", 1e-5))
	s, shift = make([]float64, c), make([]float64, c)
	for i := range c {
		s[i] = float64(p[0].F[i]) / math.Sqrt(float64(p[3].F[i])+eps)
		shift[i] = float64(p[1].F[i]) - float64(p[2].F[i])*s[i]
	}
	return s, shift, true
}

// foldConv scales a Conv's weights [M, C/group, k...] per output channel.
func foldConv(g *layers.Graph, conv *layers.Node, s, shift []float64) (w, b *layers.Tensor, ok bool) {
	w0 := g.Initializers[conv.Inputs[1]]
	if w0 == nil || w0.DType != layers.Float32 || len(w0.Shape) < 3 || w0.Shape[0] != len(s) {
		return nil, nil, false
	}
	var b0 *layers.Tensor
	if len(conv.Inputs) > 2 && conv.Inputs[2] != "" {
		if b0 = g.Initializers[conv.Inputs[2]]; b0 == nil || b0.DType != layers.Float32 || b0.Len() != len(s) {
			return nil, nil, false
		}
	}
	w = w0.Clone()
	per := w.Len() / len(s)
	for m := range s {
		for i := m * per; i < (m+1)*per; i++ {
			w.F[i] = float32(float64(w.F[i]) * s[m])
		}
	}
	return w, foldBias(b0, s, shift), true
}

// foldGemm scales a Gemm's output columns. Y = alpha·A·B + beta·C; the
// result has alpha and beta 1 and a bias of shape [N].
func foldGemm(g *layers.Graph, gemm *layers.Node, s, shift []float64) (w, b *layers.Tensor, ok bool) {
	w0 := g.Initializers[gemm.Inputs[1]]
	if w0 == nil || w0.DType != layers.Float32 || len(w0.Shape) != 2 {
		return nil, nil, false
	}
	transB := gemm.Attrs.Int("transB", 0) != 0
	n := w0.Shape[1]
	if transB {
		n = w0.Shape[0]
	}
	if n != len(s) {
		return nil, nil, false
	}
	alpha := float64(gemm.Attrs.Float("alpha", 1))
	beta := float64(gemm.Attrs.Float("beta", 1))
	var c []float64
	if len(gemm.Inputs) > 2 && gemm.Inputs[2] != "" {
		c0 := g.Initializers[gemm.Inputs[2]]
		if c0 == nil || c0.DType != layers.Float32 {
			return nil, nil, false
		}
		// Only a C that is the same for every row folds into a bias.
		switch {
		case c0.Len() == 1:
			c = make([]float64, n)
			for i := range c {
				c[i] = beta * float64(c0.F[0])
			}
		case c0.Len() == n && (len(c0.Shape) == 1 || len(c0.Shape) == 2 && c0.Shape[0] == 1):
			c = make([]float64, n)
			for i := range c {
				c[i] = beta * float64(c0.F[i])
			}
		default:
			return nil, nil, false
		}
	}
	w = w0.Clone()
	rows, cols := w.Shape[0], w.Shape[1]
	for i := range rows {
		for j := range cols {
			m := j
			if transB {
				m = i
			}
			w.F[i*cols+j] = float32(float64(w.F[i*cols+j]) * alpha * s[m])
		}
	}
	b = layers.New(n)
	for m := range n {
		cm := 0.0
		if c != nil {
			cm = c[m]
		}
		b.F[m] = float32(cm*s[m] + shift[m])
	}
	return w, b, true
}

func foldBias(b0 *layers.Tensor, s, shift []float64) *layers.Tensor {
	b := layers.New(len(s))
	for m := range s {
		bm := 0.0
		if b0 != nil {
			bm = float64(b0.F[m])
		}
		b.F[m] = float32(bm*s[m] + shift[m])
	}
	return b
}
