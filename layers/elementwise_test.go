package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveBroadcast computes f over the broadcast of a and b by explicit
// multi-index arithmetic, independently of the engine's row plans.
func naiveBroadcast(a, b *Tensor, f func(x, y float32) float32) (*Tensor, error) {
	r := max(len(a.Shape), len(b.Shape))
	pad := func(s []int) []int {
		p := make([]int, r)
		for i := range p {
			p[i] = 1
		}
		copy(p[r-len(s):], s)
		return p
	}
	as, bs := pad(a.Shape), pad(b.Shape)
	out := make([]int, r)
	for i := range out {
		switch {
		case as[i] == bs[i] || bs[i] == 1:
			out[i] = as[i]
		case as[i] == 1:
			out[i] = bs[i]
		default:
			return nil, fmt.Errorf("mismatch")
		}
	}
	res := New(out...)
	idx := make([]int, r)
	for k := range res.F {
		rem := k
		for i := r - 1; i >= 0; i-- {
			idx[i] = rem % out[i]
			rem /= out[i]
		}
		ia, ib := 0, 0
		for i := 0; i < r; i++ {
			ia = ia*as[i] + idx[i]%as[i]
			ib = ib*bs[i] + idx[i]%bs[i]
		}
		res.F[k] = f(a.F[ia], b.F[ib])
	}
	return res, nil
}

func TestBinaryBroadcastingAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}},
		{{2, 3, 4}, {3, 1}},
		{{2, 1}, {1, 3}},
		{{}, {4, 5}},
		{{4, 5}, {}},
		{{2, 3, 4, 5}, {3, 1, 1}},    // channel bias
		{{2, 3, 4, 5}, {1, 3, 1, 1}}, // channel bias, rank 4
		{{1, 3, 1, 5}, {2, 1, 4, 1}},
		{{8, 3, 40, 40}, {3, 1, 1}}, // large: the parallel path
		{{8, 3, 40, 40}, {8, 3, 40, 40}},
		{{8, 3, 40, 40}, {}},
		{{3, 40, 40}, {8, 1, 40, 1}},
		{{5}, {0}},
	}
	ops := map[string]func(x, y float32) float32{
		"Add": func(x, y float32) float32 { return x + y },
		"Sub": func(x, y float32) float32 { return x - y },
		"Mul": func(x, y float32) float32 { return x * y },
		"Div": func(x, y float32) float32 { return x / y },
		"Max": func(x, y float32) float32 { return max(x, y) },
		"Min": func(x, y float32) float32 { return min(x, y) },
		"PRelu": func(x, y float32) float32 {
			if x < 0 {
				return x * y
			}
			return x
		},
	}
	for _, sh := range shapes {
		a, b := engRand(r, sh[0]...), engRand(r, sh[1]...)
		for op, f := range ops {
			if op == "PRelu" && len(sh[1]) > len(sh[0]) {
				continue
			}
			want, err := naiveBroadcast(a, b, f)
			if err != nil || (op == "PRelu" && want.Len() != a.Len()) {
				continue
			}
			got := evalOp(t, op, nil, 1, a, b)[0]
			wantF(t, fmt.Sprintf("%s %v %v", op, sh[0], sh[1]), got, want.Shape, want.F, 0)
		}
	}
}

