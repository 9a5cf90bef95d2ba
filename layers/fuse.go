package layers

// Fusion of an elementwise activation into the Conv or Gemm that feeds it,
// and of a zero Pad into the AveragePool that reads it.
// When a Conv or Gemm output is read only by one Relu, Sigmoid, SiLU, GELU,
// GELUTanh or HardSwish node and is not a graph output, Run executes the
// pair as one step: the activation is applied in place on the producer's
// output (for the in-place convolution, on each image's block right after
// its bias, while it is in cache), which saves a pass over memory, a buffer
// and a step. RunObserved with an observer runs the unfused steps, so that
// observers still see every node.

// fusableActs are the activations that may be applied in place after a
// Conv or Gemm: elementwise, without attributes.
var fusableActs = map[string]func(dst, src []float32){
	"Relu":      reluRow,
	"Sigmoid":   sigmoidRow,
	"SiLU":      siluRow,
	"GELU":      geluRow,
	"GELUTanh":  geluTanhRow,
	"HardSwish": hardSwishRow,
}

// fusedProducers are the producers whose kernels take an activation.
var fusedProducers = map[string]func(ec *execContext, n *Node, in []*Tensor, act func(dst, src []float32)) ([]*Tensor, error){
	"Conv": convAct,
	"Gemm": gemmAct,
}

// gemmAct is gemmKernel followed by act on each output row.
func gemmAct(ec *execContext, n *Node, in []*Tensor, act func(dst, src []float32)) ([]*Tensor, error) {
	out, err := gemmKernel(ec, n, in)
	if err != nil {
		return nil, err
	}
	if y := out[0]; len(y.Shape) == 2 {
		applyRows(ec, y, y.Shape[1], act)
	}
	return out, nil
}

// applyRows applies act in place to each run of rowLen elements of y, in
// parallel over rows. Splitting at row boundaries (never by thread count)
// keeps the result the same for every number of threads.
func applyRows(ec *execContext, y *Tensor, rowLen int, act func(dst, src []float32)) {
	if act == nil || rowLen <= 0 || len(y.F) == 0 {
		return
	}
	rows := len(y.F) / rowLen
	if hasAVX512 {
		// Every element takes the same code however the tensor is split
		// (vecRow512): one call per goroutine instead of one per row.
		ec.par(rows, len(y.F), func(lo, hi int) {
			span := y.F[lo*rowLen : hi*rowLen]
			act(span, span)
		})
		return
	}
	ec.par(rows, len(y.F), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := y.F[r*rowLen : (r+1)*rowLen]
			act(row, row)
		}
	})
}

// fuseSteps returns p.steps with every fusable producer and activation pair
// merged into one step, and the read counts of the slots for that list.
func (p *Program) fuseSteps() ([]step, []int) {
	readers := make([][]int, p.nslots) // steps reading each slot
	for i, st := range p.steps {
		for _, s := range st.uniq {
			readers[s] = append(readers[s], i)
		}
	}
	drop := make([]bool, len(p.steps))
	fused := make([]step, 0, len(p.steps))
	for i, st := range p.steps {
		if drop[i] {
			continue
		}
		if st.node.Op == "Pad" && len(st.out) == 1 && st.out[0] >= 0 {
			s := st.out[0]
			if r := readers[s]; len(r) == 1 && !p.pinned[s] && r[0] > i {
				next := p.steps[r[0]]
				if pool := padIntoPool(st.node, next.node); pool != nil && next.in[0] == s && len(next.in) == 1 {
					merged := next
					merged.node = pool
					merged.in = st.in[:1]
					merged.uniq = []int{st.in[0]}
					drop[r[0]] = true
					fused = append(fused, merged)
					continue
				}
			}
		}
		prod, ok := fusedProducers[st.node.Op]
		if ok && len(st.out) == 1 && st.out[0] >= 0 {
			s := st.out[0]
			if r := readers[s]; len(r) == 1 && !p.pinned[s] && r[0] > i {
				next := p.steps[r[0]]
				act, isAct := fusableActs[next.node.Op]
				if isAct && len(next.in) == 1 && next.in[0] == s && len(next.out) == 1 && next.out[0] >= 0 {
					merged := st
					merged.out = next.out
					merged.kern = func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
						return prod(ec, n, in, act)
					}
					drop[r[0]] = true
					fused = append(fused, merged)
					continue
				}
			}
		}
		fused = append(fused, st)
	}
	reads := make([]int, p.nslots)
	for _, st := range fused {
		for _, s := range st.uniq {
			reads[s]++
		}
	}
	return fused, reads
}

// padIntoPool returns an AveragePool node equivalent to pool applied to
// the output of pad, reading pad's input directly: zero padding of the
// spatial axes followed by an unpadded average pool (windows all inside the
// padded image, so each divides by the full window) is the pool with those
// pads and count_include_pad. It returns nil when the pair is not of that
// form.
func padIntoPool(pad, pool *Node) *Node {
	if pool.Op != "AveragePool" || len(pad.Inputs) != 1 || pad.Inputs[0] == "" {
		return nil
	}
	if pad.Attrs.String("mode", "constant") != "constant" || pad.Attrs.Float("value", 0) != 0 {
		return nil
	}
	pads := pad.Attrs.Ints("pads", nil)
	kernel := pool.Attrs.Ints("kernel_shape", nil)
	r := len(pads) / 2
	if len(pads) != 2*r || r < 3 || len(kernel) != r-2 {
		return nil
	}
	if pads[0] != 0 || pads[1] != 0 || pads[r] != 0 || pads[r+1] != 0 {
		return nil
	}
	for _, v := range pads {
		if v < 0 {
			return nil
		}
	}
	if pool.Attrs.String("auto_pad", "NOTSET") != "NOTSET" || pool.Attrs.Int("ceil_mode", 0) != 0 {
		return nil
	}
	for _, v := range pool.Attrs.Ints("pads", nil) {
		if v != 0 {
			return nil
		}
	}
	for _, v := range pool.Attrs.Ints("dilations", nil) {
		if v != 1 {
			return nil
		}
	}
	attrs := make(Attrs, len(pool.Attrs)+2)
	for k, v := range pool.Attrs {
		attrs[k] = v
	}
	spatial := make([]int64, 0, 2*(r-2))
	spatial = append(spatial, pads[2:r]...)
	spatial = append(spatial, pads[r+2:]...)
	attrs["pads"] = spatial
	attrs["count_include_pad"] = int64(1)
	return &Node{Name: pool.Name, Op: pool.Op, Inputs: []string{pad.Inputs[0]}, Outputs: pool.Outputs, Attrs: attrs}
}
