package layers

import (
	"fmt"
	"slices"
)

// window describes a sliding window over the r spatial dimensions of an
// N×C×spatial tensor: the geometry Conv, ConvTranspose and the pools share.
// Input position i along dimension d of output position o and kernel
// offset k is o*stride[d] + k*dil[d] - padBegin[d].
type window struct {
	in, out, kernel, stride, dil, padBegin, padEnd []int
}

// rank returns the number of spatial dimensions.
func (w *window) rank() int { return len(w.in) }

// intsAttr reads an integer-list attribute of length r, or def (filled with
// fill) when absent.
func intsAttr(n *Node, name string, r int, fill int) ([]int, error) {
	v := n.Attrs.Ints(name, nil)
	if v == nil {
		out := make([]int, r)
		for i := range out {
			out[i] = fill
		}
		return out, nil
	}
	if len(v) != r {
		return nil, nodeErr(n, "attribute %s has %d values, want %d", name, len(v), r)
	}
	out := make([]int, r)
	for i, x := range v {
		out[i] = int(x)
	}
	return out, nil
}

// newWindow resolves the strides, dilations, pads and auto_pad attributes of
// n for spatial input sizes in and kernel sizes kernel, and computes the
// output sizes (floor, or ceil for pools with ceil_mode).
func newWindow(n *Node, in, kernel []int, ceil bool) (*window, error) {
	r := len(in)
	w := &window{in: in, kernel: kernel, out: make([]int, r)}
	var err error
	if w.stride, err = intsAttr(n, "strides", r, 1); err != nil {
		return nil, err
	}
	if w.dil, err = intsAttr(n, "dilations", r, 1); err != nil {
		return nil, err
	}
	pads, err := intsAttr(n, "pads", 2*r, 0)
	if err != nil {
		return nil, err
	}
	w.padBegin, w.padEnd = pads[:r], pads[r:]
	for d := range r {
		if w.stride[d] < 1 || w.dil[d] < 1 || kernel[d] < 1 {
			return nil, nodeErr(n, "kernel %v, strides %v and dilations %v must be positive", kernel, w.stride, w.dil)
		}
		if w.padBegin[d] < 0 || w.padEnd[d] < 0 {
			return nil, nodeErr(n, "negative pads %v", pads)
		}
	}
	autoPad := n.Attrs.String("auto_pad", "NOTSET")
	for d := range r {
		ek := (kernel[d]-1)*w.dil[d] + 1 // extent of the dilated kernel
		switch autoPad {
		case "NOTSET", "":
			span := in[d] + w.padBegin[d] + w.padEnd[d] - ek
			if span < 0 {
				return nil, nodeErr(n, "kernel extent %d exceeds padded input %d along spatial axis %d", ek, in[d]+w.padBegin[d]+w.padEnd[d], d)
			}
			w.out[d] = span/w.stride[d] + 1
			if ceil {
				w.out[d] = (span+w.stride[d]-1)/w.stride[d] + 1
				// A last window that would start in the end padding is dropped.
				if (w.out[d]-1)*w.stride[d] >= in[d]+w.padBegin[d] {
					w.out[d]--
				}
			}
		case "SAME_UPPER", "SAME_LOWER":
			w.out[d] = (in[d] + w.stride[d] - 1) / w.stride[d]
			total := max(0, (w.out[d]-1)*w.stride[d]+ek-in[d])
			if autoPad == "SAME_UPPER" {
				w.padBegin[d], w.padEnd[d] = total/2, total-total/2
			} else {
				w.padBegin[d], w.padEnd[d] = total-total/2, total/2
			}
		case "VALID":
			w.padBegin[d], w.padEnd[d] = 0, 0
			if in[d] < ek {
				return nil, nodeErr(n, "kernel extent %d exceeds input %d along spatial axis %d", ek, in[d], d)
			}
			w.out[d] = (in[d]-ek)/w.stride[d] + 1
		default:
			return nil, nodeErr(n, "unknown auto_pad %q", autoPad)
		}
		if w.out[d] < 1 {
			return nil, nodeErr(n, "empty output along spatial axis %d", d)
		}
	}
	return w, nil
}

