package layers

import (
	"fmt"
	"math"
)

// channelVector checks that t is a float32 vector of c elements.
func channelVector(t *Tensor, c int, what string) ([]float32, error) {
	if t.DType != Float32 {
		return nil, fmt.Errorf("%s is %v, want float32", what, t.DType)
	}
	if t.Len() != c {
		return nil, fmt.Errorf("%s has %d elements (shape %v), want %d", what, t.Len(), t.Shape, c)
	}
	return t.F, nil
}

// kBatchNorm is inference-mode batch normalisation: per channel (axis 1),
// y = (x - mean) / sqrt(var + epsilon) * scale + B, computed as one
// multiply-add per element.
func kBatchNorm(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 5); err != nil {
		return nil, err
	}
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input shape %v: want [N, C, ...]", x.Shape)
	}
	c := x.Shape[1]
	var vs [4][]float32
	for k, what := range []string{"scale", "B", "mean", "var"} {
		v, err := channelVector(in[k+1], c, what)
		if err != nil {
			return nil, err
		}
		vs[k] = v
	}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	a := make([]float32, c)
	b := make([]float32, c)
	for i := range a {
		s := float64(vs[0][i]) / math.Sqrt(float64(vs[3][i])+eps)
		a[i] = float32(s)
		b[i] = float32(float64(vs[1][i]) - float64(vs[2][i])*s)
	}
	inner := NumElements(x.Shape[2:])
	planes := x.Shape[0] * c
	out := ec.newFloat(x.Shape)
	ec.par(planes, x.Len(), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			s, t := a[ch], b[ch]
			src, dst := x.F[p*inner:(p+1)*inner], out.F[p*inner:(p+1)*inner]
			for i, v := range src {
				dst[i] = v*s + t
			}
		}
	})
	return []*Tensor{out}, nil
}

// normalizeGroup writes (x - mean) / sqrt(var + eps) of src into dst and
// returns mean and 1/sqrt(var + eps). Statistics in float64.
func normalizeGroup(src, dst []float32, eps float64) (mean, inv float64) {
	var s float64
	for _, v := range src {
		s += float64(v)
	}
	mean = s / float64(len(src))
	var q float64
	for _, v := range src {
		d := float64(v) - mean
		q += d * d
	}
	inv = 1 / math.Sqrt(q/float64(len(src))+eps)
	for i, v := range src {
		dst[i] = float32((float64(v) - mean) * inv)
	}
	return mean, inv
}

func kLayerNorm(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	if err := needFloat(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	r := len(x.Shape)
	if r == 0 {
		return nil, fmt.Errorf("input must have rank >= 1")
	}
	axis, err := normAxis(n.Attrs.Int("axis", -1), r)
	if err != nil {
		return nil, err
	}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	norm := x.Shape[axis:]
	size := NumElements(norm)
	expand := func(t *Tensor, what string) ([]float32, error) {
		if t.DType != Float32 {
			return nil, fmt.Errorf("%s is %v, want float32", what, t.DType)
		}
		s, err := bcastShape(t.Shape, norm)
		if err != nil || NumElements(s) != size {
			return nil, fmt.Errorf("%s shape %v does not broadcast to %v", what, t.Shape, norm)
		}
		v := make([]float32, size)
		bcastTo(t.F, t.Shape, norm, v)
		return v, nil
	}
	scale, err := expand(in[1], "scale")
	if err != nil {
		return nil, err
	}
	var bias []float32
	if len(in) > 2 && in[2] != nil {
		if bias, err = expand(in[2], "B"); err != nil {
			return nil, err
		}
	}
	rows := NumElements(x.Shape[:axis])
	statShape := append([]int(nil), x.Shape...)
	for i := axis; i < r; i++ {
		statShape[i] = 1
	}
	wantStats := len(n.Outputs) > 1
	var meanT, invT *Tensor
	if wantStats {
		meanT, invT = ec.newFloat(statShape), ec.newFloat(statShape)
	}
	out := ec.newFloat(x.Shape)
	if size == 0 {
		return []*Tensor{out, meanT, invT}, nil
	}
	ec.par(rows, x.Len()*3, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			dst := out.F[o*size : (o+1)*size]
			mean, inv := normalizeGroup(x.F[o*size:(o+1)*size], dst, eps)
			if bias != nil {
				for i := range dst {
					dst[i] = dst[i]*scale[i] + bias[i]
				}
			} else {
				for i := range dst {
					dst[i] *= scale[i]
				}
			}
			if wantStats {
				meanT.F[o], invT.F[o] = float32(mean), float32(inv)
			}
		}
	})
	return []*Tensor{out, meanT, invT}, nil
}

