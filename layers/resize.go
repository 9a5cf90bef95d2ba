package layers

import (
	"math"
)

// Resize and Upsample, computed one axis at a time: along each resized axis
// every output index is a weighted sum of a few input indices (1 for
// nearest, 2 for linear, 4 for cubic), and N-linear or N-cubic
// interpolation is the composition of these 1-D passes.

// resizeOpts are the attributes of a Resize node after normalisation.
type resizeOpts struct {
	mode, coord, nearest string
	cubicA               float32
	excludeOutside       bool
	extrapolation        float32
	roi                  []float32 // tf_crop_and_resize: starts then ends, per axis
	fromScales           bool      // output sizes were computed from scales
}

// axisTaps lists, for each output index along one axis, the input indices
// and weights it sums; outside marks indices that take the extrapolation
// value (tf_crop_and_resize).
type axisTaps struct {
	taps    int
	idx     []int
	weight  []float32
	outside []bool
}

func resizeKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, nodeErr(n, "missing input 0 (X)")
	}
	x := in[0]
	if x.DType != Float32 {
		return nil, nodeErr(n, "input is %s, want float32", x.DType)
	}
	r := len(x.Shape)
	opts := resizeOpts{
		mode:           n.Attrs.String("mode", "nearest"),
		coord:          n.Attrs.String("coordinate_transformation_mode", "half_pixel"),
		nearest:        n.Attrs.String("nearest_mode", "round_prefer_floor"),
		cubicA:         n.Attrs.Float("cubic_coeff_a", -0.75),
		excludeOutside: n.Attrs.Int("exclude_outside", 0) != 0,
		extrapolation:  n.Attrs.Float("extrapolation_value", 0),
	}
	if n.Attrs.Int("antialias", 0) != 0 {
		return nil, nodeErr(n, "antialias is not supported")
	}
	scales := n.Attrs.Floats("scales", nil)
	sizes := n.Attrs.Ints("sizes", nil)
	if len(in) == 2 {
		// Opset 10: Resize(X, scales), which maps coordinates as Upsample
		// does (asymmetric, nearest rounds down, or up when shrinking).
		if s := optionalInput(in, 1); s != nil {
			scales = s.AsFloat32()
		}
		opts.coord = n.Attrs.String("coordinate_transformation_mode", "asymmetric")
		opts.nearest = n.Attrs.String("nearest_mode", "simple")
	} else {
		if roi := optionalInput(in, 1); roi != nil {
			opts.roi = roi.AsFloat32()
		}
		if s := optionalInput(in, 2); s != nil {
			scales = s.AsFloat32()
		}
		if s := optionalInput(in, 3); s != nil {
			sizes = s.AsInt64()
		}
	}
	if a := n.Attrs.Ints("axes", nil); a != nil {
		var err error
		if scales, sizes, opts.roi, err = expandAxes(n, r, a, scales, sizes, opts.roi, x.Shape); err != nil {
			return nil, err
		}
	}
	out := make([]int, r)
	scale := make([]float32, r)
	switch {
	case len(sizes) > 0:
		if len(sizes) != r {
			return nil, nodeErr(n, "sizes %v: want %d values", sizes, r)
		}
		policy := n.Attrs.String("keep_aspect_ratio_policy", "stretch")
		for d := range r {
			out[d] = int(sizes[d])
			scale[d] = float32(sizes[d]) / float32(x.Shape[d])
		}
		if policy != "stretch" {
			// One scale for all axes: the smallest or the largest.
			s := scale[0]
			for d := range r {
				if sizes[d] == int64(x.Shape[d]) && scale[d] == 1 {
					continue
				}
				if (policy == "not_larger" && scale[d] < s) || (policy == "not_smaller" && scale[d] > s) {
					s = scale[d]
				}
			}
			for d := range r {
				if out[d] != x.Shape[d] {
					scale[d] = s
					out[d] = int(math.Round(float64(s) * float64(x.Shape[d])))
				}
			}
		}
	case len(scales) > 0:
		opts.fromScales = true
		if len(scales) != r {
			return nil, nodeErr(n, "scales %v: want %d values", scales, r)
		}
		for d := range r {
			if !(scales[d] > 0) {
				return nil, nodeErr(n, "scales %v must be positive", scales)
			}
			scale[d] = scales[d]
			out[d] = int(float32(x.Shape[d]) * scales[d])
		}
	default:
		return nil, nodeErr(n, "neither scales nor sizes given")
	}
	y, err := resizeAxes(ec, n, x, out, scale, opts)
	if err != nil {
		return nil, err
	}
	return []*Tensor{y}, nil
}

