package fsfit

import (
	"math"
	"testing"
)

func TestLibraryComplete(t *testing.T) {
	for _, act := range Catalogue() {
		xs := Linspace(act.Lo, act.Hi, 100000)
		prev := math.Inf(1)
		for _, k := range LibrarySteps {
			e, ok := LibraryInfo(act.Name, k)
			if !ok {
				t.Errorf("library lacks %s K=%d", act.Name, k)
				continue
			}
			if e.K() != k || e.Validate() != nil {
				t.Errorf("%s K=%d: bad entry (K=%d, %v)", act.Name, k, e.K(), e.Validate())
				continue
			}
			// The stored error is the error of the stored parameters on
			// the same 100000 points.
			m := Evaluate(act, e.Params, xs, nil)
			if math.Abs(m.MSE-e.MSE) > 1e-9*e.MSE || m.SpikesPerInput != e.SpikesPerInput {
				t.Errorf("%s K=%d: stored MSE %.3e, measured %.3e", act.Name, k, e.MSE, m.MSE)
			}
			// More steps never fit worse (the generator pads a better
			// smaller neuron with silent steps when the search at K ends
			// worse).
			if e.MSE > prev {
				t.Errorf("%s: MSE rises from %.3e to %.3e at K=%d", act.Name, prev, e.MSE, k)
			}
			prev = math.Min(prev, e.MSE)
		}
		if e, ok := LibraryInfo(act.Name, 16); ok && e.MSE > 2e-3 {
			t.Errorf("%s K=16: library MSE %.3e is poor", act.Name, e.MSE)
		}
	}
}

func TestLibraryLookup(t *testing.T) {
	a, ok1 := Library("swish", 16)
	b, ok2 := Library("silu", 16)
	if !ok1 || !ok2 || a.K() != 16 || a.H[0] != b.H[0] {
		t.Fatal("Library(swish) and Library(silu) should be the same entry")
	}
	a.H[0] = 1e9 // callers get copies
	if c, _ := Library("silu", 16); c.H[0] == 1e9 {
		t.Error("Library returned shared storage")
	}
	if _, ok := Library("silu", 7); ok {
		t.Error("K=7 is not in the library")
	}
	if _, ok := Library("nosuch", 16); ok {
		t.Error("unknown activation found")
	}
	lr, _ := Lookup("leaky_relu")
	if _, ok := LibraryFor(lr, 8); !ok {
		t.Error("LibraryFor(leaky_relu default) should be found")
	}
	if _, ok := LibraryFor(lr.WithParams(0.2, 0), 8); ok {
		t.Error("LibraryFor(leaky_relu alpha 0.2) must not return the alpha 0.01 fit")
	}
}
