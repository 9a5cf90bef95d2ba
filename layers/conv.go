package layers

// Conv and ConvTranspose. Conv picks, in order: one GEMM over the batch for
// 1×1 layers on 1×1 planes, the in-place indirect GEMM for 1-D and 2-D
// layers (conv_direct.go, AVX2), and otherwise (3-D, or no AVX2) a direct
// loop for depthwise layers or im2col rows packed straight into the GEMM's
// layout. Every path
// runs images and groups in parallel when there are enough of them.
// ConvTranspose is a GEMM with the transposed weights followed by col2im.

// convKernel computes ONNX Conv: X [N, C, spatial...], W [M, C/group,
// kernel...], optional B [M].
func convKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	return convAct(ec, n, in, nil)
}

// convAct is convKernel followed by the elementwise activation act (nil:
// none), applied while each image's output is still in cache.
func convAct(ec *execContext, n *Node, in []*Tensor, act func(dst, src []float32)) ([]*Tensor, error) {
	x, wt, bias, err := convInputs(n, in)
	if err != nil {
		return nil, err
	}
	batch, c := x.Shape[0], x.Shape[1]
	m, cg := wt.Shape[0], wt.Shape[1]
	group := int(n.Attrs.Int("group", 1))
	if group < 1 || cg*group != c || m%group != 0 {
		return nil, nodeErr(n, "X has %d channels, W %v, group %d: inconsistent", c, wt.Shape, group)
	}
	if bias != nil && (bias.DType != Float32 || bias.Len() != m) {
		return nil, nodeErr(n, "bias has %d values, want %d", bias.Len(), m)
	}
	kernel := wt.Shape[2:]
	if ks := n.Attrs.Ints("kernel_shape", nil); ks != nil {
		if len(ks) != len(kernel) {
			return nil, nodeErr(n, "kernel_shape %v does not match W %v", ks, wt.Shape)
		}
		for i, k := range ks {
			if int(k) != kernel[i] {
				return nil, nodeErr(n, "kernel_shape %v does not match W %v", ks, wt.Shape)
			}
		}
	}
	w, err := ec.window(n, x.Shape, kernel, false)
	if err != nil {
		return nil, err
	}
	inSize, outSize, kSize := NumElements(w.in), NumElements(w.out), NumElements(kernel)
	mg := m / group
	squeeze := inSize == 1 && kSize == 1 && group == 1
	if !squeeze && useConvDirect(w) {
		// The in-place path writes every output element, bias included.
		var shapeBuf [8]int
		y, err := newOutput(ec, n, append(append(shapeBuf[:0], batch, m), w.out...), false)
		if err != nil {
			return nil, err
		}
		var bf []float32
		if bias != nil {
			bf = bias.F
		}
		convDirect(ec, n, w, x, wt, bf, y, group, cg, mg, act)
		return []*Tensor{y}, nil
	}
	y, err := newOutput(ec, n, append([]int{batch, m}, w.out...), bias == nil)
	if err != nil {
		return nil, err
	}
	// Start from the bias so that the GEMM accumulates onto it (beta 1).
	if bias != nil {
		for i := range batch * m {
			fill(y.F[i*outSize:(i+1)*outSize], bias.F[i%m])
		}
	}
	if cg == 1 && mg == 1 && w.rank() == 2 && !useConvDirect(w) {
		// Depthwise without AVX2: a GEMM would have one row; sum each
		// output pixel directly.
		ec.parallelFor(batch*c, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				ch := i % c
				depthwise2D(w, x.F[i*inSize:(i+1)*inSize], wt.F[ch*kSize:(ch+1)*kSize], y.F[i*outSize:(i+1)*outSize])
			}
		})
		applyRows(ec, y, outSize, act)
		return []*Tensor{y}, nil
	}
	if squeeze {
		// 1×1 convolution of 1×1 planes (squeeze-excitation): a fully
		// connected layer over the whole batch, Y = X·Wᵀ (+ bias in Y).
		sgemm(ec, false, true, batch, m, c, 1, x.F, c, wt.F, c, 1, y.F, m)
		applyRows(ec, y, m, act)
		return []*Tensor{y}, nil
	}
	// A 1×1 kernel with unit strides and no padding needs no im2col: the
	// image itself is the column matrix.
	direct := kSize == 1 && inSize == outSize
	for d := range w.rank() {
		direct = direct && w.stride[d] == 1 && w.padBegin[d] == 0
	}
	rows := cg * kSize
	// Each group's weights are packed once for all images; each image's
	// column matrix is written straight into the packed layout, one row
	// at a time, so the full column matrix never exists.
	// Scratch comes from the run's buffer pool, taken and returned on this
	// goroutine (the pool is not safe for concurrent use).
	nPad := (outSize + gemmNR - 1) / gemmNR * gemmNR
	packedW, done := ec.packedConvWeights(wt, group, mg, rows)
	defer done()
	one := func(ec *execContext, item int, row []float32, buf *gemmBuffers) {
		b, g := item/group, item%group
		img := x.F[(b*c+g*cg)*inSize : (b*c+(g+1)*cg)*inSize]
		bp, put := packedBWriter(buf, outSize, rows)
		if direct {
			for kk := range rows {
				put(kk, img[kk*outSize:(kk+1)*outSize])
			}
		} else {
			im2colRows(w, cg, img, row, false, put)
		}
		out := y.F[(b*m+g*mg)*outSize : (b*m+(g+1)*mg)*outSize]
		gemmPacked(ec, mg, outSize, rows, packedW[g], bp, 1, out, outSize)
	}
	items := batch * group
	workers := 1
	if items >= ec.threads() {
		workers = ec.threads()
	}
	rowSpace := ec.scratch(workers * outSize)
	defer ec.release(rowSpace)
	bSpace := ec.scratch(workers * nPad * rows)
	defer ec.release(bSpace)
	bufs := make([]gemmBuffers, workers)
	for i := range bufs {
		bufs[i].b = bSpace[i*nPad*rows : (i+1)*nPad*rows]
	}
	if workers > 1 {
		per := (items + workers - 1) / workers
		ec.parallelFor(workers, func(lo, hi int) {
			serial := ec.serial()
			for wk := lo; wk < hi; wk++ {
				for i := wk * per; i < min((wk+1)*per, items); i++ {
					one(serial, i, rowSpace[wk*outSize:(wk+1)*outSize], &bufs[wk])
				}
			}
		})
	} else {
		for i := range items {
			one(ec, i, rowSpace[:outSize], &bufs[0])
		}
	}
	applyRows(ec, y, outSize, act)
	return []*Tensor{y}, nil
}

