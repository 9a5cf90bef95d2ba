package convert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fewspikes/fewspikes/layers"
)

// MaxSteps bounds the number of FS time steps a site may use.
const MaxSteps = 64

// Site is one activation node that conversion replaces by an FS neuron.
type Site struct {
	Node       string            // node name (unique in the graph)
	Op         string            // original operator, e.g. "SiLU"
	Activation layers.Activation // fsfit catalogue name and parameters
	Input      string            // value the activation reads
	Output     string            // value the activation writes
	K          int               // FS time steps
	// Gate is true for a sigmoid-like site whose output multiplies another
	// tensor (a squeeze-excitation gate).
	Gate bool
}

// SiteOptions selects sites and their number of time steps.
type SiteOptions struct {
	Steps   int            // K for every site not in PerSite
	PerSite map[string]int // K per node name
	Exclude []string       // node names to leave as analog activations
}

// FindSites returns every activation site of g (every node for which
// layers.ActivationOf reports an activation) in graph order, except those
// excluded. Naming an unknown node, or a node that is not an activation,
// in Exclude or PerSite is an error, as is a K outside 1..MaxSteps.
func FindSites(g *layers.Graph, opt SiteOptions) ([]Site, error) {
	if opt.Steps < 1 || opt.Steps > MaxSteps {
		return nil, fmt.Errorf("steps %d out of range 1..%d", opt.Steps, MaxSteps)
	}
	byName := make(map[string]*layers.Node, len(g.Nodes))
	for _, n := range g.Nodes {
		byName[n.Name] = n
	}
	check := func(what, name string) error {
		n, ok := byName[name]
		if !ok || name == "" {
			return fmt.Errorf("%s: no node named %q in the model", what, name)
		}
		if _, ok := layers.ActivationOf(n); !ok {
			return fmt.Errorf("%s: node %q (%s) is not an activation site", what, name, n.Op)
		}
		return nil
	}
	excluded := make(map[string]bool, len(opt.Exclude))
	for _, name := range opt.Exclude {
		if err := check("exclude", name); err != nil {
			return nil, err
		}
		excluded[name] = true
	}
	names := make([]string, 0, len(opt.PerSite))
	for name := range opt.PerSite {
		names = append(names, name)
	}
	sort.Strings(names) // report the first bad name deterministically
	for _, name := range names {
		if err := check("steps", name); err != nil {
			return nil, err
		}
		if k := opt.PerSite[name]; k < 1 || k > MaxSteps {
			return nil, fmt.Errorf("steps for node %q: %d out of range 1..%d", name, k, MaxSteps)
		}
	}
	consumers := g.Consumers()
	var sites []Site
	seen := make(map[string]bool)
	for _, n := range g.Nodes {
		act, ok := layers.ActivationOf(n)
		if !ok || excluded[n.Name] {
			continue
		}
		if len(n.Inputs) < 1 || len(n.Outputs) < 1 || n.Inputs[0] == "" {
			return nil, fmt.Errorf("activation node %q (%s) has no input or output", n.Name, n.Op)
		}
		if n.Name == "" || seen[n.Name] {
			return nil, fmt.Errorf("activation node %q (%s): site nodes need unique names", n.Name, n.Op)
		}
		seen[n.Name] = true
		k := opt.Steps
		if pk, ok := opt.PerSite[n.Name]; ok {
			k = pk
		}
		s := Site{Node: n.Name, Op: n.Op, Activation: act, Input: n.Inputs[0], Output: n.Outputs[0], K: k}
		if act.Name == "sigmoid" || act.Name == "hard_sigmoid" {
			for _, c := range consumers[s.Output] {
				if c.Op == "Mul" {
					s.Gate = true
				}
			}
		}
		sites = append(sites, s)
	}
	return sites, nil
}

// ParseSteps parses a comma-separated list of step counts ("16" or
// "4,8,12,16,24"), each in 1..MaxSteps.
func ParseSteps(s string) ([]int, error) {
	var ks []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		var k int
		if _, err := fmt.Sscanf(f, "%d", &k); err != nil || fmt.Sprint(k) != f {
			return nil, fmt.Errorf("steps %q: %q is not an integer", s, f)
		}
		if k < 1 || k > MaxSteps {
			return nil, fmt.Errorf("steps %q: %d out of range 1..%d", s, k, MaxSteps)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// ParsePerSite parses "NODE=K,NODE=K" into a map.
func ParsePerSite(s string) (map[string]int, error) {
	m := make(map[string]int)
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, f := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("site steps %q: want NODE=K", f)
		}
		ks, err := ParseSteps(val)
		if err != nil || len(ks) != 1 {
			return nil, fmt.Errorf("site steps %q: want NODE=K with one K in 1..%d", f, MaxSteps)
		}
		m[name] = ks[0]
	}
	return m, nil
}