func TestBinaryInt64AndMixed(t *testing.T) {
	a := i64(dims(2, 2), 7, -7, 6, 9)
	b := i64(dims(2), 2, 3)
	wantI(t, "Add", evalOp(t, "Add", nil, 1, a, b)[0], dims(2, 2), []int64{9, -4, 8, 12})
	wantI(t, "Div truncates", evalOp(t, "Div", nil, 1, a, b)[0], dims(2, 2), []int64{3, -2, 3, 3})
	wantI(t, "Mul", evalOp(t, "Mul", nil, 1, a, b)[0], dims(2, 2), []int64{14, -21, 12, 27})
	wantI(t, "Pow", evalOp(t, "Pow", nil, 1, a, b)[0], dims(2, 2), []int64{49, -343, 36, 729})
	wantI(t, "Mod", evalOp(t, "Mod", nil, 1, a, b)[0], dims(2, 2), []int64{1, 2, 0, 0})
	wantI(t, "Mod fmod", evalOp(t, "Mod", Attrs{"fmod": int64(1)}, 1, a, b)[0], dims(2, 2), []int64{1, -1, 0, 0})
	// Pow with float exponent keeps the base's type (float here).
	wantF(t, "Pow float^int", evalOp(t, "Pow", nil, 1, f32(dims(3), 2, 3, 4), i64(nil, 2))[0], dims(3), []float32{4, 9, 16}, 0)
	wantF(t, "Pow sqrt", evalOp(t, "Pow", nil, 1, f32(dims(2), 4, 9), f32(nil, 0.5))[0], dims(2), []float32{2, 3}, 0)
	wantF(t, "Pow general", evalOp(t, "Pow", nil, 1, f32(dims(2), 2, 8), f32(dims(2), 3, 1.0/3))[0], dims(2), []float32{8, 2}, 1e-6)
}

func TestVariadic(t *testing.T) {
	a, b, c := f32(dims(2), 1, 5), f32(nil, 3), f32(dims(1), -2)
	wantF(t, "Sum", evalOp(t, "Sum", nil, 1, a, b, c)[0], dims(2), []float32{2, 6}, 0)
	wantF(t, "Mean", evalOp(t, "Mean", nil, 1, a, b, c)[0], dims(2), []float32{2.0 / 3, 2}, 1e-6)
	wantF(t, "Max", evalOp(t, "Max", nil, 1, a, b, c)[0], dims(2), []float32{3, 5}, 0)
	wantF(t, "Min", evalOp(t, "Min", nil, 1, a, b, c)[0], dims(2), []float32{-2, -2}, 0)
	one := evalOp(t, "Sum", nil, 1, a)[0]
	wantF(t, "Sum of one", one, dims(2), []float32{1, 5}, 0)
	if &one.F[0] == &a.F[0] {
		t.Error("Sum of one input aliases its input")
	}
}

func TestCompareAndLogic(t *testing.T) {
	a, b := f32(dims(2, 2), 1, 2, 3, 4), f32(dims(2), 2, 2)
	wantI(t, "Equal", evalOp(t, "Equal", nil, 1, a, b)[0], dims(2, 2), []int64{0, 1, 0, 0})
	wantI(t, "Less", evalOp(t, "Less", nil, 1, a, b)[0], dims(2, 2), []int64{1, 0, 0, 0})
	wantI(t, "Greater", evalOp(t, "Greater", nil, 1, a, b)[0], dims(2, 2), []int64{0, 0, 1, 1})
	wantI(t, "LessOrEqual", evalOp(t, "LessOrEqual", nil, 1, a, b)[0], dims(2, 2), []int64{1, 1, 0, 0})
	wantI(t, "GreaterOrEqual", evalOp(t, "GreaterOrEqual", nil, 1, a, b)[0], dims(2, 2), []int64{0, 1, 1, 1})
	wantI(t, "Equal int", evalOp(t, "Equal", nil, 1, i64(dims(3), 1, 2, 3), i64(nil, 2))[0], dims(3), []int64{0, 1, 0})
	p, q := i64(dims(4), 0, 0, 1, 1), i64(dims(4), 0, 1, 0, 1)
	wantI(t, "And", evalOp(t, "And", nil, 1, p, q)[0], dims(4), []int64{0, 0, 0, 1})
	wantI(t, "Or", evalOp(t, "Or", nil, 1, p, q)[0], dims(4), []int64{0, 1, 1, 1})
	wantI(t, "Xor", evalOp(t, "Xor", nil, 1, p, q)[0], dims(4), []int64{0, 1, 1, 0})
	wantI(t, "Not", evalOp(t, "Not", nil, 1, p)[0], dims(4), []int64{1, 1, 0, 0})
}

