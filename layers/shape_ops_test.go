package layers

import (
	"fmt"
	"testing"
)

// iota6 is [[0,1,2],[3,4,5]].
func iota6() *Tensor { return f32(dims(2, 3), 0, 1, 2, 3, 4, 5) }

func TestShapeAndSize(t *testing.T) {
	x := New(2, 3, 4, 5)
	wantI(t, "Shape", evalOp(t, "Shape", nil, 1, x)[0], dims(4), []int64{2, 3, 4, 5})
	wantI(t, "Shape start", evalOp(t, "Shape", Attrs{"start": int64(1)}, 1, x)[0], dims(3), []int64{3, 4, 5})
	wantI(t, "Shape start end", evalOp(t, "Shape", Attrs{"start": int64(-3), "end": int64(-1)}, 1, x)[0], dims(2), []int64{3, 4})
	wantI(t, "Shape clamps", evalOp(t, "Shape", Attrs{"start": int64(-10), "end": int64(10)}, 1, x)[0], dims(4), []int64{2, 3, 4, 5})
	wantI(t, "Size", evalOp(t, "Size", nil, 1, x)[0], []int{}, []int64{120})
}

func TestGather(t *testing.T) {
	x := iota6()
	wantF(t, "axis 0", evalOp(t, "Gather", nil, 1, x, i64(dims(2), 1, -2))[0], dims(2, 3), []float32{3, 4, 5, 0, 1, 2}, 0)
	wantF(t, "axis 1", evalOp(t, "Gather", Attrs{"axis": int64(1)}, 1, x, i64(dims(2, 2), 2, 0, -1, 1))[0], dims(2, 2, 2),
		[]float32{2, 0, 2, 1, 5, 3, 5, 4}, 0)
	wantF(t, "scalar index", evalOp(t, "Gather", Attrs{"axis": int64(-1)}, 1, x, i64(nil, 1))[0], dims(2), []float32{1, 4}, 0)
	wantI(t, "int data", evalOp(t, "Gather", nil, 1, i64(dims(3), 10, 20, 30), i64(nil, -1))[0], []int{}, []int64{30})
	if _, err := tryOp("Gather", nil, 1, x, i64(dims(1), 2)); err == nil {
		t.Error("out-of-range index accepted")
	}
}

func TestSqueezeUnsqueeze(t *testing.T) {
	x := New(3, 4)
	if s := evalOp(t, "Unsqueeze", Attrs{"axes": []int64{0, -1}}, 1, x)[0].Shape; fmtShape(s) != "[1 3 4 1]" {
		t.Errorf("Unsqueeze shape %v", s)
	}
	if s := evalOp(t, "Unsqueeze", nil, 1, x, i64(dims(1), 1))[0].Shape; fmtShape(s) != "[3 1 4]" {
		t.Errorf("Unsqueeze (axes input) shape %v", s)
	}
	y := New(1, 3, 1, 4)
	if s := evalOp(t, "Squeeze", nil, 1, y)[0].Shape; fmtShape(s) != "[3 4]" {
		t.Errorf("Squeeze all shape %v", s)
	}
	if s := evalOp(t, "Squeeze", Attrs{"axes": []int64{-2}}, 1, y)[0].Shape; fmtShape(s) != "[1 3 4]" {
		t.Errorf("Squeeze axis shape %v", s)
	}
	if _, err := tryOp("Squeeze", Attrs{"axes": []int64{1}}, 1, y); err == nil {
		t.Error("squeezing a dimension of 3 accepted")
	}
}

func fmtShape(s []int) string { return fmt.Sprint(s) }

