package layers

import "sync"

// weightCache keeps the packed form of constant weights (initializers) so
// that Conv packs each layer's weights once per Program instead of once
// per Run. It is shared by concurrent runs: entries are only ever added,
// and two runs that pack the same weights at once store equal results.
type weightCache struct {
	consts map[*Tensor]bool // the Program's initializers; read-only
	packed sync.Map         // packKey → [][]float32
	// plans holds per-node tables that depend only on the node and its
	// input shape (convolution and pooling geometry, offset tables,
	// masks), so that runs at batch 1 do not rebuild and reallocate
	// them. Entries are read-only once stored.
	plans sync.Map // planKey → any
}

// planKey identifies a plan: the node, which table, and the input shape
// (up to 12 values; longer keys are not cached).
type planKey struct {
	n    *Node
	kind uint8
	rank uint8
	dims [12]int
}

// Kinds of plans.
const (
	planWindow uint8 = iota
	planConvDirect
	planDepthwise
	planPool3s2
	planBinary
)

// cachedPlan returns the plan of the given kind for node n and input
// shape, building it with build on first use. Without a cache (kernels
// called directly) it just builds it. build must not fail.
func (ec *execContext) cachedPlan(n *Node, kind uint8, shape []int, build func() any) any {
	if ec == nil || ec.weights == nil || n == nil || len(shape) > 12 {
		return build()
	}
	key := planKey{n: n, kind: kind, rank: uint8(len(shape))}
	copy(key.dims[:], shape)
	if v, ok := ec.weights.plans.Load(key); ok {
		return v
	}
	v, _ := ec.weights.plans.LoadOrStore(key, build())
	return v
}

// lookupPlan returns the stored plan, if any (for plans whose building
// can fail, which the caller stores with storePlan only on success).
func (ec *execContext) lookupPlan(n *Node, kind uint8, shape []int) (any, bool) {
	if ec == nil || ec.weights == nil || n == nil || len(shape) > 12 {
		return nil, false
	}
	key := planKey{n: n, kind: kind, rank: uint8(len(shape))}
	copy(key.dims[:], shape)
	return ec.weights.plans.Load(key)
}

func (ec *execContext) storePlan(n *Node, kind uint8, shape []int, v any) {
	if ec == nil || ec.weights == nil || n == nil || len(shape) > 12 {
		return
	}
	key := planKey{n: n, kind: kind, rank: uint8(len(shape))}
	copy(key.dims[:], shape)
	ec.weights.plans.Store(key, v)
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
