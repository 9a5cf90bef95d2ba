package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestResize1D(t *testing.T) {
	x := FromFloat32([]float32{1, 2}, 1, 1, 2)
	for _, c := range []struct {
		attrs Attrs
		want  string
	}{
		{Attrs{"mode": "linear", "scales": []float32{1, 1, 2}}, "[1 1.25 1.75 2]"},
		{Attrs{"mode": "linear", "coordinate_transformation_mode": "align_corners", "sizes": []int64{1, 1, 3}}, "[1 1.5 2]"},
		{Attrs{"mode": "linear", "coordinate_transformation_mode": "asymmetric", "scales": []float32{1, 1, 2}}, "[1 1.5 2 2]"},
		{Attrs{"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor", "scales": []float32{1, 1, 3}}, "[1 1 1 2 2 2]"},
		// half_pixel 2→3: source 0-1/6≈-0.17, 0.5, 1.17: round_prefer_floor gives 0, 0, 1; prefer_ceil 0, 1, 1.
		{Attrs{"mode": "nearest", "sizes": []int64{1, 1, 3}}, "[1 1 2]"},
		{Attrs{"mode": "nearest", "nearest_mode": "round_prefer_ceil", "sizes": []int64{1, 1, 3}}, "[1 2 2]"},
	} {
		got := runNN(t, "Resize", c.attrs, x)[0]
		if fmt.Sprint(got.F) != c.want {
			t.Errorf("%v: %v, want %s", c.attrs, got.F, c.want)
		}
	}
}

// naiveBilinear is 2-D linear interpolation with half_pixel coordinates,
// written as the four-corner formula rather than two 1-D passes.
func naiveBilinear(x *Tensor, oh, ow int) *Tensor {
	nc, h, w := x.Shape[0]*x.Shape[1], x.Shape[2], x.Shape[3]
	y := New(x.Shape[0], x.Shape[1], oh, ow)
	coord := func(j, in, out int) (int, int, float64) {
		v := (float64(j)+0.5)*float64(in)/float64(out) - 0.5
		v = math.Min(math.Max(v, 0), float64(in-1))
		i0 := int(v)
		return i0, min(i0+1, in-1), v - float64(i0)
	}
	for p := range nc {
		for oy := range oh {
			y0, y1, fy := coord(oy, h, oh)
			for ox := range ow {
				x0, x1, fx := coord(ox, w, ow)
				at := func(i, j int) float64 { return float64(x.F[(p*h+i)*w+j]) }
				v := (1-fy)*((1-fx)*at(y0, x0)+fx*at(y0, x1)) + fy*((1-fx)*at(y1, x0)+fx*at(y1, x1))
				y.F[(p*oh+oy)*ow+ox] = float32(v)
			}
		}
	}
	return y
}

func TestResizeBilinearMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	x := randTensor(r, 2, 3, 5, 7)
	for _, size := range [][2]int{{10, 14}, {3, 4}, {5, 11}} {
		got := runNN(t, "Resize", Attrs{"mode": "linear", "sizes": []int64{2, 3, int64(size[0]), int64(size[1])}}, x)[0]
		assertClose(t, fmt.Sprint(size), got.F, naiveBilinear(x, size[0], size[1]).F, 1e-5)
	}
	// Scales as the third input (opset 11+: X, roi, scales).
	got := runNN(t, "Resize", Attrs{"mode": "linear"}, x, nil, FromFloat32([]float32{1, 1, 2, 2}, 4))[0]
	assertClose(t, "scales input", got.F, naiveBilinear(x, 10, 14).F, 1e-5)
}

func TestUpsampleNearest(t *testing.T) {
	x := seq(1, 1, 2, 2)
	got := runNN(t, "Upsample", Attrs{"scales": []float32{1, 1, 2, 3}}, x)[0]
	want := "[1 1 4 6] [1 1 1 2 2 2 1 1 1 2 2 2 3 3 3 4 4 4 3 3 3 4 4 4]"
	if fmt.Sprint(got.Shape, got.F) != want {
		t.Fatalf("Upsample: %v %v, want %s", got.Shape, got.F, want)
	}
	// Opset 9: scales as an input.
	got = runNN(t, "Upsample", Attrs{"mode": "linear"}, x, FromFloat32([]float32{1, 1, 2, 1}, 4))[0]
	if fmt.Sprint(got.F) != "[1 2 2 3 3 4 3 4]" {
		t.Fatalf("Upsample linear: %v", got.F)
	}
}

func TestResizeErrors(t *testing.T) {
	ec := &execContext{Threads: 1}
	x := seq(1, 1, 2, 2)
	for _, attrs := range []Attrs{
		{},                                // neither scales nor sizes
		{"scales": []float32{1, 2}},       // wrong rank
		{"scales": []float32{1, 1, 0, 1}}, // zero scale
		{"sizes": []int64{1, 1, 1 << 20, 1 << 20}}, // too large
		{"scales": []float32{1, 1, 2, 2}, "mode": "quintic"},
	} {
		if _, err := resizeKernel(ec, &Node{Name: "r", Op: "Resize", Attrs: attrs}, []*Tensor{x}); err == nil {
			t.Errorf("attrs %v accepted", attrs)
		}
	}
}

// TestResizeOpset10 covers the two-input form Resize(X, scales) of opset
// 10: asymmetric coordinates, nearest rounding down when enlarging and up
// when shrinking (the example of the opset-10 operator documentation).
func TestResizeOpset10(t *testing.T) {
	x := seq(1, 1, 2, 4)
	got := runNN(t, "Resize", Attrs{"mode": "nearest"}, x, FromFloat32([]float32{1, 1, 0.6, 0.6}, 4))[0]
	if fmt.Sprint(got.Shape, got.F) != "[1 1 1 2] [1 3]" {
		t.Fatalf("downsample: %v %v, want [1 1 1 2] [1 3]", got.Shape, got.F)
	}
	got = runNN(t, "Resize", Attrs{"mode": "nearest"}, seq(1, 1, 1, 2), FromFloat32([]float32{1, 1, 1, 3}, 4))[0]
	if fmt.Sprint(got.F) != "[1 1 1 2 2 2]" {
		t.Fatalf("upsample: %v, want [1 1 1 2 2 2]", got.F)
	}
}
