package convert

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/fewspikes/fewspikes/layers"
)

// SiteVariant is a base choice of parameters with one site's changed.
type SiteVariant struct {
	Site   string
	Params layers.FSParams
}

// ProbeResult is a probe's output error and spikes per neuron.
type ProbeResult struct {
	OutErr, SpikesPerNeuron float64
}

// VariantProbe measures the base choice and each variant of it (as Probe
// would, with the same results), sharing the work the variants have in
// common. It returns the base's result and one per variant.
type VariantProbe func(base map[string]layers.FSParams, variants []SiteVariant) (ProbeResult, []ProbeResult, error)

// maxCutBytes bounds the memory of the base run's values that the
// variants of outputErrorVariants start from (at least one batch's).
const maxCutBytes = 256 << 20

// outputErrorVariants is outputError for base and for each variant of it.
// A variant changes one site, so everything upstream of that site is the
// base's: the base runs once per batch keeping the values that cross into
// each changed site's downstream part (its cone), and each variant runs
// only its cone, on single-threaded copies shared among the cores. Every
// kernel sees the inputs it sees in a whole run, so the results are the
// same, bit for bit.
func (m *Model) outputErrorVariants(sites []Site, base map[string]layers.FSParams, variants []SiteVariant, x, want *layers.Tensor, batch int) (ProbeResult, []ProbeResult, error) {
	return m.outputErrorVariantsIn(sites, base, variants, x, want, batch, maxCutBytes)
}