// depthwise2D convolves one channel plane x with its kernel k, adding into
// out (which holds the bias). Each output pixel is summed in a register:
// planes of depthwise layers are small (7×7, 14×14), so row-wise vector
// updates would pay their call overhead for a handful of elements.
func depthwise2D(w *window, x, k, out []float32) {
	ih, iw := w.in[0], w.in[1]
	oh, ow := w.out[0], w.out[1]
	kh, kw := w.kernel[0], w.kernel[1]
	sy, sx := w.stride[0], w.stride[1]
	dy, dx := w.dil[0], w.dil[1]
	py, px := w.padBegin[0], w.padBegin[1]
	// Offsets of the kernel taps relative to the window's top-left pixel.
	offs := make([]int, kh*kw)
	for ky := range kh {
		for kx := range kw {
			offs[ky*kw+kx] = ky*dy*iw + kx*dx
		}
	}
	k = k[:len(offs)]
	// Output columns whose window lies inside the input horizontally.
	xlo, xhi := validRange(-px, sx, iw-(kw-1)*dx, ow)
	for oy := range oh {
		iy0 := oy*sy - py
		rowInside := iy0 >= 0 && iy0+(kh-1)*dy < ih
		dst := out[oy*ow : (oy+1)*ow]
		for ox := range dst {
			ix0 := ox*sx - px
			if rowInside && ox >= xlo && ox < xhi {
				base := iy0*iw + ix0
				win := x[base : base+offs[len(offs)-1]+1]
				var s float32
				if len(offs) == 9 {
					s = k[0]*win[offs[0]] + k[1]*win[offs[1]] + k[2]*win[offs[2]] +
						k[3]*win[offs[3]] + k[4]*win[offs[4]] + k[5]*win[offs[5]] +
						k[6]*win[offs[6]] + k[7]*win[offs[7]] + k[8]*win[offs[8]]
				} else {
					for t, o := range offs {
						s += k[t] * win[o]
					}
				}
				dst[ox] += s
				continue
			}
			var s float32
			for ky := range kh {
				iy := iy0 + ky*dy
				if iy < 0 || iy >= ih {
					continue
				}
				for kx := range kw {
					ix := ix0 + kx*dx
					if ix >= 0 && ix < iw {
						s += k[ky*kw+kx] * x[iy*iw+ix]
					}
				}
			}
			dst[ox] += s
		}
	}
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// convTransposeKernel computes ONNX ConvTranspose: X [N, C, spatial...],
// W [C, M/group, kernel...], optional B [M]. Each image is multiplied by
// the transposed weights into a column matrix that col2im adds into the
// output windows.
func convTransposeKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	x, wt, bias, err := convInputs(n, in)
	if err != nil {
		return nil, err
	}
	batch, c := x.Shape[0], x.Shape[1]
	group := int(n.Attrs.Int("group", 1))
	if group < 1 || wt.Shape[0] != c || c%group != 0 {
		return nil, nodeErr(n, "X has %d channels, W %v, group %d: inconsistent", c, wt.Shape, group)
	}
	cg, mg := c/group, wt.Shape[1]
	m := mg * group
	if bias != nil && (bias.DType != Float32 || bias.Len() != m) {
		return nil, nodeErr(n, "bias has %d values, want %d", bias.Len(), m)
	}
	r := len(x.Shape) - 2
	kernel := wt.Shape[2:]
	w := &window{out: x.Shape[2:], kernel: kernel, in: make([]int, r)}
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
	outPad, err := intsAttr(n, "output_padding", r, 0)
	if err != nil {
		return nil, err
	}
	outShape := n.Attrs.Ints("output_shape", nil)
	if len(outShape) == r+2 {
		outShape = outShape[2:]
	}
	if outShape != nil && len(outShape) != r {
		return nil, nodeErr(n, "output_shape %v has the wrong rank", outShape)
	}
	autoPad := n.Attrs.String("auto_pad", "NOTSET")
	for d := range r {
		if w.stride[d] < 1 || w.dil[d] < 1 {
			return nil, nodeErr(n, "strides %v and dilations %v must be positive", w.stride, w.dil)
		}
		ek := (kernel[d]-1)*w.dil[d] + 1
		full := w.stride[d]*(w.out[d]-1) + outPad[d] + ek
		target := -1
		switch {
		case outShape != nil:
			target = int(outShape[d])
		case autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
			target = w.out[d] * w.stride[d]
		}
		if target >= 0 {
			// Pads follow from the requested size (never negative: a
			// larger size extends the end with zeros); the odd one goes
			// to the end for SAME_UPPER and to the beginning otherwise.
			total := max(0, full-target)
			if autoPad == "SAME_UPPER" {
				w.padBegin[d], w.padEnd[d] = total/2, total-total/2
			} else {
				w.padBegin[d], w.padEnd[d] = total-total/2, total/2
			}
		} else if autoPad == "VALID" {
			w.padBegin[d], w.padEnd[d] = 0, 0
		}
		w.in[d] = full - w.padBegin[d] - w.padEnd[d]
		if target >= 0 {
			w.in[d] = target
		}
		if w.in[d] < 1 {
			return nil, nodeErr(n, "empty output along spatial axis %d", d)
		}
	}
	y, err := newOutput(ec, n, append([]int{batch, m}, w.in...), true)
	if err != nil {
		return nil, err
	}
	inSize, outSize, kSize := NumElements(w.out), NumElements(w.in), NumElements(kernel)
	rows := mg * kSize
	// col [mg·kSize, inSize] = W_gᵀ · X_g, with W_g stored [cg, mg·kSize]:
	// the transposed weights are packed once per group, each image's
	// channels are packed as B, and col2im adds col into the output.
	mPad := (rows + gemmMR - 1) / gemmMR * gemmMR
	nPad := (inSize + gemmNR - 1) / gemmNR * gemmNR
	wspace := ec.scratch(group * mPad * cg)
	defer ec.release(wspace)
	packedW := make([][]float32, group)
	for g := range group {
		buf := gemmBuffers{a: wspace[g*mPad*cg : (g+1)*mPad*cg]}
		packedW[g] = packAAll(ec, &buf, true, rows, cg, 1, wt.F[g*cg*rows:(g+1)*cg*rows], rows)
	}
	one := func(ec *execContext, item int, col []float32, buf *gemmBuffers) {
		b, g := item/group, item%group
		img := x.F[(b*c+g*cg)*inSize : (b*c+(g+1)*cg)*inSize]
		bp, put := packedBWriter(buf, inSize, cg)
		for kk := range cg {
			put(kk, img[kk*inSize:(kk+1)*inSize])
		}
		gemmPacked(ec, rows, inSize, cg, packedW[g], bp, 0, col, inSize)
		out := y.F[(b*m+g*mg)*outSize : (b*m+(g+1)*mg)*outSize]
		im2col(w, mg, out, col, true)
	}
	items := batch * group
	workers := 1
	if items >= ec.threads() {
		workers = ec.threads()
	}
	colSpace := ec.scratch(workers * rows * inSize)
	defer ec.release(colSpace)
	bSpace := ec.scratch(workers * nPad * cg)
	defer ec.release(bSpace)
	bufs := make([]gemmBuffers, workers)
	for i := range bufs {
		bufs[i].b = bSpace[i*nPad*cg : (i+1)*nPad*cg]
	}
	if workers > 1 {
		per := (items + workers - 1) / workers
		ec.parallelFor(workers, func(lo, hi int) {
			serial := ec.serial()
			for wk := lo; wk < hi; wk++ {
				for i := wk * per; i < min((wk+1)*per, items); i++ {
					one(serial, i, colSpace[wk*rows*inSize:(wk+1)*rows*inSize], &bufs[wk])
				}
			}
		})
	} else {
		for i := range items {
			one(ec, i, colSpace[:rows*inSize], &bufs[0])
		}
	}
	if bias != nil {
		for i := range batch * m {
			bv := bias.F[i%m]
			for j := range y.F[i*outSize : (i+1)*outSize] {
				y.F[i*outSize+j] += bv
			}
		}
	}
	return []*Tensor{y}, nil
}

// convInputs returns the data X, weights W and optional bias B of a Conv
// or ConvTranspose node, checking that X and W are N×C×spatial tensors of
// the same rank.
func convInputs(n *Node, in []*Tensor) (x, wt, bias *Tensor, err error) {
	if x, err = floatInput(n, in, 0, "X"); err != nil {
		return nil, nil, nil, err
	}
	if wt, err = floatInput(n, in, 1, "W"); err != nil {
		return nil, nil, nil, err
	}
	if len(x.Shape) < 3 || len(wt.Shape) != len(x.Shape) {
		return nil, nil, nil, nodeErr(n, "X %v and W %v must both be N×C×spatial with the same rank", x.Shape, wt.Shape)
	}
	return x, wt, optionalInput(in, 2), nil
}
