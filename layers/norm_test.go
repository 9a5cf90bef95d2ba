package layers

import (
	"math"
	"testing"
)

func TestBatchNormalization(t *testing.T) {
	x := f32(dims(1, 2, 2), 1, 3, 10, 20)
	scale, b := f32(dims(2), 2, 0.5), f32(dims(2), 1, -1)
	mean, vr := f32(dims(2), 2, 10), f32(dims(2), 4, 100)
	// eps 0: channel 0 (x-2)/2*2+1 = x-1; channel 1 (x-10)/10*0.5-1.
	got := evalOp(t, "BatchNormalization", Attrs{"epsilon": float32(0)}, 1, x, scale, b, mean, vr)[0]
	wantF(t, "BN", got, dims(1, 2, 2), []float32{0, 2, -1, -0.5}, 1e-6)
	if _, err := tryOp("BatchNormalization", nil, 1, x, f32(dims(3), 1, 1, 1), b, mean, vr); err == nil {
		t.Error("scale of the wrong size accepted")
	}
}

func TestLayerNormalization(t *testing.T) {
	x := f32(dims(2, 2), 1, 3, -1, -1)
	scale, b := f32(dims(2), 1, 2), f32(dims(2), 0, 1)
	inv := 1 / math.Sqrt(1+1e-5)
	out := evalOp(t, "LayerNormalization", nil, 3, x, scale, b)
	wantF(t, "Y", out[0], dims(2, 2), []float32{float32(-inv), float32(2*inv + 1), 0, 1}, 1e-6)
	wantF(t, "Mean", out[1], dims(2, 1), []float32{2, -1}, 1e-6)
	wantF(t, "InvStdDev", out[2], dims(2, 1), []float32{float32(inv), float32(1 / math.Sqrt(1e-5))}, 1e-2)
	// axis 0 normalises everything together; no bias.
	y := evalOp(t, "LayerNormalization", Attrs{"axis": int64(0), "epsilon": float32(0)}, 1, f32(dims(2, 2), 0, 0, 2, 2), f32(nil, 3))[0]
	wantF(t, "axis 0", y, dims(2, 2), []float32{-3, -3, 3, 3}, 1e-6)
}

func TestInstanceAndGroupNormalization(t *testing.T) {
	x := f32(dims(1, 2, 2), 1, 3, 5, 5)
	got := evalOp(t, "InstanceNormalization", Attrs{"epsilon": float32(0)}, 1, x, f32(dims(2), 2, 1), f32(dims(2), 0, 7))[0]
	// channel 0 mean 2 std 1 -> -2, 2; channel 1 constant: 0/sqrt(0) is NaN with eps 0, so use eps > 0 below.
	wantF(t, "Instance c0", &Tensor{DType: Float32, Shape: dims(2), F: got.F[:2]}, dims(2), []float32{-2, 2}, 1e-6)
	got = evalOp(t, "InstanceNormalization", nil, 1, x, f32(dims(2), 2, 1), f32(dims(2), 0, 7))[0]
	wantF(t, "Instance c1", &Tensor{DType: Float32, Shape: dims(2), F: got.F[2:]}, dims(2), []float32{7, 7}, 1e-6)

	// 4 channels, 2 groups of 2 channels of 1 element each.
	g := f32(dims(1, 4, 1), 0, 2, 10, 14)
	perGroup := evalOp(t, "GroupNormalization", Attrs{"num_groups": int64(2), "epsilon": float32(0)}, 1, g, f32(dims(2), 1, 2), f32(dims(2), 0, 1))[0]
	wantF(t, "Group per group", perGroup, dims(1, 4, 1), []float32{-1, 1, -1, 3}, 1e-6)
	perChan := evalOp(t, "GroupNormalization", Attrs{"num_groups": int64(2), "epsilon": float32(0)}, 1, g, f32(dims(4), 1, 2, 3, 4), f32(dims(4), 0, 0, 0, 1))[0]
	wantF(t, "Group per channel", perChan, dims(1, 4, 1), []float32{-1, 2, -3, 5}, 1e-6)
	if _, err := tryOp("GroupNormalization", Attrs{"num_groups": int64(3)}, 1, g, f32(dims(3), 1, 1, 1), f32(dims(3), 0, 0, 0)); err == nil {
		t.Error("3 groups of 4 channels accepted")
	}
}

func TestLRN(t *testing.T) {
	x := f32(dims(1, 3, 1), 1, 2, 3)
	got := evalOp(t, "LRN", Attrs{"size": int64(3), "alpha": float32(3), "beta": float32(1), "bias": float32(1)}, 1, x)[0]
	// sums of squares over neighbours: c0: 1+4=5, c1: 14, c2: 13; y = x/(1+5), 2/(1+14), 3/(1+13).
	wantF(t, "LRN", got, dims(1, 3, 1), []float32{1.0 / 6, 2.0 / 15, 3.0 / 14}, 1e-6)
}
