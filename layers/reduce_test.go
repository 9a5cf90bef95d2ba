package layers

import (
	"math"
	"testing"
)

func TestReductions(t *testing.T) {
	// x[i][j][k] = i*100 + j*10 + k, shape [2,3,2].
	x := New(2, 3, 2)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 2; k++ {
				x.F[(i*3+j)*2+k] = float32(i*100 + j*10 + k)
			}
		}
	}
	wantF(t, "Mean axis 1", evalOp(t, "ReduceMean", Attrs{"axes": []int64{1}}, 1, x)[0], dims(2, 1, 2), []float32{10, 11, 110, 111}, 1e-5)
	wantF(t, "Sum axes 0,2 (not adjacent)", evalOp(t, "ReduceSum", Attrs{"axes": []int64{0, 2}, "keepdims": int64(0)}, 1, x)[0],
		dims(3), []float32{202, 242, 282}, 1e-5)
	wantF(t, "Sum axes input", evalOp(t, "ReduceSum", Attrs{"keepdims": int64(0)}, 1, x, i64(dims(1), -1))[0],
		dims(2, 3), []float32{1, 21, 41, 201, 221, 241}, 1e-5)
	wantF(t, "Max all", evalOp(t, "ReduceMax", nil, 1, x)[0], dims(1, 1, 1), []float32{121}, 0)
	wantF(t, "Min all no keep", evalOp(t, "ReduceMin", Attrs{"keepdims": int64(0)}, 1, x)[0], []int{}, []float32{0}, 0)
	wantF(t, "noop empty axes", evalOp(t, "ReduceSum", Attrs{"noop_with_empty_axes": int64(1)}, 1, x)[0], dims(2, 3, 2), x.F, 0)
	y := f32(dims(2, 2), 1, -2, 3, 4)
	wantF(t, "Prod", evalOp(t, "ReduceProd", Attrs{"axes": []int64{1}}, 1, y)[0], dims(2, 1), []float32{-2, 12}, 0)
	wantF(t, "L1", evalOp(t, "ReduceL1", Attrs{"axes": []int64{1}}, 1, y)[0], dims(2, 1), []float32{3, 7}, 0)
	wantF(t, "L2", evalOp(t, "ReduceL2", Attrs{"axes": []int64{1}}, 1, y)[0], dims(2, 1), []float32{float32(math.Sqrt(5)), 5}, 1e-6)
	wantF(t, "SumSquare", evalOp(t, "ReduceSumSquare", Attrs{"axes": []int64{0}}, 1, y)[0], dims(1, 2), []float32{10, 20}, 0)
	wantF(t, "LogSumExp", evalOp(t, "ReduceLogSumExp", Attrs{"axes": []int64{1}}, 1, f32(dims(1, 2), 1000, 1000))[0], dims(1, 1),
		[]float32{float32(1000 + math.Ln2)}, 1e-3)
	wantI(t, "Sum int", evalOp(t, "ReduceSum", Attrs{"axes": []int64{0}}, 1, i64(dims(2, 2), 1, 2, 3, 4))[0], dims(1, 2), []int64{4, 6})
	wantI(t, "Prod int", evalOp(t, "ReduceProd", Attrs{"keepdims": int64(0)}, 1, i64(dims(3), 2, 3, 4))[0], []int{}, []int64{24})
	wantF(t, "empty Sum", evalOp(t, "ReduceSum", Attrs{"axes": []int64{1}}, 1, New(2, 0))[0], dims(2, 1), []float32{0, 0}, 0)
}

func TestArgMaxMin(t *testing.T) {
	x := f32(dims(2, 3), 1, 5, 5, 7, 2, 7)
	wantI(t, "ArgMax 1", evalOp(t, "ArgMax", Attrs{"axis": int64(1)}, 1, x)[0], dims(2, 1), []int64{1, 0})
	wantI(t, "ArgMax last", evalOp(t, "ArgMax", Attrs{"axis": int64(1), "select_last_index": int64(1), "keepdims": int64(0)}, 1, x)[0], dims(2), []int64{2, 2})
	wantI(t, "ArgMin 0", evalOp(t, "ArgMin", nil, 1, x)[0], dims(1, 3), []int64{0, 1, 0})
}

func TestSoftmaxFamily(t *testing.T) {
	x := f32(dims(2, 3), 1, 2, 3, 0, 0, 1000)
	e := []float64{math.Exp(-2), math.Exp(-1), 1}
	s := e[0] + e[1] + e[2]
	sm := []float32{float32(e[0] / s), float32(e[1] / s), float32(e[2] / s), 0, 0, 1}
	wantF(t, "Softmax", evalOp(t, "Softmax", nil, 1, x)[0], dims(2, 3), sm, 1e-7)
	ls := math.Log(s)
	wantF(t, "LogSoftmax", evalOp(t, "LogSoftmax", nil, 1, x)[0], dims(2, 3),
		[]float32{float32(-2 - ls), float32(-1 - ls), float32(-ls), -1000, -1000, 0}, 1e-5)
	wantF(t, "Hardmax", evalOp(t, "Hardmax", nil, 1, x)[0], dims(2, 3), []float32{0, 0, 1, 0, 0, 1}, 0)
	// Axis 0 (strided lines).
	y := f32(dims(2, 2), 0, 1, 0, 3)
	a := float32(1 / (1 + math.Exp(2)))
	wantF(t, "Softmax axis 0", evalOp(t, "Softmax", Attrs{"axis": int64(0)}, 1, y)[0], dims(2, 2), []float32{0.5, a, 0.5, 1 - a}, 1e-7)
	// Legacy (opset < 13): axis 1 of [1,2,2] flattens to one line of 4.
	z := f32(dims(1, 2, 2), 0, 0, 0, 0)
	wantF(t, "Softmax legacy", evalOp(t, "Softmax", Attrs{"legacy": int64(1)}, 1, z)[0], dims(1, 2, 2), []float32{0.25, 0.25, 0.25, 0.25}, 1e-7)
	wantF(t, "Softmax new", evalOp(t, "Softmax", Attrs{"axis": int64(1)}, 1, z)[0], dims(1, 2, 2), []float32{0.5, 0.5, 0.5, 0.5}, 1e-7)
}
