package layers

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"unsafe"
)

// Options configure a compiled Program.
type Options struct {
	// Threads is the number of goroutines a kernel may use; 0 means all
	// cores (GOMAXPROCS).
	Threads int
}

// Observer is called by RunObserved after each node with the node's inputs
// and outputs. The tensors, and the in slice itself, are only valid during
// the call: the engine may reuse their memory afterwards, so an observer
// that keeps data must copy it.
type Observer func(n *Node, in, out []*Tensor)

// Program is a Graph compiled for execution: every operator resolved to a
// kernel and every value to a slot. Run may be called concurrently; spike
// statistics are aggregated over all runs since the last ResetStats.
type Program struct {
	graph   *Graph
	threads int
	nslots  int
	steps   []step
	inputs  []progInput
	consts  []constSlot
	outputs []outSlot
	// reads[s] is how many steps read slot s (each step counted once).
	reads []int
	// pinned[s] marks graph outputs, whose memory must never be recycled.
	pinned []bool
	// fused are the steps with activations merged into their producers
	// (fuse.go), run when there is no observer; fusedReads counts their
	// reads of each slot.
	fused      []step
	fusedReads []int
	// weights holds packed constant weights, shared by all runs.
	weights *weightCache
	// constBufs are the (pinned, read-only) buffer records of consts.
	constBufs []buffer
	fsNodes   []*Node

	mu    sync.Mutex
	pools []*bufPool
	stats map[string]*SpikeStats
}

type step struct {
	node *Node
	kern kernelFunc
	in   []int // slot per input; -1 for an omitted optional input
	out  []int // slot per output; -1 for an omitted output
	uniq []int // distinct input slots, for reference counting
}

type progInput struct {
	info ValueInfo
	slot int
	def  *Tensor // initializer of the same name (ONNX default), or nil
}

type constSlot struct {
	slot int
	t    *Tensor
}

type outSlot struct {
	name string
	slot int
}

// kernelTable returns the engine's kernels merged with the dense and spatial
// ones of nnKernels.
func kernelTable() map[string]kernelFunc {
	t := engineKernels()
	for op, k := range nnKernels() {
		t[op] = k
	}
	return t
}

// kernels is the kernel table, built once; it is never modified.
var kernels = sync.OnceValue(kernelTable)

// Supported reports whether the engine has a kernel for op.
func Supported(op string) bool {
	_, ok := kernels()[op]
	return ok
}

// Compile validates g and resolves every node to a kernel. It fails with an
// *ErrUnsupported naming every node whose operator has no kernel, and with a
// plain error for attributes that are wrong whatever the inputs.
func Compile(g *Graph, opt Options) (*Program, error) {
	if g == nil {
		return nil, fmt.Errorf("layers: compile: nil graph")
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("layers: compile: %w", err)
	}
	table := kernels()
	var unsupported []*Node
	for _, n := range g.Nodes {
		if _, ok := table[n.Op]; !ok {
			unsupported = append(unsupported, n)
		}
	}
	if len(unsupported) > 0 {
		return nil, &ErrUnsupported{Nodes: unsupported}
	}
	for _, n := range g.Nodes {
		if err := checkStatic(n); err != nil {
			return nil, fmt.Errorf("layers: compile: node %q (%s): %w", n.Name, n.Op, err)
		}
	}

	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Program{graph: g, threads: threads, stats: make(map[string]*SpikeStats)}
	slots := make(map[string]int)
	slotOf := func(name string) int {
		if s, ok := slots[name]; ok {
			return s
		}
		s := p.nslots
		slots[name] = s
		p.nslots++
		return s
	}
	for _, in := range g.Inputs {
		p.inputs = append(p.inputs, progInput{info: in, slot: slotOf(in.Name), def: g.Initializers[in.Name]})
	}
	// Initializers in name order, so that compilation is deterministic.
	names := make([]string, 0, len(g.Initializers))
	for name := range g.Initializers {
		names = append(names, name)
	}
	sort.Strings(names)
	isInput := make(map[string]bool, len(g.Inputs))
	for _, in := range g.Inputs {
		isInput[in.Name] = true
	}
	for _, name := range names {
		if isInput[name] {
			continue
		}
		t := g.Initializers[name]
		if t == nil {
			return nil, fmt.Errorf("layers: compile: initializer %q is nil", name)
		}
		if err := checkTensor(t); err != nil {
			return nil, fmt.Errorf("layers: compile: initializer %q: %w", name, err)
		}
		p.consts = append(p.consts, constSlot{slot: slotOf(name), t: t})
	}
	for _, n := range g.Nodes {
		st := step{node: n, kern: table[n.Op]}
		for _, in := range n.Inputs {
			s := -1
			if in != "" {
				s = slotOf(in)
			}
			st.in = append(st.in, s)
			if s >= 0 && !slices.Contains(st.uniq, s) {
				st.uniq = append(st.uniq, s)
			}
		}
		for _, o := range n.Outputs {
			s := -1
			if o != "" {
				s = slotOf(o)
			}
			st.out = append(st.out, s)
		}
		p.steps = append(p.steps, st)
		if n.Op == "FS" {
			p.fsNodes = append(p.fsNodes, n)
		}
	}
	for _, o := range g.Outputs {
		p.outputs = append(p.outputs, outSlot{name: o.Name, slot: slotOf(o.Name)})
	}
	p.reads = make([]int, p.nslots)
	p.pinned = make([]bool, p.nslots)
	for _, st := range p.steps {
		for _, s := range st.uniq {
			p.reads[s]++
		}
	}
	for _, o := range p.outputs {
		p.pinned[o.slot] = true
	}
	p.fused, p.fusedReads = p.fuseSteps()
	p.weights = newWeightCache(p.consts)
	p.constBufs = make([]buffer, len(p.consts))
	for k, c := range p.consts {
		p.constBufs[k] = buffer{f: c.t.F, i: c.t.I, pinned: true}
	}
	return p, nil
}

