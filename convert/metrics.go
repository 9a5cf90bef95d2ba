package convert

import (
	"encoding/json"
	"math"

	"github.com/fewspikes/fewspikes/layers"
)

// Fidelity compares SNN outputs with ANN outputs over all output values.
type Fidelity struct {
	MSE         float64 `json:"mse"`
	MaxAbsError float64 `json:"max_abs_error"`
	// PSNR in dB, with the ANN outputs' range (max - min) as peak.
	PSNR float64 `json:"psnr_db"`
	// Cosine similarity of the flattened outputs.
	Cosine float64 `json:"cosine_similarity"`
}

// MarshalJSON writes values that are not finite as null (the PSNR of
// identical outputs is +Inf): encoding/json refuses them, which failed
// every report of a model whose SNN equals its ANN.
func (f Fidelity) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		MSE         Float `json:"mse"`
		MaxAbsError Float `json:"max_abs_error"`
		PSNR        Float `json:"psnr_db"`
		Cosine      Float `json:"cosine_similarity"`
	}{Float(f.MSE), Float(f.MaxAbsError), Float(f.PSNR), Float(f.Cosine)})
}

// CompareOutputs computes the fidelity of snn against ann (same shapes).
func CompareOutputs(ann, snn []float32) Fidelity {
	var f Fidelity
	if len(ann) == 0 || len(ann) != len(snn) {
		return Fidelity{MSE: math.NaN(), MaxAbsError: math.NaN(), PSNR: math.NaN(), Cosine: math.NaN()}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	var dot, na, ns float64
	for i := range ann {
		a, s := float64(ann[i]), float64(snn[i])
		e := s - a
		f.MSE += e * e
		f.MaxAbsError = math.Max(f.MaxAbsError, math.Abs(e))
		lo, hi = math.Min(lo, a), math.Max(hi, a)
		dot += a * s
		na += a * a
		ns += s * s
	}
	f.MSE /= float64(len(ann))
	peak := hi - lo
	switch {
	case f.MSE == 0:
		f.PSNR = math.Inf(1)
	case peak == 0:
		f.PSNR = math.Inf(-1)
	default:
		f.PSNR = 10 * math.Log10(peak*peak/f.MSE)
	}
	switch {
	case na == 0 && ns == 0:
		f.Cosine = 1
	case na == 0 || ns == 0:
		f.Cosine = 0
	default:
		f.Cosine = dot / math.Sqrt(na*ns)
	}
	return f
}

// Argmax returns the index of the largest of each sample's values (the
// top-1 class of a classifier output [N, C, ...]).
func Argmax(y *layers.Tensor) []int64 {
	n := y.Shape[0]
	if n == 0 {
		return nil
	}
	per := y.Len() / n
	out := make([]int64, n)
	for i := range out {
		row := y.F[i*per : (i+1)*per]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = int64(best)
	}
	return out
}

// fraction returns the share of positions where a and b agree.
func fraction(a, b []int64) float64 {
	if len(a) == 0 {
		return math.NaN()
	}
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(len(a))
}