func TestConcatSplit(t *testing.T) {
	a, b := iota6(), f32(dims(2, 1), 9, 8)
	wantF(t, "Concat -1", evalOp(t, "Concat", Attrs{"axis": int64(-1)}, 1, a, b)[0], dims(2, 4), []float32{0, 1, 2, 9, 3, 4, 5, 8}, 0)
	wantF(t, "Concat 0", evalOp(t, "Concat", Attrs{"axis": int64(0)}, 1, a, a)[0], dims(4, 3), []float32{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, 0)
	wantI(t, "Concat int", evalOp(t, "Concat", nil, 1, i64(dims(1), -1), i64(dims(2), 3, 4))[0], dims(3), []int64{-1, 3, 4})
	if _, err := tryOp("Concat", Attrs{"axis": int64(0)}, 1, a, b); err == nil {
		t.Error("mismatched Concat accepted")
	}

	out := evalOp(t, "Split", Attrs{"axis": int64(1), "split": []int64{1, 2}}, 2, a)
	wantF(t, "Split attr 0", out[0], dims(2, 1), []float32{0, 3}, 0)
	wantF(t, "Split attr 1", out[1], dims(2, 2), []float32{1, 2, 4, 5}, 0)
	out = evalOp(t, "Split", Attrs{"axis": int64(1)}, 3, a)
	wantF(t, "Split equal 2", out[2], dims(2, 1), []float32{2, 5}, 0)
	out = evalOp(t, "Split", Attrs{"axis": int64(1)}, 2, a, i64(dims(2), 2, 1))
	wantF(t, "Split input 0", out[0], dims(2, 2), []float32{0, 1, 3, 4}, 0)
	out = evalOp(t, "Split", Attrs{"num_outputs": int64(2)}, 2, f32(dims(5), 1, 2, 3, 4, 5))
	wantF(t, "Split uneven 0", out[0], dims(3), []float32{1, 2, 3}, 0)
	wantF(t, "Split uneven 1", out[1], dims(2), []float32{4, 5}, 0)
	if _, err := tryOp("Split", Attrs{"split": []int64{1, 2}}, 2, a); err == nil {
		t.Error("split not adding up accepted")
	}
}

func TestSlice(t *testing.T) {
	x := New(3, 4)
	for i := range x.F {
		x.F[i] = float32(i)
	}
	// Rows 0..1, columns 1..end.
	wantF(t, "basic", evalOp(t, "Slice", nil, 1, x, i64(dims(2), 0, 1), i64(dims(2), 2, 1000))[0], dims(2, 3), []float32{1, 2, 3, 5, 6, 7}, 0)
	// Negative step on axis 1 over the whole range: reversed columns.
	big, small := int64(9223372036854775807), int64(-9223372036854775808)
	wantF(t, "reverse", evalOp(t, "Slice", nil, 1, x, i64(dims(1), -1), i64(dims(1), small), i64(dims(1), 1), i64(dims(1), -1))[0],
		dims(3, 4), []float32{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}, 0)
	wantF(t, "step 2", evalOp(t, "Slice", nil, 1, x, i64(dims(1), 1), i64(dims(1), big), i64(dims(1), 1), i64(dims(1), 2))[0],
		dims(3, 2), []float32{1, 3, 5, 7, 9, 11}, 0)
	wantF(t, "neg step 2", evalOp(t, "Slice", nil, 1, x, i64(dims(1), 2), i64(dims(1), -10), i64(dims(1), 0), i64(dims(1), -2))[0],
		dims(2, 4), []float32{8, 9, 10, 11, 0, 1, 2, 3}, 0)
	wantF(t, "empty", evalOp(t, "Slice", nil, 1, x, i64(dims(1), 3), i64(dims(1), 1), i64(dims(1), 1))[0], dims(3, 0), nil, 0)
	wantF(t, "attrs", evalOp(t, "Slice", Attrs{"starts": []int64{1}, "ends": []int64{-1}, "axes": []int64{0}}, 1, x)[0],
		dims(1, 4), []float32{4, 5, 6, 7}, 0)
	wantI(t, "int", evalOp(t, "Slice", nil, 1, i64(dims(4), 5, 6, 7, 8), i64(dims(1), -2), i64(dims(1), big))[0], dims(2), []int64{7, 8})
	if _, err := tryOp("Slice", nil, 1, x, i64(dims(1), 0), i64(dims(1), 1), i64(dims(1), 0), i64(dims(1), 0)); err == nil {
		t.Error("step 0 accepted")
	}
}

func TestReshapeFlattenTranspose(t *testing.T) {
	x := New(2, 3, 4)
	for i := range x.F {
		x.F[i] = float32(i)
	}
	shapeOf := func(op string, attrs Attrs, in ...*Tensor) string {
		return fmtShape(evalOp(t, op, attrs, 1, in...)[0].Shape)
	}
	if s := shapeOf("Reshape", nil, x, i64(dims(2), 0, -1)); s != "[2 12]" {
		t.Errorf("Reshape 0,-1: %s", s)
	}
	if s := shapeOf("Reshape", nil, x, i64(dims(3), 4, -1, 2)); s != "[4 3 2]" {
		t.Errorf("Reshape -1: %s", s)
	}
	if s := shapeOf("Reshape", Attrs{"allowzero": int64(1)}, New(0, 3), i64(dims(2), 3, 0)); s != "[3 0]" {
		t.Errorf("Reshape allowzero: %s", s)
	}
	if s := shapeOf("Reshape", Attrs{"shape": []int64{-1}}, x); s != "[24]" {
		t.Errorf("Reshape attr: %s", s)
	}
	if s := shapeOf("Flatten", nil, x); s != "[2 12]" {
		t.Errorf("Flatten: %s", s)
	}
	if s := shapeOf("Flatten", Attrs{"axis": int64(0)}, x); s != "[1 24]" {
		t.Errorf("Flatten 0: %s", s)
	}
	if s := shapeOf("Flatten", Attrs{"axis": int64(-1)}, x); s != "[6 4]" {
		t.Errorf("Flatten -1: %s", s)
	}
	got := evalOp(t, "Transpose", Attrs{"perm": []int64{2, 0, 1}}, 1, x)[0]
	if fmtShape(got.Shape) != "[4 2 3]" {
		t.Fatalf("Transpose shape %v", got.Shape)
	}
	for k := 0; k < 4; k++ {
		for i := 0; i < 2; i++ {
			for j := 0; j < 3; j++ {
				if got.F[(k*2+i)*3+j] != x.F[(i*3+j)*4+k] {
					t.Fatalf("Transpose wrong at %d %d %d", k, i, j)
				}
			}
		}
	}
	wantF(t, "Transpose default", evalOp(t, "Transpose", nil, 1, iota6())[0], dims(3, 2), []float32{0, 3, 1, 4, 2, 5}, 0)
}

func TestExpandTileConstants(t *testing.T) {
	wantF(t, "Expand", evalOp(t, "Expand", nil, 1, f32(dims(2, 1), 1, 2), i64(dims(3), 2, 1, 3))[0], dims(2, 2, 3),
		[]float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}, 0)
	wantF(t, "Expand keeps larger", evalOp(t, "Expand", nil, 1, f32(dims(1, 2), 1, 2), i64(dims(1), 1))[0], dims(1, 2), []float32{1, 2}, 0)
	wantF(t, "Tile", evalOp(t, "Tile", nil, 1, f32(dims(1, 2), 1, 2), i64(dims(2), 2, 2))[0], dims(2, 4),
		[]float32{1, 2, 1, 2, 1, 2, 1, 2}, 0)
	wantF(t, "ConstantOfShape default", evalOp(t, "ConstantOfShape", nil, 1, i64(dims(2), 2, 1))[0], dims(2, 1), []float32{0, 0}, 0)
	wantI(t, "ConstantOfShape int", evalOp(t, "ConstantOfShape", Attrs{"value": i64(dims(1), 7)}, 1, i64(dims(1), 3))[0], dims(3), []int64{7, 7, 7})
	wantI(t, "Range int", evalOp(t, "Range", nil, 1, i64(nil, 10), i64(nil, 1), i64(nil, -3))[0], dims(3), []int64{10, 7, 4})
	wantF(t, "Range float", evalOp(t, "Range", nil, 1, f32(nil, 0), f32(nil, 1), f32(nil, 0.25))[0], dims(4), []float32{0, 0.25, 0.5, 0.75}, 0)
	wantF(t, "Constant", evalOp(t, "Constant", Attrs{"value": f32(dims(2), 3, 4)}, 1)[0], dims(2), []float32{3, 4}, 0)
	wantI(t, "Constant ints", evalOp(t, "Constant", Attrs{"value_ints": []int64{1, 2}}, 1)[0], dims(2), []int64{1, 2})
	out := evalOp(t, "Dropout", nil, 2, iota6())
	wantF(t, "Dropout", out[0], dims(2, 3), iota6().F, 0)
	wantI(t, "Dropout mask", out[1], dims(2, 3), []int64{1, 1, 1, 1, 1, 1})
	wantF(t, "Identity", evalOp(t, "Identity", nil, 1, iota6())[0], dims(2, 3), iota6().F, 0)
	wantI(t, "NonZero", evalOp(t, "NonZero", nil, 1, f32(dims(2, 2), 1, 0, 0, 3))[0], dims(2, 2), []int64{0, 1, 0, 1})
}