// checkStatic validates what can be known about a node without its inputs.
func checkStatic(n *Node) error {
	switch n.Op {
	case "FS":
		h, t, d := n.Attrs.Floats("h", nil), n.Attrs.Floats("T", nil), n.Attrs.Floats("d", nil)
		if _, err := fsChannels(h, d); err != nil || len(h) != len(t) {
			return fmt.Errorf("attributes h, T, d must be non-empty float lists, h and T of equal length K and d of K or K per channel, got %d, %d, %d", len(h), len(t), len(d))
		}
		if len(n.Inputs) < 1 || n.Inputs[0] == "" || len(n.Outputs) < 1 {
			return fmt.Errorf("needs one input and one output")
		}
	case "Transpose":
		if perm := n.Attrs.Ints("perm", nil); perm != nil {
			seen := make([]bool, len(perm))
			for _, a := range perm {
				if a < 0 || int(a) >= len(perm) || seen[a] {
					return fmt.Errorf("attribute perm %v is not a permutation", perm)
				}
				seen[a] = true
			}
		}
	case "Cast":
		if _, ok := n.Attrs["to"]; !ok {
			return fmt.Errorf("missing attribute \"to\"")
		}
	}
	return nil
}

// checkTensor verifies that t's data matches its shape and dtype.
func checkTensor(t *Tensor) error {
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
	}
	n := NumElements(t.Shape)
	switch t.DType {
	case Float32:
		if len(t.F) != n {
			return fmt.Errorf("%d float32 values for shape %v", len(t.F), t.Shape)
		}
	case Int64:
		if len(t.I) != n {
			return fmt.Errorf("%d int64 values for shape %v", len(t.I), t.Shape)
		}
	default:
		return fmt.Errorf("unknown dtype %v", t.DType)
	}
	return nil
}

// Graph returns the graph the program was compiled from.
func (p *Program) Graph() *Graph { return p.graph }

// Run executes the program on the named inputs and returns the graph
// outputs by name.
func (p *Program) Run(inputs map[string]*Tensor) (map[string]*Tensor, error) {
	return p.RunObserved(inputs, nil)
}

// buffer is one piece of memory shared by every value that aliases it (a
// Reshape output shares its input's buffer). refs counts the pending reads
// of all those values; at zero the memory goes back to the pool.
type buffer struct {
	f      []float32
	i      []int64
	refs   int
	pinned bool // owned by the caller or an initializer, or a graph output
}

func (b *buffer) overlaps(t *Tensor) bool {
	if t.DType == Float32 {
		return spansOverlap(spanOf(b.f), spanOf(t.F))
	}
	return spansOverlap(spanOf(b.i), spanOf(t.I))
}

type span struct{ lo, hi uintptr }

// spanOf is the address range of s's elements; aliasing is detected by
// address because kernels may return views of their inputs.
func spanOf[T any](s []T) span {
	if len(s) == 0 {
		return span{}
	}
	var z T
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return span{lo, lo + uintptr(len(s))*unsafe.Sizeof(z)}
}

func spansOverlap(a, b span) bool {
	return a.lo < a.hi && b.lo < b.hi && a.lo < b.hi && b.lo < a.hi
}