// outputErrorVariantsIn is outputErrorVariants keeping at most memory
// bytes of base values (but at least one batch's).
func (m *Model) outputErrorVariantsIn(sites []Site, base map[string]layers.FSParams, variants []SiteVariant, x, want *layers.Tensor, batch, memory int) (ProbeResult, []ProbeResult, error) {
	whole := func() (ProbeResult, []ProbeResult, error) {
		one := func(params map[string]layers.FSParams) (float64, float64, error) {
			return m.outputError(sites, params, x, want, batch)
		}
		return variantsWhole(one, base, variants, true)
	}
	g, err := BuildSNN(m.Graph, sites, base)
	if err != nil {
		return ProbeResult{}, nil, err
	}
	cones, cutNames, err := siteCones(g, variants)
	if err != nil {
		return ProbeResult{}, nil, err
	}
	// A site whose cone does not reach the output (a dead branch) cannot
	// run on its own: then every variant runs whole.
	for _, c := range cones {
		reaches := false
		for i, in := range c.nodes {
			reaches = reaches || (in && slices.Contains(g.Nodes[i].Outputs, m.Output))
		}
		if !reaches {
			return whole()
		}
	}
	// The base run returns the values the cones start from.
	gb := *g
	gb.Outputs = append([]layers.ValueInfo(nil), g.Outputs...)
	for _, t := range cutNames {
		if t != m.Output && !isGraphInput(g, t) {
			gb.Outputs = append(gb.Outputs, layers.ValueInfo{Name: t})
		}
	}
	baseProg, err := layers.Compile(&gb, layers.Options{Threads: m.Threads})
	if err != nil {
		return ProbeResult{}, nil, fmt.Errorf("SNN: %w", err)
	}
	// subgraph is the cone of variant vi as a graph of its own, its
	// inputs typed as the base run's values.
	subgraph := func(vi int, values map[string]*layers.Tensor) (*layers.Graph, error) {
		gv, err := BuildSNN(m.Graph, sites, withSite(base, variants[vi]))
		if err != nil {
			return nil, err
		}
		c := cones[vi]
		sub := &layers.Graph{Initializers: gv.Initializers, Outputs: g.Outputs, Opset: gv.Opset, Producer: gv.Producer}
		for _, t := range c.cut {
			sub.Inputs = append(sub.Inputs, layers.ValueInfo{Name: t, DType: values[t].DType})
		}
		for i, in := range c.nodes {
			if in {
				sub.Nodes = append(sub.Nodes, gv.Nodes[i])
			}
		}
		return sub, nil
	}
	if batch < 1 {
		batch = 64
	}
	n := x.Shape[0]
	workers := m.Threads
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(variants)))
	var baseSum float64
	sums := make([]float64, len(variants))
	spikes := make([]int64, len(variants)) // inside each cone
	outLen := 0
	// The samples go in chunks of batches whose base values fit in
	// maxCutBytes; within a chunk each variant runs all its batches on one
	// program, so that only one program per core is alive at a time.
	chunk := 0 // batches per chunk, set by the first batch's size
	for lo := 0; lo < n; {
		var values []map[string]*layers.Tensor
		var wants []*layers.Tensor
		chunkLo := lo
		for ; lo < n && (chunk == 0 || len(values) < chunk); lo += batch {
			hi := min(lo+batch, n)
			xb := Slice(x, lo, hi)
			outs, err := baseProg.Run(map[string]*layers.Tensor{m.Input.Name: xb})
			if err != nil {
				return ProbeResult{}, nil, fmt.Errorf("SNN: samples %d..%d: %w", lo, hi-1, err)
			}
			v := map[string]*layers.Tensor{m.Input.Name: xb}
			var bytes int
			for name, t := range outs {
				v[name] = t
				bytes += 4 * t.Len()
			}
			if chunk == 0 {
				for _, t := range cutNames {
					if v[t] == nil {
						return whole() // a value the base run did not give
					}
				}
				chunk = max(1, memory/max(1, bytes))
			}
			y := outs[m.Output]
			wantB := Slice(want, lo, hi)
			if y == nil || y.Len() != wantB.Len() {
				return ProbeResult{}, nil, fmt.Errorf("SNN output has %d values for samples %d..%d, the ANN's %d", lenOf(y), lo, hi-1, wantB.Len())
			}
			outLen += y.Len()
			baseSum = addSqDiff(baseSum, y, wantB)
			values, wants = append(values, v), append(wants, wantB)
		}
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for vi := w; vi < len(variants); vi += workers {
					if err := func() error {
						sub, err := subgraph(vi, values[0])
						if err != nil {
							return err
						}
						prog, err := layers.Compile(sub, layers.Options{Threads: 1})
						if err != nil {
							return err
						}
						for b, v := range values {
							in := make(map[string]*layers.Tensor, len(cones[vi].cut))
							for _, t := range cones[vi].cut {
								in[t] = v[t]
							}
							res, err := prog.Run(in)
							if err != nil {
								return fmt.Errorf("samples %d..%d: %w", chunkLo+b*batch, chunkLo+b*batch+wants[b].Shape[0]-1, err)
							}
							y := res[m.Output]
							if y == nil || y.Len() != wants[b].Len() {
								return fmt.Errorf("output has %d values, the ANN's %d", lenOf(y), wants[b].Len())
							}
							sums[vi] = addSqDiff(sums[vi], y, wants[b])
						}
						for _, st := range prog.SpikeStats() {
							spikes[vi] += st.Spikes
						}
						return nil
					}(); err != nil {
						errs[w] = fmt.Errorf("SNN with site %q changed: %w", variants[vi].Site, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return ProbeResult{}, nil, err
		}
	}
	// Spikes: the base's outside each cone, the variant's inside it.
	baseStats := baseProg.SpikeStats()
	var baseSpikes, elems int64
	for _, st := range baseStats {
		baseSpikes += st.Spikes
		elems += st.Elements
	}
	perNeuron := func(spikes int64) float64 {
		if elems == 0 {
			return 0
		}
		return float64(spikes) / float64(elems)
	}
	b := ProbeResult{OutErr: baseSum / float64(max(1, outLen)), SpikesPerNeuron: perNeuron(baseSpikes)}
	res := make([]ProbeResult, len(variants))
	for vi, c := range cones {
		total := baseSpikes + spikes[vi]
		for _, st := range baseStats {
			if c.fs[st.Node] {
				total -= st.Spikes
			}
		}
		res[vi] = ProbeResult{OutErr: sums[vi] / float64(max(1, outLen)), SpikesPerNeuron: perNeuron(total)}
	}
	return b, res, nil
}

// cone is the part of an SNN downstream of one site: its nodes (by index,
// the site's FS node first among them), the values entering it from
// outside, and its FS nodes.
type cone struct {
	nodes []bool
	cut   []string
	fs    map[string]bool
}

// siteCones returns the cone of each variant's site in g (whose nodes are
// in topological order) and every value entering any of them, once.
func siteCones(g *layers.Graph, variants []SiteVariant) ([]cone, []string, error) {
	producer := make(map[string]int)
	consumers := make(map[string][]int)
	index := make(map[string]int)
	for i, n := range g.Nodes {
		index[n.Name] = i
		for _, o := range n.Outputs {
			producer[o] = i
		}
		for _, in := range n.Inputs {
			consumers[in] = append(consumers[in], i)
		}
	}
	cones := make([]cone, len(variants))
	var cutNames []string
	isCut := make(map[string]bool)
	for vi, v := range variants {
		start, ok := index[v.Site]
		if !ok {
			return nil, nil, fmt.Errorf("variant site %q not in the SNN", v.Site)
		}
		c := cone{nodes: make([]bool, len(g.Nodes)), fs: make(map[string]bool)}
		c.nodes[start] = true
		for i := start; i < len(g.Nodes); i++ {
			if !c.nodes[i] {
				continue
			}
			for _, o := range g.Nodes[i].Outputs {
				for _, j := range consumers[o] {
					c.nodes[j] = true
				}
			}
		}
		seen := make(map[string]bool)
		for i, in := range c.nodes {
			if !in {
				continue
			}
			n := g.Nodes[i]
			if n.Op == "FS" {
				c.fs[n.Name] = true
			}
			for _, t := range n.Inputs {
				if t == "" || seen[t] || g.Initializers[t] != nil {
					continue
				}
				if p, ok := producer[t]; ok && c.nodes[p] {
					continue
				}
				seen[t] = true
				c.cut = append(c.cut, t)
				if !isCut[t] {
					isCut[t] = true
					cutNames = append(cutNames, t)
				}
			}
		}
		cones[vi] = c
	}
	return cones, cutNames, nil
}

// variantsWhole measures base (if needBase) and each variant of it with
// one whole run each.
func variantsWhole(one Probe, base map[string]layers.FSParams, variants []SiteVariant, needBase bool) (ProbeResult, []ProbeResult, error) {
	var b ProbeResult
	var err error
	if needBase {
		if b.OutErr, b.SpikesPerNeuron, err = one(base); err != nil {
			return b, nil, err
		}
	}
	res := make([]ProbeResult, len(variants))
	for i, v := range variants {
		if res[i].OutErr, res[i].SpikesPerNeuron, err = one(withSite(base, v)); err != nil {
			return b, nil, fmt.Errorf("site %q: %w", v.Site, err)
		}
	}
	return b, res, nil
}

// withSite is base with v's site taking v's parameters.
func withSite(base map[string]layers.FSParams, v SiteVariant) map[string]layers.FSParams {
	p := make(map[string]layers.FSParams, len(base))
	for k, q := range base {
		p[k] = q
	}
	p[v.Site] = v.Params
	return p
}

func isGraphInput(g *layers.Graph, name string) bool {
	for _, in := range g.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// addSqDiff adds the squared differences of y from want to the running
// sum s, one by one (as one pass over all batches would).
func addSqDiff(s float64, y, want *layers.Tensor) float64 {
	for i, v := range y.F {
		d := float64(v) - float64(want.F[i])
		s += d * d
	}
	return s
}

func lenOf(t *layers.Tensor) int {
	if t == nil {
		return 0
	}
	return t.Len()
}
