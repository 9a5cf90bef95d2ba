package fsfit

import (
	"testing"
)

// Paper (Jeong et al. 2024) TBPI MSE for Swish on [-8, 12], 100000 points.
var paperTBPI = map[int]float64{4: 3.8795e-2, 8: 6.295e-3, 12: 1.413e-3, 16: 1.246e-3}

// The default method must at least halve the paper's TBPI error at K=16
// (<= 6.2e-4); this check runs in every go test.
func TestAutoSwishK16Target(t *testing.T) {
	r, err := Fit(swish(t), 16, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("auto K=16: MSE %.3e, max error %.4f, %.2f spikes/input, %.2fs", r.MSE, r.MaxAbsError, r.SpikesPerInput, r.Seconds)
	if r.MSE > 6.2e-4 {
		t.Errorf("auto K=16 MSE %.3e > 6.2e-4 (half the paper's TBPI %.3e)", r.MSE, paperTBPI[16])
	}
	if r.SpikesPerInput <= 0 || r.SpikesPerInput > 16 {
		t.Errorf("spikes per input %v", r.SpikesPerInput)
	}
}

func TestAutoSwishK8Target(t *testing.T) {
	if testing.Short() {
		t.Skip("slow target check")
	}
	r, err := Fit(swish(t), 8, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("auto K=8: MSE %.3e, %.2f spikes/input", r.MSE, r.SpikesPerInput)
	if r.MSE > paperTBPI[8]/2 {
		t.Errorf("auto K=8 MSE %.3e > half the paper's TBPI %.3e", r.MSE, paperTBPI[8])
	}
}

// The default method must at least halve the paper's TBPI error at K=12
// too (<= 7.07e-4).
func TestAutoSwishK12Target(t *testing.T) {
	if testing.Short() {
		t.Skip("slow target check")
	}
	r, err := Fit(swish(t), 12, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("auto K=12: MSE %.3e, %.2f spikes/input", r.MSE, r.SpikesPerInput)
	if r.MSE > paperTBPI[12]/2 {
		t.Errorf("auto K=12 MSE %.3e > half the paper's TBPI %.3e", r.MSE, paperTBPI[12])
	}
}

// Our implementation of the paper's TBPI reaches the paper's figures
// (Swish, 100000 points): K=8 <= 6.30e-3, K=12 <= 1.41e-3, K=16 <= 1.25e-3.
func TestTBPISwishTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("slow target check")
	}
	target := map[int]float64{8: 6.30e-3, 12: 1.41e-3, 16: 1.25e-3}
	for _, k := range []int{8, 12, 16} {
		r, err := Fit(swish(t), k, Options{Init: InitTBPI})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("tbpi K=%d: MSE %.3e (paper %.3e), %.2f spikes/input, %.1fs", k, r.MSE, paperTBPI[k], r.SpikesPerInput, r.Seconds)
		if r.MSE > target[k] {
			t.Errorf("tbpi K=%d MSE %.3e above the paper's %.3e (target %.3g)", k, r.MSE, paperTBPI[k], target[k])
		}
	}
}

// BenchmarkFitSwishK16 is the speed target: one K=16 fit with the default
// method (under 2 s on one core). Run with -cpu 1.
func BenchmarkFitSwishK16(b *testing.B) {
	act, _ := Lookup("swish")
	cpu := processCPUSeconds()
	for i := 0; i < b.N; i++ {
		if _, err := Fit(act, 16, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	// On a shared machine wall time overstates the cost: report the
	// process CPU time per fit too.
	b.ReportMetric((processCPUSeconds()-cpu)/float64(b.N), "cpu-s/op")
}