// RunObserved is Run, calling obs (if not nil) after each node.
func (p *Program) RunObserved(inputs map[string]*Tensor, obs Observer) (map[string]*Tensor, error) {
	pool := p.getPool()
	defer p.putPool(pool)
	// The run's bookkeeping slices and contexts are kept with the pool
	// (one run at a time owns it) and reused: at batch 1 the allocations,
	// not the arithmetic, dominated small models.
	rs := &pool.run
	defer rs.release()
	vals := resized(rs.vals, p.nslots)
	bufs := resized(rs.bufs, p.nslots)
	rs.vals, rs.bufs = vals, bufs
	// Every value's buffer record comes from the slab. (Each slot gets at
	// most one new record, so a slab of nslots suffices; a full slab is
	// replaced, never grown, so that records do not move.)
	if cap(rs.slab) < p.nslots {
		rs.slab = make([]buffer, 0, p.nslots)
	}
	slab := rs.slab[:0]
	newBuffer := func(f []float32, i []int64, pinned bool) *buffer {
		if len(slab) == cap(slab) {
			slab = make([]buffer, 0, 16)
		}
		slab = append(slab, buffer{f: f, i: i, pinned: pinned})
		return &slab[len(slab)-1]
	}
	for _, in := range p.inputs {
		t := inputs[in.info.Name]
		if t == nil {
			if in.def == nil {
				return nil, fmt.Errorf("layers: run: missing input %q", in.info.Name)
			}
			t = in.def
		} else if err := checkInput(in.info, t); err != nil {
			return nil, fmt.Errorf("layers: run: input %q: %w", in.info.Name, err)
		}
		vals[in.slot] = t
		bufs[in.slot] = newBuffer(t.F, t.I, true)
	}
	for name := range inputs {
		known := false
		for _, in := range p.inputs {
			known = known || in.info.Name == name
		}
		if !known {
			return nil, fmt.Errorf("layers: run: %q is not an input of the graph", name)
		}
	}
	for k, c := range p.consts {
		vals[c.slot] = c.t
		bufs[c.slot] = &p.constBufs[k]
	}
	// Pending reads of inputs and constants do not matter: they are pinned.

	rs.ec = execContext{Threads: p.threads, pool: pool, weights: p.weights, one: &rs.one}
	rs.one = execContext{Threads: 1, weights: p.weights}
	ec := &rs.ec
	if len(p.fsNodes) > 0 {
		ec.spikes = make(map[string]*SpikeStats)
	}

	steps, reads := p.fused, p.fusedReads
	if obs != nil {
		steps, reads = p.steps, p.reads
	}
	// in and fresh are reused from step to step (and run to run):
	// kernels and observers must not keep the input slice.
	in, fresh := rs.in, rs.fresh
	defer func() { rs.in, rs.fresh = in[:0], fresh[:0] }()
	for _, st := range steps {
		n := st.node
		in = slices.Grow(in[:0], len(st.in))[:len(st.in)]
		for k, s := range st.in {
			in[k] = nil
			if s >= 0 {
				in[k] = vals[s]
			}
		}
		out, err := runKernel(ec, st, in)
		if err != nil {
			return nil, err
		}
		fresh = fresh[:0] // buffers first produced by this step
		for k, s := range st.out {
			if s < 0 {
				continue
			}
			t := out[k]
			vals[s] = t
			var b *buffer
			for _, is := range st.uniq {
				if bufs[is] != nil && bufs[is].overlaps(t) {
					b = bufs[is]
					break
				}
			}
			if b == nil {
				for _, fb := range fresh {
					if fb.overlaps(t) {
						b = fb
						break
					}
				}
			}
			if b == nil {
				b = newBuffer(t.F, t.I, false)
				fresh = append(fresh, b)
			}
			// Pinned records are never written: those of the constants
			// are shared by concurrent runs.
			if !b.pinned {
				b.refs += reads[s]
				b.pinned = p.pinned[s]
			}
			bufs[s] = b
		}
		if obs != nil {
			obs(n, in, out)
		}
		for _, s := range st.uniq {
			b := bufs[s]
			if b.pinned {
				continue
			}
			b.refs--
			if b.refs == 0 {
				pool.put(b)
			}
		}
		// Outputs nobody reads (an unused Dropout mask, say) are freed now.
		for _, b := range fresh {
			if b.refs == 0 && !b.pinned {
				pool.put(b)
			}
		}
	}

	p.mergeStats(ec.spikes)
	res := make(map[string]*Tensor, len(p.outputs))
	for _, o := range p.outputs {
		res[o.name] = vals[o.slot]
	}
	return res, nil
}

