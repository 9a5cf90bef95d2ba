package layers

// MACs returns the multiply-accumulate operations node n performs for a
// whole batch, given the shapes of its inputs and outputs: Conv,
// ConvTranspose, Gemm and MatMul count one per weight use (bias additions
// are not counted); every other operator returns 0. Missing or inconsistent
// shapes also give 0, since MACs only reports on graphs that ran.
func MACs(n *Node, inShapes, outShapes [][]int) int64 {
	if len(outShapes) == 0 || outShapes[0] == nil {
		return 0
	}
	out := outShapes[0]
	switch n.Op {
	case "Conv":
		// Each output element sums C/group × ∏kernel products.
		if len(inShapes) < 2 || len(inShapes[1]) < 2 {
			return 0
		}
		w := inShapes[1]
		return int64(NumElements(out)) * int64(NumElements(w[1:]))
	case "ConvTranspose":
		// Each input element is multiplied by M/group × ∏kernel weights.
		if len(inShapes) < 2 || len(inShapes[0]) < 2 || len(inShapes[1]) < 2 {
			return 0
		}
		return int64(NumElements(inShapes[0])) * int64(NumElements(inShapes[1][1:]))
	case "Gemm":
		if len(inShapes) < 2 || len(inShapes[0]) != 2 {
			return 0
		}
		k := inShapes[0][1]
		if n.Attrs.Int("transA", 0) != 0 {
			k = inShapes[0][0]
		}
		return int64(NumElements(out)) * int64(k)
	case "MatMul":
		if len(inShapes) < 1 || len(inShapes[0]) == 0 {
			return 0
		}
		a := inShapes[0]
		return int64(NumElements(out)) * int64(a[len(a)-1])
	}
	return 0
}

// Fanout returns, for each element of input inputIndex of n (flattened,
// batch included), the number of multiply-accumulates it takes part in:
// the synaptic fan-out of the neuron that produced it. It is exact for
// Conv, ConvTranspose, Gemm and MatMul on the data input (border pixels of
// a padded convolution reach fewer outputs than central ones); for weight
// inputs and other operators it returns nil. A spike of element i then costs
// Fanout[i] accumulate operations downstream.
func Fanout(n *Node, inputIndex int, inShapes, outShapes [][]int) []int64 {
	if inputIndex != 0 || len(inShapes) < 2 || len(outShapes) == 0 {
		return nil
	}
	x, w, out := inShapes[0], inShapes[1], outShapes[0]
	switch n.Op {
	case "Gemm":
		if len(x) != 2 || len(w) != 2 || len(out) != 2 {
			return nil
		}
		return constFanout(NumElements(x), int64(out[1]))
	case "MatMul":
		if len(x) == 0 || len(w) == 0 {
			return nil
		}
		cols := int64(1)
		if len(w) > 1 {
			cols = int64(w[len(w)-1])
		}
		// Broadcast batches of x multiply it by several matrices.
		reuse := int64(1)
		if len(out) > 0 {
			xm := int64(NumElements(x))
			if xm > 0 {
				reuse = int64(NumElements(out)) / (xm / int64(x[len(x)-1]) * cols)
				reuse = max(reuse, 1)
			}
		}
		return constFanout(NumElements(x), cols*reuse)
	case "Conv":
		return convFanout(n, x, w, out)
	case "ConvTranspose":
		if len(w) < 2 {
			return nil
		}
		// Every weight of the element's group row is used once (outputs
		// cropped by pads are counted too).
		return constFanout(NumElements(x), int64(NumElements(w[1:])))
	}
	return nil
}

func constFanout(size int, v int64) []int64 {
	f := make([]int64, size)
	for i := range f {
		f[i] = v
	}
	return f
}

// convFanout counts, for each input pixel of a Conv, the output positions
// whose window covers it, times the output channels of its group.
func convFanout(n *Node, x, w, out []int) []int64 {
	if len(x) < 3 || len(w) != len(x) || len(out) != len(x) {
		return nil
	}
	group := max(int(n.Attrs.Int("group", 1)), 1)
	mg := int64(w[0] / group)
	win, err := newWindow(n, x[2:], w[2:], false)
	if err != nil {
		return nil
	}
	// ceil_mode does not exist for Conv, but the output size is the truth.
	win.out = out[2:]
	r := win.rank()
	// Per axis: how many output positions reach input index i. The count
	// of a pixel is the product over axes.
	perAxis := make([][]int64, r)
	for d := range r {
		c := make([]int64, win.in[d])
		for o := range win.out[d] {
			for k := range win.kernel[d] {
				i := o*win.stride[d] + k*win.dil[d] - win.padBegin[d]
				if i >= 0 && i < win.in[d] {
					c[i]++
				}
			}
		}
		perAxis[d] = c
	}
	plane := NumElements(win.in)
	f := make([]int64, NumElements(x))
	pos := make([]int, r)
	for p := range plane {
		rem := p
		for d := r - 1; d >= 0; d-- {
			pos[d] = rem % win.in[d]
			rem /= win.in[d]
		}
		v := mg
		for d := range r {
			v *= perAxis[d][pos[d]]
		}
		for c := 0; c < x[0]*x[1]; c++ {
			f[c*plane+p] = v
		}
	}
	return f
}