// expandAxes turns scales, sizes and roi given for some axes (opset 18)
// into full-rank ones.
func expandAxes(n *Node, r int, axes []int64, scales []float32, sizes []int64, roi []float32, shape []int) ([]float32, []int64, []float32, error) {
	var fs []float32
	var fz []int64
	var fr []float32
	if len(scales) > 0 {
		fs = make([]float32, r)
		for i := range fs {
			fs[i] = 1
		}
	}
	if len(sizes) > 0 {
		fz = make([]int64, r)
		for i := range fz {
			fz[i] = int64(shape[i])
		}
	}
	if len(roi) > 0 {
		fr = make([]float32, 2*r)
		for i := range r {
			fr[i], fr[i+r] = 0, 1
		}
	}
	for i, a := range axes {
		if a < 0 {
			a += int64(r)
		}
		if a < 0 || a >= int64(r) {
			return nil, nil, nil, nodeErr(n, "axis %d out of range", axes[i])
		}
		if fs != nil && i < len(scales) {
			fs[a] = scales[i]
		}
		if fz != nil && i < len(sizes) {
			fz[a] = sizes[i]
		}
		if fr != nil && i+len(axes) < len(roi) {
			fr[a], fr[int(a)+r] = roi[i], roi[i+len(axes)]
		}
	}
	return fs, fz, fr, nil
}

// resizeAxes resizes x to shape out, one axis at a time.
func resizeAxes(ec *execContext, n *Node, x *Tensor, out []int, scale []float32, opts resizeOpts) (*Tensor, error) {
	r := len(x.Shape)
	total := 1
	for _, d := range out {
		if d < 1 {
			return nil, nodeErr(n, "output shape %v has an empty dimension", out)
		}
		if total > maxOutputElements/d {
			return nil, nodeErr(n, "output shape %v is too large", out)
		}
		total *= d
	}
	cur := x
	for d := range r {
		taps, err := computeTaps(n, d, x.Shape[d], out[d], scale[d], opts)
		if err != nil {
			return nil, err
		}
		if taps == nil {
			continue // identity along this axis
		}
		shape := append([]int(nil), cur.Shape...)
		shape[d] = out[d]
		next := ec.newFloat(shape) // every element is written below
		outer := NumElements(cur.Shape[:d])
		inner := NumElements(cur.Shape[d+1:])
		inLen := cur.Shape[d]
		src := cur.F
		if inner == 1 {
			// The last axis: each output row gathers from one input row.
			outLen := out[d]
			ec.parallelFor(outer, func(lo, hi int) {
				for o := lo; o < hi; o++ {
					srcRow := src[o*inLen : (o+1)*inLen]
					dstRow := next.F[o*outLen : (o+1)*outLen]
					if taps.taps == 1 && taps.outside == nil {
						// Nearest: a gather.
						for j := range dstRow {
							dstRow[j] = taps.weight[j] * srcRow[taps.idx[j]]
						}
						continue
					}
					if taps.taps == 2 && taps.outside == nil {
						// Linear: two taps per output, without the inner
						// loop (same arithmetic as below).
						for j := range dstRow {
							i0, i1 := taps.idx[2*j], taps.idx[2*j+1]
							var v float32
							v += taps.weight[2*j] * srcRow[i0]
							v += taps.weight[2*j+1] * srcRow[i1]
							dstRow[j] = v
						}
						continue
					}
					for j := range dstRow {
						if taps.outside != nil && taps.outside[j] {
							dstRow[j] = opts.extrapolation
							continue
						}
						idx := taps.idx[j*taps.taps : (j+1)*taps.taps]
						wt := taps.weight[j*taps.taps : (j+1)*taps.taps]
						var v float32
						for t, i := range idx {
							v += wt[t] * srcRow[i]
						}
						dstRow[j] = v
					}
				}
			})
			if cur != x {
				ec.release(cur.F) // an intermediate pass
			}
			cur = next
			continue
		}
		ec.parallelFor(outer*out[d], func(lo, hi int) {
			for job := lo; job < hi; job++ {
				o, j := job/out[d], job%out[d]
				dst := next.F[(o*out[d]+j)*inner : (o*out[d]+j+1)*inner]
				if taps.outside != nil && taps.outside[j] {
					fill(dst, opts.extrapolation)
					continue
				}
				if taps.taps == 2 && taps.weight[2*j] != 0 && taps.weight[2*j+1] != 0 {
					// Linear: one pass over the two source rows.
					w0, w1 := taps.weight[2*j], taps.weight[2*j+1]
					i0, i1 := taps.idx[2*j], taps.idx[2*j+1]
					s0 := src[(o*inLen+i0)*inner : (o*inLen+i0+1)*inner]
					s1 := src[(o*inLen+i1)*inner : (o*inLen+i1+1)*inner]
					s1 = s1[:len(s0)]
					dst = dst[:len(s0)]
					for e, v := range s0 {
						var a float32
						a += w0 * v
						a += w1 * s1[e]
						dst[e] = a
					}
					continue
				}
				clear(dst)
				for t := range taps.taps {
					w := taps.weight[j*taps.taps+t]
					if w == 0 {
						continue
					}
					i := taps.idx[j*taps.taps+t]
					s := src[(o*inLen+i)*inner : (o*inLen+i+1)*inner]
					if taps.taps == 1 && w == 1 {
						copy(dst, s)
						continue
					}
					for e, v := range s {
						dst[e] += w * v
					}
				}
			}
		})
		if cur != x {
			ec.release(cur.F)
		}
		cur = next
	}
	if cur == x {
		cur = x.Clone()
	}
	return cur, nil
}