// runKernel runs one step, checks what it returned and turns a panic into
// an error naming the node.
func runKernel(ec *execContext, st step, in []*Tensor) (out []*Tensor, err error) {
	n := st.node
	defer func() {
		if r := recover(); r != nil {
			out = nil
			if big, ok := r.(tooLarge); ok {
				err = fmt.Errorf("node %q (%s): output of shape %v exceeds %d elements", n.Name, n.Op, big.shape, maxTensorElements)
				return
			}
			err = fmt.Errorf("node %q (%s): internal error: %v", n.Name, n.Op, r)
		}
	}()
	out, err = st.kern(ec, n, in)
	if err != nil {
		return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
	}
	for k, s := range st.out {
		if s < 0 {
			continue
		}
		if k >= len(out) || out[k] == nil {
			return nil, fmt.Errorf("node %q (%s): output %d (%q) was not produced", n.Name, n.Op, k, n.Outputs[k])
		}
		if err := checkTensor(out[k]); err != nil {
			return nil, fmt.Errorf("node %q (%s): output %q: %w", n.Name, n.Op, n.Outputs[k], err)
		}
	}
	return out, nil
}

// checkInput compares a caller's tensor with the declared input.
func checkInput(info ValueInfo, t *Tensor) error {
	if err := checkTensor(t); err != nil {
		return err
	}
	if t.DType != info.DType {
		return fmt.Errorf("dtype %v, want %v", t.DType, info.DType)
	}
	if info.Shape == nil {
		return nil // rank unknown
	}
	if len(t.Shape) != len(info.Shape) {
		return fmt.Errorf("shape %v, want %s", t.Shape, shapeString(info.Shape))
	}
	for i, d := range info.Shape {
		if d >= 0 && t.Shape[i] != d {
			return fmt.Errorf("shape %v, want %s", t.Shape, shapeString(info.Shape))
		}
	}
	return nil
}

func shapeString(shape []int) string {
	s := "["
	for i, d := range shape {
		if i > 0 {
			s += " "
		}
		if d < 0 {
			s += "?"
		} else {
			s += fmt.Sprint(d)
		}
	}
	return s + "]"
}

func (p *Program) getPool() *bufPool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := len(p.pools); k > 0 {
		b := p.pools[k-1]
		p.pools = p.pools[:k-1]
		return b
	}
	return newBufPool()
}

func (p *Program) putPool(b *bufPool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pools = append(p.pools, b)
}

func (p *Program) mergeStats(run map[string]*SpikeStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, s := range run {
		acc := p.stats[name]
		if acc == nil {
			c := *s
			p.stats[name] = &c
			continue
		}
		acc.Elements += s.Elements
		acc.Spikes += s.Spikes
		acc.NeuronsPerSample = s.NeuronsPerSample
	}
}

// SpikeStats returns, for every FS node in graph order, the neuron
// evaluations and spikes counted over all runs since the last ResetStats.
func (p *Program) SpikeStats() []SpikeStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]SpikeStats, 0, len(p.fsNodes))
	for _, n := range p.fsNodes {
		s := SpikeStats{Node: n.Name, Activation: n.Attrs.String("activation", "")}
		if acc := p.stats[statsKey(n)]; acc != nil {
			s.NeuronsPerSample, s.Elements, s.Spikes = acc.NeuronsPerSample, acc.Elements, acc.Spikes
		}
		out = append(out, s)
	}
	return out
}

// ResetStats clears the spike counts.
func (p *Program) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = make(map[string]*SpikeStats)
}

// statsKey identifies a node in the spike maps: its address, because node
// names need not be unique or present.
func statsKey(n *Node) string { return fmt.Sprintf("%p", n) }

// addSpikes records what an FS node did on one tensor.
func (ec *execContext) addSpikes(n *Node, x *Tensor, spikes int64) {
	if ec.spikes == nil {
		return
	}
	perSample := int64(1)
	if len(x.Shape) > 0 {
		perSample = int64(NumElements(x.Shape[1:]))
	}
	key := statsKey(n)
	ec.mu.Lock()
	defer ec.mu.Unlock()
	s := ec.spikes[key]
	if s == nil {
		s = &SpikeStats{Node: n.Name, Activation: n.Attrs.String("activation", "")}
		ec.spikes[key] = s
	}
	s.NeuronsPerSample = perSample
	s.Elements += int64(x.Len())
	s.Spikes += spikes
}

