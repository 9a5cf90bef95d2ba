package main

import (
	"math"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/convert"
	"github.com/fewspikes/fewspikes/fsfit"
)

// FuzzFitFlags fuzzes the parsers of the values users type: --range LO:HI,
// --act NAME, --steps K[,K...] and --site-steps NODE=K,... . Each must
// accept only what it promises (finite LO < HI, K in range) and explain a
// refusal by quoting the input; never panic.
func FuzzFitFlags(f *testing.F) {
	f.Add("-8:12", "swish", "16", "relu1=4,relu2=8")
	f.Add("12:-8", "SiLU", "4,8,12,16,24", "")
	f.Add("nan:1", "hard-swish", "0", "a=")
	f.Add("-inf:inf", "gelu_approx", "10000", "=4")
	f.Add("1e309:2", " leakyrelu ", "+4", "a=4,,b=5")
	f.Add(":", "", "", "a=1=2")
	f.Add("0x1p-3:0x1p3", "sigmoid", "4,", "x=99999999999999999999")
	f.Add("1:1", "relu\x00", "-1", "n=4,n=8")
	f.Fuzz(func(t *testing.T, rng, act, steps, perSite string) {
		if lo, hi, err := parseRange(rng); err == nil {
			if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
				t.Fatalf("parseRange(%q) accepted [%v, %v]", rng, lo, hi)
			}
		} else if !strings.Contains(err.Error(), "LO") && !strings.Contains(err.Error(), "HI") && !strings.Contains(err.Error(), "finite") && !strings.Contains(err.Error(), "inverted") {
			t.Fatalf("parseRange(%q): unclear error %v", rng, err)
		}
		if a, err := fsfit.Lookup(act); err == nil {
			if a.F == nil || !(a.Lo < a.Hi) {
				t.Fatalf("Lookup(%q) gave an unusable activation %+v", act, a)
			}
		} else if !strings.Contains(err.Error(), "unknown activation") {
			t.Fatalf("Lookup(%q): unclear error %v", act, err)
		}
		if ks, err := convert.ParseSteps(steps); err == nil {
			if len(ks) == 0 {
				t.Fatalf("ParseSteps(%q) gave no steps", steps)
			}
			for _, k := range ks {
				if k < 1 || k > convert.MaxSteps {
					t.Fatalf("ParseSteps(%q) accepted K=%d", steps, k)
				}
			}
		}
		if m, err := convert.ParsePerSite(perSite); err == nil {
			for node, k := range m {
				if node == "" || k < 1 || k > convert.MaxSteps {
					t.Fatalf("ParsePerSite(%q) accepted %q=%d", perSite, node, k)
				}
			}
		}
	})
}