func TestWhere(t *testing.T) {
	cond := i64(dims(2, 1), 1, 0)
	x := f32(dims(3), 1, 2, 3)
	y := f32(nil, -1)
	wantF(t, "Where", evalOp(t, "Where", nil, 1, cond, x, y)[0], dims(2, 3), []float32{1, 2, 3, -1, -1, -1}, 0)
	wantI(t, "Where int", evalOp(t, "Where", nil, 1, i64(dims(2), 0, 1), i64(dims(2), 5, 6), i64(dims(2), 7, 8))[0], dims(2), []int64{7, 6})
}

func TestUnaryMath(t *testing.T) {
	x := f32(dims(4), -1.5, -0.5, 0.5, 2)
	cases := []struct {
		op   string
		want []float32
	}{
		{"Neg", []float32{1.5, 0.5, -0.5, -2}},
		{"Abs", []float32{1.5, 0.5, 0.5, 2}},
		{"Sign", []float32{-1, -1, 1, 1}},
		{"Floor", []float32{-2, -1, 0, 2}},
		{"Ceil", []float32{-1, -0, 1, 2}},
		{"Round", []float32{-2, -0, 0, 2}},
		{"Reciprocal", []float32{-1 / 1.5, -2, 2, 0.5}},
		{"Exp", []float32{0.22313016, 0.60653066, 1.6487213, 7.389056}},
		{"Erf", []float32{-0.96610515, -0.5204999, 0.5204999, 0.9953223}},
	}
	for _, c := range cases {
		wantF(t, c.op, evalOp(t, c.op, nil, 1, x)[0], dims(4), c.want, 1e-6)
	}
	wantF(t, "Sqrt", evalOp(t, "Sqrt", nil, 1, f32(dims(2), 4, 2))[0], dims(2), []float32{2, math.Sqrt2}, 1e-7)
	wantF(t, "Log", evalOp(t, "Log", nil, 1, f32(dims(2), 1, math.E))[0], dims(2), []float32{0, 1}, 1e-7)
	wantI(t, "Neg int", evalOp(t, "Neg", nil, 1, i64(dims(2), 3, -4))[0], dims(2), []int64{-3, 4})
	wantI(t, "Abs int", evalOp(t, "Abs", nil, 1, i64(dims(2), 3, -4))[0], dims(2), []int64{3, 4})
	if _, err := tryOp("Exp", nil, 1, i64(dims(1), 1)); err == nil {
		t.Error("Exp of int64 accepted")
	}
}

func TestCast(t *testing.T) {
	x := f32(dims(4), -1.7, 0, 0.2, 300)
	wantI(t, "to int64", evalOp(t, "Cast", Attrs{"to": int64(7)}, 1, x)[0], dims(4), []int64{-1, 0, 0, 300})
	wantI(t, "to bool", evalOp(t, "Cast", Attrs{"to": int64(9)}, 1, x)[0], dims(4), []int64{1, 0, 1, 1})
	wantI(t, "to uint8 wraps", evalOp(t, "Cast", Attrs{"to": int64(2)}, 1, i64(dims(2), 300, -1))[0], dims(2), []int64{44, 255})
	wantF(t, "int to float", evalOp(t, "Cast", Attrs{"to": int64(1)}, 1, i64(dims(2), 3, -4))[0], dims(2), []float32{3, -4}, 0)
	wantF(t, "to double", evalOp(t, "Cast", Attrs{"to": int64(11)}, 1, x)[0], dims(4), x.F, 0)
	wantF(t, "to float16", evalOp(t, "Cast", Attrs{"to": int64(10)}, 1, f32(dims(3), 0.1, 1000.3, 1e6))[0], dims(3),
		[]float32{0.099975586, 1000.5, float32(math.Inf(1))}, 0)
	if _, err := tryOp("Cast", Attrs{"to": int64(8)}, 1, x); err == nil {
		t.Error("Cast to string accepted")
	}
	if _, err := tryOp("Cast", nil, 1, x); err == nil {
		t.Error("Cast without 'to' compiled")
	}
}

