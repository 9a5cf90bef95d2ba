package layers

import "sync"

// weightCache keeps the packed form of constant weights (initializers) so
// that Conv packs each layer's weights once per Program instead of once
// per Run. It is shared by concurrent runs: entries are only ever added,
// and two runs that pack the same weights at once store equal results.
type weightCache struct {
	consts map[*Tensor]bool // the Program's initializers; read-only
	packed sync.Map         // packKey → [][]float32
}

type packKey struct {
	w            *Tensor
	group, mg, k int
}

func newWeightCache(consts []constSlot) *weightCache {
	c := &weightCache{consts: make(map[*Tensor]bool, len(consts))}
	for _, cs := range consts {
		c.consts[cs.t] = true
	}
	return c
}

// packedConvWeights returns, per group, the weights of a convolution with
// mg output channels and k = cg·kernel taps per group packed as the GEMM's
// A panels, and a function to call when they are no longer needed. Weights
// that are initializers come from (or go into) the Program's cache;
// others are packed into scratch memory.
func (ec *execContext) packedConvWeights(wt *Tensor, group, mg, k int) ([][]float32, func()) {
	mPad := (mg + gemmMR - 1) / gemmMR * gemmMR
	pack := func(space []float32) [][]float32 {
		packed := make([][]float32, group)
		for g := range group {
			buf := gemmBuffers{a: space[g*mPad*k : (g+1)*mPad*k]}
			packed[g] = packAAll(ec, &buf, false, mg, k, 1, wt.F[g*mg*k:(g+1)*mg*k], k)
		}
		return packed
	}
	c := ec.weights
	if c == nil || !c.consts[wt] {
		space := ec.scratch(group * mPad * k)
		return pack(space), func() { ec.release(space) }
	}
	key := packKey{wt, group, mg, k}
	if v, ok := c.packed.Load(key); ok {
		return v.([][]float32), func() {}
	}
	v, _ := c.packed.LoadOrStore(key, pack(make([]float32, group*mPad*k)))
	return v.([][]float32), func() {}
}