// validRange returns the output positions [lo, hi) of [0, outN) whose input
// position o*stride + off lies in [0, inN).
func validRange(off, stride, inN, outN int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if inN-1-off < 0 {
		return 0, 0
	}
	hi = min((inN-1-off)/stride+1, outN)
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// im2col copies the receptive fields of one image (c channels of spatial
// size w.in) into col, a (c·∏kernel)×(∏out) matrix: row (ch, kernel offset),
// column output position; padding reads as zero. With scatter it does the
// adjoint instead: col is read and added into img (col2im), which is how
// ConvTranspose distributes each input pixel over its output window.
//
// With a non-nil packed, each row is built in col (then one row long) and
// handed to packed, which stores it in the GEMM's packed layout.
func im2col(w *window, c int, img, col []float32, scatter bool) {
	im2colRows(w, c, img, col, scatter, nil)
}

func im2colRows(w *window, c int, img, col []float32, scatter bool, packed func(row int, vals []float32)) {
	if w.rank() == 2 && !scatter {
		im2colRows2D(w, c, img, col, packed)
		return
	}
	r := w.rank()
	inSize, kSize, outSize := NumElements(w.in), NumElements(w.kernel), NumElements(w.out)
	inW, outW := w.in[r-1], w.out[r-1]
	outer := outSize / outW
	kpos := make([]int, r)
	row := 0
	for ch := range c {
		plane := img[ch*inSize : (ch+1)*inSize]
		for kidx := range kSize {
			rem := kidx
			for d := r - 1; d >= 0; d-- {
				kpos[d] = rem % w.kernel[d]
				rem /= w.kernel[d]
			}
			var dst []float32
			if packed != nil {
				dst = col[:outSize]
			} else {
				dst = col[row*outSize : (row+1)*outSize]
			}
			row++
			off := kpos[r-1]*w.dil[r-1] - w.padBegin[r-1]
			s := w.stride[r-1]
			lo, hi := validRange(off, s, inW, outW)
			for o := range outer {
				// Locate the input row of output row o (all dims but the last).
				base, valid, rem := 0, true, o
				mul := 1
				for d := r - 2; d >= 0; d-- {
					od := rem % w.out[d]
					rem /= w.out[d]
					i := od*w.stride[d] + kpos[d]*w.dil[d] - w.padBegin[d]
					if i < 0 || i >= w.in[d] {
						valid = false
						break
					}
					base += i * mul
					mul *= w.in[d]
				}
				seg := dst[o*outW : (o+1)*outW]
				if scatter {
					if !valid {
						continue
					}
					src := plane[base*inW : (base+1)*inW]
					if lo >= hi {
						continue
					}
					if s == 1 {
						axpy(1, seg[lo:hi], src[lo+off:hi+off])
						continue
					}
					for x := lo; x < hi; x++ {
						src[x*s+off] += seg[x]
					}
					continue
				}
				if !valid {
					clear(seg)
					continue
				}
				src := plane[base*inW : (base+1)*inW]
				clear(seg[:lo])
				clear(seg[hi:])
				if lo >= hi {
					continue // the whole row reads padding
				}
				if s == 1 {
					copy(seg[lo:hi], src[lo+off:hi+off])
					continue
				}
				for x := lo; x < hi; x++ {
					seg[x] = src[x*s+off]
				}
			}
			if packed != nil {
				packed(row-1, dst)
			}
		}
	}
}

func (w *window) String() string {
	return fmt.Sprintf("in %v out %v kernel %v strides %v dilations %v pads %v/%v", w.in, w.out, w.kernel, w.stride, w.dil, w.padBegin, w.padEnd)
}

// im2colRows2D is im2col (gather direction) for two spatial dimensions,
// with the kernel and output positions walked directly instead of decoded
// from flat indices.
func im2colRows2D(w *window, c int, img, col []float32, packed func(row int, vals []float32)) {
	ih, iw := w.in[0], w.in[1]
	oh, ow := w.out[0], w.out[1]
	kh, kw := w.kernel[0], w.kernel[1]
	sy, sx := w.stride[0], w.stride[1]
	outSize := oh * ow
	row := 0
	for ch := range c {
		plane := img[ch*ih*iw : (ch+1)*ih*iw]
		for ky := range kh {
			for kx := range kw {
				var dst []float32
				if packed != nil {
					dst = col[:outSize]
				} else {
					dst = col[row*outSize : (row+1)*outSize]
				}
				off := kx*w.dil[1] - w.padBegin[1]
				lo, hi := validRange(off, sx, iw, ow)
				for oy := range oh {
					seg := dst[oy*ow : (oy+1)*ow]
					iy := oy*sy + ky*w.dil[0] - w.padBegin[0]
					if iy < 0 || iy >= ih || lo >= hi {
						clear(seg)
						continue
					}
					src := plane[iy*iw : (iy+1)*iw]
					clear(seg[:lo])
					clear(seg[hi:])
					if sx == 1 {
						copy(seg[lo:hi], src[lo+off:hi+off])
						continue
					}
					for x := lo; x < hi; x++ {
						seg[x] = src[x*sx+off]
					}
				}
				if packed != nil {
					packed(row, dst)
				}
				row++
			}
		}
	}
}

// window is newWindow for an input of shape xShape (N, C, spatial...),
// cached per node, input shape and kernel in the Program's plan cache: the
// geometry does not change between runs of the same shape. The cached
// window is shared and must not be modified.
func (ec *execContext) window(n *Node, xShape, kernel []int, ceil bool) (*window, error) {
	var buf [8]int
	key := buf[:0]
	if len(xShape)+len(kernel) <= len(buf) {
		key = append(append(key, xShape...), kernel...)
		if v, ok := ec.lookupPlan(n, planWindow, key); ok {
			return v.(*window), nil
		}
	}
	w, err := newWindow(n, slices.Clone(xShape[2:]), slices.Clone(kernel), ceil)
	if err != nil {
		return nil, err
	}
	if len(key) > 0 {
		ec.storePlan(n, planWindow, key, w)
	}
	return w, nil
}