func TestClip(t *testing.T) {
	x := f32(dims(4), -3, -0.5, 0.5, 3)
	wantF(t, "attrs", evalOp(t, "Clip", Attrs{"min": float32(-1), "max": float32(1)}, 1, x)[0], dims(4), []float32{-1, -0.5, 0.5, 1}, 0)
	wantF(t, "min only", evalOp(t, "Clip", Attrs{"min": float32(0)}, 1, x)[0], dims(4), []float32{0, 0, 0.5, 3}, 0)
	wantF(t, "inputs", evalOp(t, "Clip", nil, 1, x, nil, f32(nil, 0))[0], dims(4), []float32{-3, -0.5, 0, 0}, 0)
	wantI(t, "int", evalOp(t, "Clip", nil, 1, i64(dims(3), -5, 2, 9), i64(nil, 0), i64(nil, 6))[0], dims(3), []int64{0, 2, 6})
}

// TestArithRowsExact checks the float32 arithmetic rows (vector code on
// AVX2) against one Go operation per element, bit for bit, for each
// broadcast case and lengths around the 8-lane blocks.
func TestArithRowsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	ops := []struct {
		name string
		row  binRow[float32, float32]
		f    func(x, y float32) float32
	}{
		{"Add", rowAdd[float32], func(x, y float32) float32 { return x + y }},
		{"Sub", rowSub[float32], func(x, y float32) float32 { return x - y }},
		{"Mul", rowMul[float32], func(x, y float32) float32 { return x * y }},
		{"Div", rowDiv[float32], func(x, y float32) float32 { return x / y }},
	}
	for _, n := range []int{1, 7, 8, 9, 17, 49, 100} {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = r.Float32()*4-2, r.Float32()*4-2
		}
		for _, op := range ops {
			for _, st := range [][2]int{{1, 1}, {1, 0}, {0, 1}} {
				d := make([]float32, n+1)
				d[n] = 7 // must stay untouched
				op.row(d[:n], a, st[0], b, st[1])
				for i := range n {
					want := op.f(a[i*st[0]], b[i*st[1]])
					if math.Float32bits(d[i]) != math.Float32bits(want) {
						t.Fatalf("%s n=%d strides %v: element %d is %v, want %v", op.name, n, st, i, d[i], want)
					}
				}
				if d[n] != 7 {
					t.Fatalf("%s n=%d strides %v: wrote past the row", op.name, n, st)
				}
			}
		}
	}
}

// TestPerRowScalarMulAdd covers the one-call path for an operand with one
// value per row (x·gate of squeeze-excitation), either operand first, row
// lengths around the 16-lane steps: the same values as element by element.
func TestPerRowScalarMulAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	for _, hw := range []int{1, 7, 16, 17, 49} {
		x := randTensor(r, 3, 5, hw)
		g := randTensor(r, 3, 5, 1)
		for _, op := range []struct {
			name string
			op   binaryOp
			f    func(a, b float32) float32
		}{{"Mul", opMul, func(a, b float32) float32 { return a * b }}, {"Add", opAdd, func(a, b float32) float32 { return a + b }}} {
			for _, gateFirst := range []bool{false, true} {
				a, b := x, g
				if gateFirst {
					a, b = g, x
				}
				got, err := binary(&execContext{Threads: 2}, op.op, a, b)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range got.F {
					want := op.f(x.F[i], g.F[i/hw])
					if gateFirst {
						want = op.f(g.F[i/hw], x.F[i])
					}
					if v != want {
						t.Fatalf("%s hw=%d gate first %v: element %d = %v, want %v", op.name, hw, gateFirst, i, v, want)
					}
				}
			}
		}
	}
}
