package layers

// Fusion of an elementwise activation into the Conv or Gemm that feeds it.
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
