package layers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFastMathAccuracy checks the float32 approximations against float64
// math on a dense grid, with the tolerances the engine documents.
func TestFastMathAccuracy(t *testing.T) {
	var worstExp, worstTanh, worstErf float64
	for i := -200000; i <= 200000; i++ {
		x := float32(i) * 4.4e-4 // [-88, 88]
		if e := math.Exp(float64(x)); e > 1e-37 && !math.IsInf(e, 0) {
			worstExp = max(worstExp, math.Abs(float64(exp32(x))-e)/e)
		}
		y := x / 8 // [-11, 11]
		worstTanh = max(worstTanh, math.Abs(float64(tanh32(y))-math.Tanh(float64(y))))
		worstErf = max(worstErf, math.Abs(float64(erf32(y))-math.Erf(float64(y))))
	}
	if worstExp > 3e-7 {
		t.Errorf("exp32 relative error %g", worstExp)
	}
	if worstTanh > 3e-7 {
		t.Errorf("tanh32 absolute error %g", worstTanh)
	}
	if worstErf > 6e-7 {
		t.Errorf("erf32 absolute error %g", worstErf)
	}
	if !math.IsInf(float64(exp32(100)), 1) || exp32(-100) != 0 || !math.IsNaN(float64(exp32(float32(math.NaN())))) {
		t.Error("exp32 limits wrong")
	}
}

// TestActivationRowsAgainstFloat64 compares the fast rows with the float64
// definitions over the range activations see.
func TestActivationRowsAgainstFloat64(t *testing.T) {
	src := make([]float32, 0, 4001)
	for i := -2000; i <= 2000; i++ {
		src = append(src, float32(i)*0.01) // [-20, 20]
	}
	dst := make([]float32, len(src))
	ref := map[string]func(float64) float64{
		"Sigmoid":  sigmoid64,
		"Tanh":     math.Tanh,
		"SiLU":     func(x float64) float64 { return x * sigmoid64(x) },
		"GELU":     gelu64,
		"GELUTanh": geluTanh64,
		"Mish":     func(x float64) float64 { return x * math.Tanh(softplus64(x)) },
		"Softplus": softplus64, "SoftplusGo": softplus64,
		"Elu": func(x float64) float64 {
			if x < 0 {
				return math.Expm1(x)
			}
			return x
		},
	}
	rows := map[string]func(dst, src []float32){
		"Sigmoid": sigmoidRow, "Tanh": tanhRow, "SiLU": siluRow, "GELU": geluRow, "GELUTanh": geluTanhRow, "Mish": mishRow,
		"Softplus": softplusRow, "SoftplusGo": softplusRowGo, "Elu": eluRow(1),
	}
	for name, row := range rows {
		row(dst, src)
		for i, x := range src {
			want := ref[name](float64(x))
			if d := math.Abs(float64(dst[i]) - want); d > 1e-6*max(1, math.Abs(want)) {
				t.Errorf("%s(%v) = %v, want %v", name, x, dst[i], want)
				break
			}
		}
	}
}

func TestFSSpecialValues(t *testing.T) {
	p := FSParams{H: []float32{1, -0.5, 2}, T: []float32{0, -1, 0.5}, D: []float32{-1, 0.25, 3}}
	inf := float32(math.Inf(1))
	xs := []float32{float32(math.NaN()), inf, -inf, 0, float32(math.Copysign(0, -1)), 1e-30, 0.5, 2.5}
	attrs := Attrs{"h": p.H, "T": p.T, "d": p.D}
	got := evalOp(t, "FS", attrs, 1, FromFloat32(append([]float32(nil), xs...), len(xs)))[0]
	for i, x := range xs {
		want, _ := FSForward(p, x)
		if math.Float32bits(got.F[i]) != math.Float32bits(want) {
			t.Errorf("FS(%v) = %v, FSForward %v", x, got.F[i], want)
		}
	}
}

// Float64 definitions the fast rows are checked against.
func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func gelu64(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluTanh64(x float64) float64 {
	const c = 0.7978845608028654 // sqrt(2/pi)
	return 0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x)))
}

// TestFSRunBitIdentical drives fsRun (through FSForwardAll; AVX-512 or AVX2
// where available) with special
// values, negative weights, several K and lengths that leave tails, and
// requires bit-identical outputs and exact spike counts against FSForward.
func TestFSRunBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	inf := float32(math.Inf(1))
	special := []float32{float32(math.NaN()), inf, -inf, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e30}
	for _, k := range []int{1, 3, 8, 16} {
		p := FSParams{H: make([]float32, k), T: make([]float32, k), D: make([]float32, k)}
		for i := 0; i < k; i++ {
			p.H[i] = float32(r.NormFloat64())
			p.T[i] = float32(r.NormFloat64())
			p.D[i] = float32(r.NormFloat64())
		}
		p.T[0] = 0 // a zero threshold meets the signed zeros
		for _, n := range []int{0, 1, 5, 16, 17, 31, 32, 33, 48, 49, 63, 64, 100, 196, 784, 1000} {
			src := make([]float32, n)
			for i := range src {
				if r.IntN(4) == 0 {
					src[i] = special[r.IntN(len(special))]
				} else {
					src[i] = float32(r.NormFloat64() * 3)
				}
			}
			// Guard values after the output catch writes past its end.
			buf := make([]float32, n+64)
			for i := range buf {
				buf[i] = 12345
			}
			dst := buf[:n]
			spikes := FSForwardAll(p, src, dst)
			for i, v := range buf[n:] {
				if v != 12345 {
					t.Fatalf("K=%d n=%d: wrote %v past the output's end (+%d)", k, n, v, i)
				}
			}
			var want int64
			for i, x := range src {
				o, s := FSForward(p, x)
				want += int64(s)
				if math.Float32bits(dst[i]) != math.Float32bits(o) {
					t.Fatalf("K=%d n=%d element %d (x=%v): %v, FSForward %v", k, n, i, x, dst[i], o)
				}
			}
			if spikes != want {
				t.Fatalf("K=%d n=%d: %d spikes, FSForward %d", k, n, spikes, want)
			}
		}
	}
}

// TestVectorRowsMatchGo compares the dispatching rows (AVX2 where the CPU
// has it) with the Go rows on random and special inputs.
func TestVectorRowsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	inf := float32(math.Inf(1))
	src := []float32{float32(math.NaN()), inf, -inf, 0, float32(math.Copysign(0, -1)), 100, -100, 1e-20, -3, 3}
	for len(src) < 1003 {
		src = append(src, float32(r.NormFloat64()*5))
	}
	rows := []struct {
		name     string
		vec, ref func(dst, src []float32)
	}{
		{"Sigmoid", sigmoidRow, sigmoidRowGo},
		{"SiLU", siluRow, siluRowGo},
		{"GELU", geluRow, geluRowGo},
		{"HardSwish", hardSwishRow, hardSwishRowGo},
		{"Relu", reluRow, reluRowGo},
	}
	for _, row := range rows {
		got, want := make([]float32, len(src)), make([]float32, len(src))
		row.vec(got, src)
		row.ref(want, src)
		for i := range src {
			g, w := float64(got[i]), float64(want[i])
			if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && g != w && math.Abs(g-w) > 1e-6*max(1, math.Abs(w))) {
				t.Errorf("%s(%v) = %v, Go row %v", row.name, src[i], g, w)
			}
		}
	}
}