func kInstanceNorm(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input shape %v: want [N, C, ...]", x.Shape)
	}
	c := x.Shape[1]
	scale, err := channelVector(in[1], c, "scale")
	if err != nil {
		return nil, err
	}
	bias, err := channelVector(in[2], c, "B")
	if err != nil {
		return nil, err
	}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	inner := NumElements(x.Shape[2:])
	out := ec.newFloat(x.Shape)
	if inner == 0 {
		return []*Tensor{out}, nil
	}
	ec.par(x.Shape[0]*c, x.Len()*3, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			dst := out.F[p*inner : (p+1)*inner]
			normalizeGroup(x.F[p*inner:(p+1)*inner], dst, eps)
			for i := range dst {
				dst[i] = dst[i]*scale[ch] + bias[ch]
			}
		}
	})
	return []*Tensor{out}, nil
}

// kGroupNorm normalises each group of C/num_groups channels. Scale and bias
// have one value per group (opset 18) or per channel (opset 21); the size
// tells which.
func kGroupNorm(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input shape %v: want [N, C, ...]", x.Shape)
	}
	c := x.Shape[1]
	g := int(n.Attrs.Int("num_groups", 0))
	if g <= 0 || c%g != 0 {
		return nil, fmt.Errorf("num_groups %d does not divide %d channels", g, c)
	}
	per := c
	if in[1].Len() == g {
		per = g
	}
	scale, err := channelVector(in[1], per, "scale")
	if err != nil {
		return nil, err
	}
	bias, err := channelVector(in[2], per, "bias")
	if err != nil {
		return nil, err
	}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	inner := NumElements(x.Shape[2:])
	cpg := c / g
	size := cpg * inner
	out := ec.newFloat(x.Shape)
	if size == 0 {
		return []*Tensor{out}, nil
	}
	ec.par(x.Shape[0]*g, x.Len()*3, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			grp := p % g
			dst := out.F[p*size : (p+1)*size]
			normalizeGroup(x.F[p*size:(p+1)*size], dst, eps)
			for k := 0; k < cpg; k++ {
				idx := grp
				if per == c {
					idx = grp*cpg + k
				}
				s, b := scale[idx], bias[idx]
				row := dst[k*inner : (k+1)*inner]
				for i := range row {
					row[i] = row[i]*s + b
				}
			}
		}
	})
	return []*Tensor{out}, nil
}

// kLRN is local response normalisation across channels.
func kLRN(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needFloat(n, in, 0); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input shape %v: want [N, C, ...]", x.Shape)
	}
	size := int(n.Attrs.Int("size", 0))
	if size <= 0 {
		return nil, fmt.Errorf("size must be positive, got %d", size)
	}
	alpha := float64(n.Attrs.Float("alpha", 1e-4))
	beta := float64(n.Attrs.Float("beta", 0.75))
	bias := float64(n.Attrs.Float("bias", 1))
	c := x.Shape[1]
	inner := NumElements(x.Shape[2:])
	out := ec.newFloat(x.Shape)
	lo, hi := (size-1)/2, (size-1)-(size-1)/2
	for b := 0; b < x.Shape[0]; b++ {
		for ch := 0; ch < c; ch++ {
			for i := 0; i < inner; i++ {
				var sq float64
				for k := max(0, ch-lo); k <= min(c-1, ch+hi); k++ {
					v := float64(x.F[(b*c+k)*inner+i])
					sq += v * v
				}
				idx := (b*c+ch)*inner + i
				out.F[idx] = float32(float64(x.F[idx]) / math.Pow(bias+alpha/float64(size)*sq, beta))
			}
		}
	}
	return []*Tensor{out}, nil
}