// sourceCoord maps output index j along an axis to a (fractional) input
// coordinate, or reports that it lies outside the crop (tf_crop_and_resize).
//
// outLen is the resized length as a real number: in·scale when scales were
// given (not rounded), as the ONNX reference implementation computes it.
func sourceCoord(coord string, j, inLen int, outLen, scale float32, roiStart, roiEnd float32) (float32, bool, error) {
	x, s := float32(j), scale
	switch coord {
	case "half_pixel":
		return (x+0.5)/s - 0.5, false, nil
	case "half_pixel_symmetric":
		adj := outLen / (s * float32(inLen))
		center := float32(inLen) / 2
		return center*(1-adj) + (x+0.5)/s - 0.5, false, nil
	case "pytorch_half_pixel":
		if outLen > 1 {
			return (x+0.5)/s - 0.5, false, nil
		}
		return 0, false, nil
	case "align_corners":
		if outLen == 1 {
			return 0, false, nil
		}
		return x * float32(inLen-1) / (outLen - 1), false, nil
	case "asymmetric":
		return x / s, false, nil
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / s, false, nil
	case "tf_crop_and_resize":
		var v float32
		if outLen > 1 {
			v = roiStart*float32(inLen-1) + x*(roiEnd-roiStart)*float32(inLen-1)/(outLen-1)
		} else {
			v = 0.5 * (roiStart + roiEnd) * float32(inLen-1)
		}
		return v, v < 0 || v > float32(inLen-1), nil
	}
	return 0, false, fmtErr("unknown coordinate_transformation_mode %q", coord)
}

