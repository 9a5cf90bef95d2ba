package convert

import "github.com/fewspikes/fewspikes/fsfit"

// candidate is a ready-made parameter set for an activation.
type candidate struct {
	params fsfit.Params
	source string
	lo, hi float64 // range it was made for
}

// libraryCandidates returns the ready-made parameters for act at k steps:
// Stöckl & Maass's released sets where they exist. Only activations with
// their default parameters qualify (a leaky ReLU of another slope is
// another function).
func libraryCandidates(act fsfit.Activation, k int) []candidate {
	def, err := fsfit.Lookup(act.Name)
	if err != nil || def.Alpha != act.Alpha || def.Beta != act.Beta {
		return nil
	}
	var out []candidate
	if p, err := fsfit.Stockl(act, k); err == nil {
		out = append(out, candidate{params: p, source: SourceStockl, lo: act.Lo, hi: act.Hi})
	}
	return out
}
