package fsfit

import (
	"encoding/binary"
	"math"
	"testing"
)

// floats decodes data as little-endian float64s (the fuzzer reaches NaN,
// Inf, denormals and huge values this way).
func floats(data []byte) []float64 {
	v := make([]float64, len(data)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return v
}

func floatBytes(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// FuzzParams checks parameter and histogram validation on arbitrary
// values: whatever passes Validate must evaluate to finite metrics and be
// accepted by Fit (with the no-training "stockl" init, so each input is
// cheap), and whatever Fit accepts it must not panic on.
func FuzzParams(f *testing.F) {
	f.Add("swish", uint8(4), floatBytes(1, 0.5, 0.25, 0.125, 0, 0.5, 1, 1.5, 1, 0.5, 0.25, 0.125), floatBytes(-8, 0, 12, 1, 2), -8.0, 12.0)
	f.Add("relu", uint8(1), floatBytes(1, 0, 1), floatBytes(0, 1, 1), 0.0, 0.0)
	f.Add("sigmoid", uint8(2), floatBytes(math.NaN(), 0, 1, 2, 3, math.Inf(1)), floatBytes(1, 0, 1), 5.0, -5.0)
	f.Add("gelu", uint8(3), floatBytes(1e308, -1e308, 5e-324, 0, 0, 0, 1, 1, 1), floatBytes(-1, -1, 1, 1), math.Inf(-1), math.NaN())
	f.Add("LeakyRelu", uint8(65), floatBytes(1), floatBytes(0, 1e-300, 2e-300, -1, 1, 1), 0.0, 1e-300)
	f.Add("nosuch", uint8(0), []byte{}, []byte{}, 0.0, 1.0)
	f.Fuzz(func(t *testing.T, name string, k uint8, pdata, hdata []byte, lo, hi float64) {
		act, err := Lookup(name)
		if err != nil {
			return
		}
		v := floats(pdata)
		n := int(k)
		p := Params{}
		if 3*n <= len(v) {
			p = Params{H: v[:n], T: v[n : 2*n], D: v[2*n : 3*n]}
		}
		if p.Validate() == nil {
			xs := Linspace(act.Lo, act.Hi, 101)
			m := Evaluate(act, p, xs, nil)
			if math.IsNaN(m.MSE) || math.IsNaN(m.SpikesPerInput) || m.SpikesPerInput < 0 || m.SpikesPerInput > float64(n) {
				t.Fatalf("valid params %+v: metrics %+v", p, m)
			}
		}
		// The histogram: edges then counts, split in the middle.
		hv := floats(hdata)
		var hist *Histogram
		if len(hv) >= 3 {
			e := (len(hv) + 1) / 2
			hist = &Histogram{Edges: hv[:e], Counts: hv[e:]}
			if hist.Validate() != nil {
				hist = nil
			} else {
				for _, x := range []float64{hv[0], (hv[0] + hv[e-1]) / 2, hv[e-1], math.NaN(), math.Inf(1)} {
					if d := hist.Density(x); math.IsNaN(d) || d < 0 {
						t.Fatalf("histogram %+v: density at %v is %v", hist, x, d)
					}
				}
			}
		}
		res, err := Fit(act, n, Options{Init: InitStockl, Lo: lo, Hi: hi, Points: 64, Weight: hist})
		if err != nil {
			return
		}
		if err := res.Params.Validate(); err != nil {
			t.Fatalf("Fit returned invalid params: %v", err)
		}
		if !(res.Lo < res.Hi) || math.IsInf(res.Lo, 0) || math.IsInf(res.Hi, 0) {
			t.Fatalf("Fit accepted range [%v, %v]", res.Lo, res.Hi)
		}
	})
}