// computeTaps builds the 1-D interpolation of one axis, or nil when the
// axis is unchanged.
func computeTaps(n *Node, d, inLen, outLen int, scale float32, opts resizeOpts) (*axisTaps, error) {
	var roiStart, roiEnd float32 = 0, 1
	r := len(opts.roi) / 2
	if opts.coord == "tf_crop_and_resize" {
		if d >= r {
			return nil, nodeErr(n, "tf_crop_and_resize needs roi for every axis")
		}
		roiStart, roiEnd = opts.roi[d], opts.roi[d+r]
	}
	if inLen == outLen && scale == 1 && opts.coord != "tf_crop_and_resize" {
		return nil, nil
	}
	t := &axisTaps{}
	switch opts.mode {
	case "nearest":
		t.taps = 1
	case "linear":
		t.taps = 2
	case "cubic":
		t.taps = 4
	default:
		return nil, nodeErr(n, "unknown mode %q", opts.mode)
	}
	t.idx = make([]int, outLen*t.taps)
	t.weight = make([]float32, outLen*t.taps)
	for j := range outLen {
		lengthResized := float32(outLen)
		if opts.fromScales {
			lengthResized = float32(inLen) * scale
		}
		x, outside, err := sourceCoord(opts.coord, j, inLen, lengthResized, scale, roiStart, roiEnd)
		if err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		if outside {
			if t.outside == nil {
				t.outside = make([]bool, outLen)
			}
			t.outside[j] = true
			continue
		}
		idx, w := t.idx[j*t.taps:(j+1)*t.taps], t.weight[j*t.taps:(j+1)*t.taps]
		switch opts.mode {
		case "nearest":
			i, err := nearestIndex(opts.nearest, x, scale < 1)
			if err != nil {
				return nil, nodeErr(n, "%v", err)
			}
			idx[0], w[0] = min(max(i, 0), inLen-1), 1
		case "linear":
			x = min(max(x, 0), float32(inLen-1))
			i0 := int(x)
			i1 := min(i0+1, inLen-1)
			f := x - float32(i0)
			idx[0], idx[1] = i0, i1
			w[0], w[1] = 1-f, f
		case "cubic":
			i0 := int(math.Floor(float64(x)))
			f := x - float32(i0)
			var sum float32
			for k := range 4 {
				i := i0 - 1 + k
				wk := cubicWeight(opts.cubicA, float32(k-1)-f)
				if i < 0 || i >= inLen {
					if opts.excludeOutside {
						wk = 0
					}
					i = min(max(i, 0), inLen-1)
				}
				idx[k], w[k] = i, wk
				sum += wk
			}
			if opts.excludeOutside && sum != 0 {
				for k := range w {
					w[k] /= sum
				}
			}
		}
	}
	return t, nil
}

// cubicWeight is Keys' cubic convolution kernel with parameter a at
// distance s.
func cubicWeight(a, s float32) float32 {
	s = float32(math.Abs(float64(s)))
	switch {
	case s <= 1:
		return ((a+2)*s-(a+3))*s*s + 1
	case s < 2:
		return ((a*s-5*a)*s+8*a)*s - 4*a
	}
	return 0
}

// nearestIndex rounds a source coordinate according to nearest_mode.
// "simple" is the rule of Upsample and opset-10 Resize (as ONNX Runtime
// implements them): round down, or up when shrinking.
func nearestIndex(mode string, x float32, shrinking bool) (int, error) {
	fl := float32(math.Floor(float64(x)))
	switch mode {
	case "simple":
		if shrinking {
			return int(math.Ceil(float64(x))), nil
		}
		return int(fl), nil
	case "round_prefer_floor":
		if x-fl == 0.5 {
			return int(fl), nil
		}
		return int(math.Round(float64(x))), nil
	case "round_prefer_ceil":
		if x-fl == 0.5 {
			return int(fl) + 1, nil
		}
		return int(math.Round(float64(x))), nil
	case "floor":
		return int(fl), nil
	case "ceil":
		return int(math.Ceil(float64(x))), nil
	}
	return 0, fmtErr("unknown nearest_mode %q", mode)
}

// upsampleKernel computes ONNX Upsample (opsets 7-9): scales from the
// attribute (opset 7) or the second input (opset 9); modes nearest and
// linear with the asymmetric coordinate mapping.
func upsampleKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	x, err := floatInput(n, in, 0, "X")
	if err != nil {
		return nil, err
	}
	scales := n.Attrs.Floats("scales", nil)
	if s := optionalInput(in, 1); s != nil {
		scales = s.AsFloat32()
	}
	r := len(x.Shape)
	if len(scales) != r {
		return nil, nodeErr(n, "scales %v: want %d values", scales, r)
	}
	mode := n.Attrs.String("mode", "nearest")
	if mode == "bilinear" {
		mode = "linear"
	}
	opts := resizeOpts{mode: mode, coord: "asymmetric", nearest: "simple"}
	out := make([]int, r)
	for d := range r {
		if !(scales[d] >= 1) {
			return nil, nodeErr(n, "scales %v must be at least 1", scales)
		}
		out[d] = int(float32(x.Shape[d]) * scales[d])
	}
	y, err := resizeAxes(ec, n, x, out, scales, opts)
	if err != nil {
		return nil, err
	}
	return []*Tensor{y}, nil
}
