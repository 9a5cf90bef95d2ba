package layers

import (
	"runtime"
	"sync"
)

// kernelFunc computes one node. in holds the node's inputs in order (nil for
// an omitted optional input); the kernel returns its outputs in order. A
// kernel must not modify its inputs: they may be initializers or be read by
// other nodes.
type kernelFunc func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error)

// execContext carries what kernels share during one run.
type execContext struct {
	// Threads is the number of goroutines a kernel may use (>= 1).
	Threads int
	// spikes accumulates FS spike counts per node name during a run.
	mu     sync.Mutex
	spikes map[string]*SpikeStats
	// pool recycles intermediate buffers between layers (nil: plain make).
	// Allocate kernel outputs with ec.newFloat / ec.newInt to use it.
	pool *bufPool
	// weights caches packed constant weights for the Program (nil: pack
	// on every call).
	weights *weightCache
	// one is what serial returns, made once per run: a single-goroutine
	// context with the same cache and no pool (nil: serial makes one).
	// It holds no per-call state, so concurrent goroutines share it.
	one *execContext
}

// SpikeStats counts what one FS node did during the runs since the last
// reset: Elements is the number of neuron evaluations (batch × neurons per
// sample), Spikes the spikes emitted, NeuronsPerSample the size of the layer.
type SpikeStats struct {
	Node             string
	Activation       string
	NeuronsPerSample int64
	Elements         int64
	Spikes           int64
}

// parallelFor splits [0, n) into at most ec.Threads contiguous chunks and
// runs fn on each concurrently, returning when all are done. Small n runs
// inline.
func (ec *execContext) parallelFor(n int, fn func(lo, hi int)) {
	threads := ec.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + threads - 1) / threads
	// The first chunk runs on the calling goroutine: one goroutine fewer
	// to start and the caller does not park while the others work.
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, hi)
	}
	fn(0, min(chunk, n))
	wg.Wait()
}
