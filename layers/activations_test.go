package layers

import (
	"testing"
)

func TestActivationsHandValues(t *testing.T) {
	x := f32(dims(4), -2, -0.5, 1, 3)
	// Values computed by hand / with a calculator from each definition.
	cases := []struct {
		op    string
		attrs Attrs
		want  []float32
	}{
		{"Relu", nil, []float32{0, 0, 1, 3}},
		{"LeakyRelu", Attrs{"alpha": float32(0.1)}, []float32{-0.2, -0.05, 1, 3}},
		{"LeakyRelu", nil, []float32{-0.02, -0.005, 1, 3}},
		{"Elu", nil, []float32{-0.86466472, -0.39346934, 1, 3}},
		{"Elu", Attrs{"alpha": float32(2)}, []float32{-1.72932943, -0.78693868, 1, 3}},
		{"Selu", nil, []float32{-1.5201665, -0.69175819, 1.0507010, 3.1521030}},
		{"Celu", nil, []float32{-0.86466472, -0.39346934, 1, 3}},
		{"Sigmoid", nil, []float32{0.11920292, 0.37754067, 0.73105858, 0.95257413}},
		{"HardSigmoid", nil, []float32{0.1, 0.4, 0.7, 1}},
		{"HardSigmoid", Attrs{"alpha": float32(0.5), "beta": float32(0.25)}, []float32{0, 0, 0.75, 1}},
		{"HardSwish", nil, []float32{-0.33333334, -0.20833333, 0.66666669, 3}},
		{"Tanh", nil, []float32{-0.96402758, -0.46211716, 0.76159416, 0.99505475}},
		{"Softplus", nil, []float32{0.12692801, 0.47407698, 1.31326169, 3.04858735}},
		{"Softsign", nil, []float32{-2.0 / 3, -1.0 / 3, 0.5, 0.75}},
		{"Gelu", nil, []float32{-0.04550026, -0.15426877, 0.84134475, 2.99595031}},
		{"GELU", nil, []float32{-0.04550026, -0.15426877, 0.84134475, 2.99595031}},
		{"Gelu", Attrs{"approximate": "tanh"}, []float32{-0.04540231, -0.15428599, 0.84119199, 2.99636261}},
		{"GELUTanh", nil, []float32{-0.04540231, -0.15428599, 0.84119199, 2.99636261}},
		{"Mish", nil, []float32{-0.25250146, -0.22074377, 0.86509839, 2.98653500}},
		{"SiLU", nil, []float32{-0.23840584, -0.18877033, 0.73105858, 2.85772238}},
		{"ThresholdedRelu", nil, []float32{0, 0, 0, 3}},
	}
	for _, c := range cases {
		got := evalOp(t, c.op, c.attrs, 1, x)[0]
		wantF(t, c.op, got, dims(4), c.want, 2e-6)
	}
}

func TestPReluChannelSlope(t *testing.T) {
	x := f32(dims(1, 2, 2), -1, 2, -3, 4)
	slope := f32(dims(2, 1), 0.5, 0.25)
	wantF(t, "PRelu", evalOp(t, "PRelu", nil, 1, x, slope)[0], dims(1, 2, 2), []float32{-0.5, 2, -0.75, 4}, 0)
	if _, err := tryOp("PRelu", nil, 1, f32(dims(2), 1, 2), f32(dims(3, 1), 1, 2, 3)); err == nil {
		t.Error("slope that grows X accepted")
	}
}

func TestFSSmallHandValues(t *testing.T) {
	// K=2, h=T=d=[1, 0.5]: v=1.2 spikes at t0 (1.2>1 -> out 1, v 0.2), not at t1.
	attrs := Attrs{"h": []float32{1, 0.5}, "T": []float32{1, 0.4}, "d": []float32{1, 0.5}}
	got := evalOp(t, "FS", attrs, 1, f32(dims(4), 1.2, 1.6, 0.45, -1))[0]
	wantF(t, "FS", got, dims(4), []float32{1, 1.5, 0.5, 0}, 0)
	if _, err := tryOp("FS", attrs, 1, i64(dims(1), 1)); err == nil {
		t.Error("FS on int64 accepted")
	}
}
