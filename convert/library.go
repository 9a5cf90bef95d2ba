package convert

import "github.com/fewspikes/fewspikes/fsfit"

// candidate is a ready-made parameter set for an activation.
type candidate struct {
	params fsfit.Params
	source string
	lo, hi float64 // range it was made for
}

// libraryCandidates returns the ready-made parameters for act at k steps:
// Stöckl & Maass's released sets where they exist, and fsfit's embedded
// library at k and at every smaller K it holds (padded to k by the caller
// with steps that never spike), which gives every site cheap candidates
// that spend fewer spikes at a larger error. Only activations with their
// default parameters qualify (a leaky ReLU of another slope is another
// function).
func libraryCandidates(act fsfit.Activation, k int) []candidate {
	def, err := fsfit.Lookup(act.Name)
	if err != nil || def.Alpha != act.Alpha || def.Beta != act.Beta {
		return nil
	}
	var out []candidate
	if p, err := fsfit.Stockl(act, k); err == nil {
		out = append(out, candidate{params: p, source: SourceStockl, lo: act.Lo, hi: act.Hi})
	}
	for _, lk := range fsfit.LibrarySteps {
		if lk > k {
			continue
		}
		e, ok := fsfit.LibraryInfo(act.Name, lk)
		if !ok {
			continue
		}
		if _, ok := fsfit.LibraryFor(act, lk); !ok {
			continue
		}
		lo, hi := act.Lo, act.Hi
		if len(e.Range) == 2 {
			lo, hi = e.Range[0], e.Range[1]
		}
		out = append(out, candidate{params: e.Params, source: SourceLibrary, lo: lo, hi: hi})
	}
	return out
}