// bufPool is a free list of buffers keyed by length, reused across layers
// and runs, with the bookkeeping of the run that holds it.
type bufPool struct {
	f   map[int][][]float32
	i   map[int][][]int64
	run runState
}

// runState is RunObserved's per-run memory, reused by the next run that
// takes the same pool.
type runState struct {
	vals    []*Tensor
	bufs    []*buffer
	slab    []buffer
	in      []*Tensor
	fresh   []*buffer
	ec, one execContext
}

// release drops the run's references to tensors and buffers (so that the
// pool does not keep them alive) and the contexts' references.
func (r *runState) release() {
	clear(r.vals)
	clear(r.bufs)
	clear(r.slab[:cap(r.slab)])
	clear(r.in[:cap(r.in)])
	clear(r.fresh[:cap(r.fresh)])
	r.ec, r.one = execContext{}, execContext{}
}

// resized returns s with length n and every element zero, reusing its
// memory when large enough.
func resized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func newBufPool() *bufPool {
	return &bufPool{f: make(map[int][][]float32), i: make(map[int][][]int64)}
}

func (p *bufPool) put(b *buffer) {
	if len(b.f) > 0 {
		p.f[len(b.f)] = append(p.f[len(b.f)], b.f)
	}
	if len(b.i) > 0 {
		p.i[len(b.i)] = append(p.i[len(b.i)], b.i)
	}
	b.f, b.i = nil, nil
}

// maxTensorElements bounds what a kernel may allocate (8 GiB of float32),
// so that a malformed shape fails the node instead of exhausting memory,
// which Go cannot recover from.
const maxTensorElements = 1<<31 - 1

// tooLarge is the panic value of checkedElements; runKernel turns it into
// an error naming the node.
type tooLarge struct{ shape []int }

// checkedElements is NumElements, panicking with tooLarge on a negative
// dimension or a product beyond maxTensorElements (without overflowing).
func checkedElements(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > maxTensorElements/d) {
			panic(tooLarge{slices.Clone(shape)})
		}
		n *= d
	}
	return n
}

// newFloat returns a float32 tensor of the given shape whose contents are
// undefined (possibly recycled): the kernel must write every element.
func (ec *execContext) newFloat(shape []int) *Tensor {
	n := checkedElements(shape)
	t := newTensorHeader(Float32, shape)
	if ec != nil && ec.pool != nil {
		if l := ec.pool.f[n]; len(l) > 0 {
			t.F = l[len(l)-1]
			ec.pool.f[n] = l[:len(l)-1]
			return t
		}
	}
	t.F = make([]float32, n)
	return t
}

// tensorHeader is a Tensor with room for its shape, so that a kernel's
// output costs one allocation instead of two (at batch 1 the allocations
// of a run cost as much as small layers' arithmetic).
type tensorHeader struct {
	t    Tensor
	dims [6]int
}

// newTensorHeader returns a tensor of the given dtype holding a copy of
// shape and no data.
func newTensorHeader(dt DType, shape []int) *Tensor {
	h := &tensorHeader{}
	h.t.DType = dt
	if len(shape) <= len(h.dims) {
		h.t.Shape = append(h.dims[:0:len(h.dims)], shape...)[:len(shape):len(shape)]
	} else {
		h.t.Shape = slices.Clone(shape)
	}
	return &h.t
}

// newInt is newFloat for int64.
func (ec *execContext) newInt(shape []int) *Tensor {
	n := checkedElements(shape)
	t := newTensorHeader(Int64, shape)
	if ec != nil && ec.pool != nil {
		if l := ec.pool.i[n]; len(l) > 0 {
			t.I = l[len(l)-1]
			ec.pool.i[n] = l[:len(l)-1]
			return t
		}
	}
	t.I = make([]int64, n)
	return t
}

// newZeroFloat is newFloat with every element zero.
func (ec *execContext) newZeroFloat(shape []int) *Tensor {
	t := ec.newFloat(shape)
	clear(t.F)
	return t
}

// newLike returns a tensor of t's dtype and the given shape (contents
// undefined).
func (ec *execContext) newLike(t *Tensor, shape []int) *Tensor {
	if t.DType == Int64 {
		return ec.newInt(shape)
	}
	return ec.newFloat(shape)
}

// parallelThreshold is the element count below which kernels run on one
// goroutine: splitting smaller work costs more than it saves.
const parallelThreshold = 16 << 10

// par runs fn over [0, n) in parallel when work (elements touched) is large.
func (ec *execContext) par(n, work int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if ec == nil || work < parallelThreshold || ec.Threads == 1 {
		fn(0, n)
		return
	}
	ec.parallelFor(n, fn)
}
