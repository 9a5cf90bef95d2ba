package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// unravel converts flat index i over shape into a position.
func unravel(i int, shape []int) []int {
	pos := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		pos[d] = i % shape[d]
		i /= shape[d]
	}
	return pos
}

func ravel(pos, shape []int) int {
	f := 0
	for d := range shape {
		f = f*shape[d] + pos[d]
	}
	return f
}

// naiveConv is the textbook definition of ONNX Conv with explicit pads.
func naiveConv(x, w *Tensor, bias []float32, group int, stride, dil, padBegin []int, outSp []int) *Tensor {
	batch, c := x.Shape[0], x.Shape[1]
	m, cg := w.Shape[0], w.Shape[1]
	mg := m / group
	inSp, kSp := x.Shape[2:], w.Shape[2:]
	y := New(append([]int{batch, m}, outSp...)...)
	for b := range batch {
		for oc := range m {
			g := oc / mg
			for o := range NumElements(outSp) {
				op := unravel(o, outSp)
				var s float64
				if bias != nil {
					s = float64(bias[oc])
				}
				for ic := range cg {
					for k := range NumElements(kSp) {
						kp := unravel(k, kSp)
						ip := make([]int, len(inSp))
						ok := true
						for d := range inSp {
							ip[d] = op[d]*stride[d] + kp[d]*dil[d] - padBegin[d]
							ok = ok && ip[d] >= 0 && ip[d] < inSp[d]
						}
						if !ok {
							continue
						}
						xv := x.F[(b*c+g*cg+ic)*NumElements(inSp)+ravel(ip, inSp)]
						wv := w.F[(oc*cg+ic)*NumElements(kSp)+k]
						s += float64(xv) * float64(wv)
					}
				}
				y.F[(b*m+oc)*NumElements(outSp)+o] = float32(s)
			}
		}
	}
	return y
}

// naiveConvTranspose scatters every input pixel over its output window.
func naiveConvTranspose(x, w *Tensor, bias []float32, group int, stride, dil, padBegin, outSp []int) *Tensor {
	batch, c := x.Shape[0], x.Shape[1]
	cg, mg := c/group, w.Shape[1]
	m := mg * group
	inSp, kSp := x.Shape[2:], w.Shape[2:]
	y := New(append([]int{batch, m}, outSp...)...)
	for b := range batch {
		for ic := range c {
			g := ic / cg
			for i := range NumElements(inSp) {
				ip := unravel(i, inSp)
				xv := x.F[(b*c+ic)*NumElements(inSp)+i]
				for oc := range mg {
					for k := range NumElements(kSp) {
						kp := unravel(k, kSp)
						op := make([]int, len(inSp))
						ok := true
						for d := range inSp {
							op[d] = ip[d]*stride[d] + kp[d]*dil[d] - padBegin[d]
							ok = ok && op[d] >= 0 && op[d] < outSp[d]
						}
						if !ok {
							continue
						}
						wv := w.F[(ic*mg+oc)*NumElements(kSp)+k]
						y.F[(b*m+g*mg+oc)*NumElements(outSp)+ravel(op, outSp)] += xv * wv
					}
				}
			}
		}
	}
	if bias != nil {
		plane := NumElements(outSp)
		for i := range y.F {
			y.F[i] += bias[(i/plane)%m]
		}
	}
	return y
}

func randTensor(r *rand.Rand, shape ...int) *Tensor {
	return FromFloat32(randSlice(r, NumElements(shape)), shape...)
}

func ints64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

type convCase struct {
	batch, c, m, group int
	in, kernel         []int
	stride, dil, pads  []int // pads: begins then ends
	bias               bool
}

var convCases = []convCase{
	{1, 1, 1, 1, []int{5, 5}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, false},
	{2, 3, 4, 1, []int{7, 6}, []int{3, 2}, []int{2, 1}, []int{1, 2}, []int{1, 0, 2, 1}, true},
	{2, 4, 6, 2, []int{6, 6}, []int{3, 3}, []int{1, 2}, []int{2, 1}, []int{2, 1, 1, 2}, true},
	{3, 8, 8, 8, []int{9, 7}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},                   // depthwise
	{1, 6, 6, 6, []int{8, 9}, []int{5, 3}, []int{2, 3}, []int{2, 1}, []int{2, 0, 1, 3}, false},                  // depthwise, strided
	{2, 4, 8, 4, []int{6, 5}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},                   // channel multiplier 2
	{4, 16, 32, 1, []int{4, 4}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, true},                 // 1x1 direct
	{2, 3, 5, 1, []int{11}, []int{4}, []int{3}, []int{2}, []int{2, 3}, true},                                    // 1-D
	{1, 2, 3, 1, []int{4, 5, 6}, []int{2, 3, 2}, []int{1, 2, 1}, []int{1, 1, 2}, []int{1, 0, 1, 0, 1, 1}, true}, // 3-D
	{5, 16, 24, 1, []int{14, 14}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
	// Unit strides (the in-place path) with dilations, asymmetric pads,
	// groups, 1-D, and M and output widths that are not multiples of the
	// 4×16 tile.
	{2, 6, 10, 2, []int{9, 11}, []int{3, 2}, []int{1, 1}, []int{2, 3}, []int{2, 0, 1, 3}, true},
	{3, 5, 7, 1, []int{13}, []int{5}, []int{1}, []int{2}, []int{3, 1}, true},
	{1, 3, 5, 1, []int{2, 3}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{2, 2, 2, 2}, false},
	{2, 300, 6, 1, []int{4, 4}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, true}, // K > one panel
	{9, 24, 40, 1, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, true}, // squeeze-excitation
	// Pointwise layers of several images: 7×7 (M not a multiple of the
	// tile), 1-D, and a plane wider than 512 positions.
	{13, 24, 70, 1, []int{7, 7}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, true},
	{3, 5, 7, 1, []int{20}, []int{1}, []int{1}, []int{1}, []int{0, 0}, false},
	{3, 4, 6, 1, []int{24, 24}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, true},
}

func (cc convCase) node() *Node {
	return &Node{Name: "c", Op: "Conv", Attrs: Attrs{
		"group": int64(cc.group), "strides": ints64(cc.stride), "dilations": ints64(cc.dil), "pads": ints64(cc.pads),
	}}
}

func TestConvMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i, cc := range convCases {
		x := randTensor(r, append([]int{cc.batch, cc.c}, cc.in...)...)
		w := randTensor(r, append([]int{cc.m, cc.c / cc.group}, cc.kernel...)...)
		var bias *Tensor
		if cc.bias {
			bias = randTensor(r, cc.m)
		}
		rank := len(cc.in)
		outSp := make([]int, rank)
		for d := range rank {
			ek := (cc.kernel[d]-1)*cc.dil[d] + 1
			outSp[d] = (cc.in[d]+cc.pads[d]+cc.pads[d+rank]-ek)/cc.stride[d] + 1
		}
		var bf []float32
		if bias != nil {
			bf = bias.F
		}
		want := naiveConv(x, w, bf, cc.group, cc.stride, cc.dil, cc.pads[:rank], outSp)
		for _, threads := range []int{1, 2} {
			got, err := convKernel(&execContext{Threads: threads}, cc.node(), []*Tensor{x, w, bias})
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			if fmt.Sprint(got[0].Shape) != fmt.Sprint(want.Shape) {
				t.Fatalf("case %d: shape %v, want %v", i, got[0].Shape, want.Shape)
			}
			assertClose(t, fmt.Sprintf("conv case %d threads %d", i, threads), got[0].F, want.F, 1e-4)
		}
	}
}

func TestConvAutoPad(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	x := randTensor(r, 1, 2, 7, 8)
	w := randTensor(r, 3, 2, 4, 3)
	cases := []struct {
		autoPad string
		out     []int
		pads    []int // the explicit pads that must give the same result
	}{
		// SAME with stride 2: out = ceil(in/2); total pad along H = (4-1)*2+4-7 = 3, along W = (4-1)*2+3-8 = 1.
		{"SAME_UPPER", []int{4, 4}, []int{1, 0, 2, 1}},
		{"SAME_LOWER", []int{4, 4}, []int{2, 1, 1, 0}},
		{"VALID", []int{2, 3}, []int{0, 0, 0, 0}},
	}
	for _, c := range cases {
		n := &Node{Name: "c", Op: "Conv", Attrs: Attrs{"auto_pad": c.autoPad, "strides": []int64{2, 2}}}
		got, err := convKernel(&execContext{Threads: 1}, n, []*Tensor{x, w})
		if err != nil {
			t.Fatal(err)
		}
		want := naiveConv(x, w, nil, 1, []int{2, 2}, []int{1, 1}, c.pads[:2], c.out)
		if fmt.Sprint(got[0].Shape[2:]) != fmt.Sprint(c.out) {
			t.Fatalf("%s: shape %v, want spatial %v", c.autoPad, got[0].Shape, c.out)
		}
		assertClose(t, c.autoPad, got[0].F, want.F, 1e-4)
	}
}

func TestConvRejectsBadShapes(t *testing.T) {
	ec := &execContext{Threads: 1}
	n := &Node{Name: "bad", Op: "Conv", Attrs: Attrs{"group": int64(2)}}
	if _, err := convKernel(ec, n, []*Tensor{New(1, 3, 5, 5), New(4, 1, 3, 3)}); err == nil {
		t.Fatal("3 channels with group 2 accepted")
	}
	n = &Node{Name: "big", Op: "Conv"}
	if _, err := convKernel(ec, n, []*Tensor{New(1, 1, 2, 2), New(1, 1, 3, 3)}); err == nil {
		t.Fatal("kernel larger than the input accepted")
	}
}

func TestConvTransposeMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	cases := []struct {
		batch, c, m, group      int
		in, kernel, stride, dil []int
		pads, outPad            []int
	}{
		{1, 1, 1, 1, []int{3, 3}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, []int{0, 0}},
		{2, 4, 6, 2, []int{4, 5}, []int{3, 2}, []int{2, 3}, []int{1, 1}, []int{1, 0, 1, 1}, []int{1, 0}},
		{2, 3, 2, 1, []int{5, 4}, []int{2, 2}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, []int{0, 0}},
		{1, 2, 4, 1, []int{4, 4}, []int{3, 3}, []int{2, 1}, []int{2, 2}, []int{1, 2, 0, 1}, []int{1, 0}},
		{2, 3, 5, 1, []int{7}, []int{4}, []int{3}, []int{1}, []int{2, 1}, []int{2}},
	}
	for i, cc := range cases {
		rank := len(cc.in)
		x := randTensor(r, append([]int{cc.batch, cc.c}, cc.in...)...)
		w := randTensor(r, append([]int{cc.c, cc.m / cc.group}, cc.kernel...)...)
		bias := randTensor(r, cc.m)
		outSp := make([]int, rank)
		for d := range rank {
			outSp[d] = cc.stride[d]*(cc.in[d]-1) + cc.outPad[d] + (cc.kernel[d]-1)*cc.dil[d] + 1 - cc.pads[d] - cc.pads[d+rank]
		}
		want := naiveConvTranspose(x, w, bias.F, cc.group, cc.stride, cc.dil, cc.pads[:rank], outSp)
		n := &Node{Name: "ct", Op: "ConvTranspose", Attrs: Attrs{
			"group": int64(cc.group), "strides": ints64(cc.stride), "dilations": ints64(cc.dil),
			"pads": ints64(cc.pads), "output_padding": ints64(cc.outPad),
		}}
		for _, threads := range []int{1, 2} {
			got, err := convTransposeKernel(&execContext{Threads: threads}, n, []*Tensor{x, w, bias})
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			if fmt.Sprint(got[0].Shape) != fmt.Sprint(want.Shape) {
				t.Fatalf("case %d: shape %v, want %v", i, got[0].Shape, want.Shape)
			}
			assertClose(t, fmt.Sprintf("convtranspose case %d", i), got[0].F, want.F, 1e-4)
		}
	}
}

func TestConvTransposeOutputShape(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	x := randTensor(r, 1, 1, 3, 3)
	w := randTensor(r, 1, 2, 3, 3)
	// Natural size with stride 3: 3*(3-1)+3 = 9; asking 10 and 11 adds
	// output padding (negative total pads) at the end.
	n := &Node{Name: "ct", Op: "ConvTranspose", Attrs: Attrs{"strides": []int64{3, 2}, "output_shape": []int64{10, 8}}}
	got, err := convTransposeKernel(&execContext{Threads: 1}, n, []*Tensor{x, w})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got[0].Shape) != "[1 2 10 8]" {
		t.Fatalf("shape %v, want [1 2 10 8]", got[0].Shape)
	}
	// A requested size beyond the natural one (9×7) extends the end with
	// zeros, as ONNX Runtime and the conformance test do.
	nat, err := convTransposeKernel(&execContext{Threads: 1}, &Node{Name: "n", Op: "ConvTranspose", Attrs: Attrs{"strides": []int64{3, 2}}}, []*Tensor{x, w})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(nat[0].Shape) != "[1 2 9 7]" {
		t.Fatalf("natural shape %v, want [1 2 9 7]", nat[0].Shape)
	}
	for c := range 2 {
		for h := range 10 {
			for wd := range 8 {
				var want float32
				if h < 9 && wd < 7 {
					want = nat[0].F[(c*9+h)*7+wd]
				}
				if got := got[0].F[(c*10+h)*8+wd]; got != want {
					t.Fatalf("channel %d (%d,%d) = %v, want %v", c, h, wd, got, want)
				}
			}
		}
	}
}

func BenchmarkConv(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name             string
		batch, c, m, hw  int
		group, k, stride int
	}{
		{"mnist1_b64", 64, 1, 16, 28, 1, 3, 1},
		{"mnist2_b64", 64, 16, 32, 14, 1, 3, 1},
		{"mnist2_b1", 1, 16, 32, 14, 1, 3, 1},
		{"depthwise_b8", 8, 64, 64, 28, 64, 3, 1},
		{"pointwise_b8", 8, 64, 128, 28, 1, 1, 1},
	} {
		x := randTensor(r, c.batch, c.c, c.hw, c.hw)
		w := randTensor(r, c.m, c.c/c.group, c.k, c.k)
		n := &Node{Name: "c", Op: "Conv", Attrs: Attrs{"group": int64(c.group), "pads": []int64{int64(c.k / 2), int64(c.k / 2), int64(c.k / 2), int64(c.k / 2)}}}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", c.name, threads), func(b *testing.B) {
				ec := &execContext{Threads: threads}
				for b.Loop() {
					if _, err := convKernel(ec, n, []*Tensor{x, w}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestKernelsOverwriteRecycledBuffers runs the kernels with a buffer pool
// that hands out NaN-filled buffers: outputs must not depend on what a
// recycled buffer held.
func TestKernelsOverwriteRecycledBuffers(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	x := randTensor(r, 2, 4, 6, 6)
	w := randTensor(r, 4, 4, 3, 3)
	wt := randTensor(r, 4, 2, 3, 3)
	cases := []struct {
		op    string
		attrs Attrs
		in    []*Tensor
	}{
		{"Conv", Attrs{"pads": []int64{1, 1, 1, 1}}, []*Tensor{x, w}},
		{"Conv", Attrs{"group": int64(4)}, []*Tensor{x, randTensor(r, 4, 1, 3, 3)}},
		{"ConvTranspose", Attrs{"strides": []int64{2, 2}}, []*Tensor{x, wt}},
		{"Gemm", Attrs{"transB": int64(1)}, []*Tensor{randTensor(r, 5, 7), randTensor(r, 3, 7)}},
		{"MatMul", nil, []*Tensor{randTensor(r, 2, 5, 7), randTensor(r, 7, 3)}},
		{"MaxPool", Attrs{"kernel_shape": []int64{2, 2}}, []*Tensor{x}},
		{"AveragePool", Attrs{"kernel_shape": []int64{3, 3}, "pads": []int64{1, 1, 1, 1}}, []*Tensor{x}},
		{"GlobalAveragePool", nil, []*Tensor{x}},
		{"Pad", Attrs{"pads": []int64{0, 0, 1, 1, 0, 0, 1, 1}}, []*Tensor{x}},
		{"Resize", Attrs{"mode": "linear", "scales": []float32{1, 1, 2, 1.5}}, []*Tensor{x}},
	}
	for _, c := range cases {
		n := &Node{Name: "k", Op: c.op, Attrs: c.attrs, Outputs: []string{"y"}}
		clean, err := nnKernels()[c.op](&execContext{Threads: 1}, n, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		ec := &execContext{Threads: 2, pool: newBufPool()}
		size := clean[0].Len()
		dirty := make([]float32, size)
		for i := range dirty {
			dirty[i] = float32(math.NaN())
		}
		ec.pool.f[size] = append(ec.pool.f[size], dirty)
		got, err := nnKernels()[c.op](ec, n, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		assertClose(t, c.op+" with a recycled buffer", got[0].F, clean[0].F, 1e-5)
	}
}

// TestConvKernelWiderThanInput covers a padded kernel wider than the input
// (PyTorch's Conv1d_pad2size1): some kernel offsets see only padding.
func TestConvKernelWiderThanInput(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	x := randTensor(r, 2, 3, 1)
	w := randTensor(r, 4, 3, 5)
	b := randTensor(r, 4)
	n := &Node{Name: "c", Op: "Conv", Attrs: Attrs{"pads": []int64{2, 2}}}
	got, err := convKernel(&execContext{Threads: 1}, n, []*Tensor{x, w, b})
	if err != nil {
		t.Fatal(err)
	}
	want := naiveConv(x, w, b.F, 1, []int{1}, []int{1}, []int{2}, []int{1})
	assertClose(t, "conv 1-wide input", got[0].F, want.F, 1e-5)
	ct := &Node{Name: "t", Op: "ConvTranspose", Attrs: Attrs{"pads": []int64{2, 2}}}
	wt := randTensor(r, 3, 2, 5)
	gotT, err := convTransposeKernel(&execContext{Threads: 1}, ct, []*Tensor{x, wt})
	if err != nil {
		t.Fatal(err)
	}
	wantT := naiveConvTranspose(x, wt, nil, 1, []int{1}, []int{1}, []int{2}, []int{1})
	assertClose(t, "convtranspose 1-wide input", gotT[0].F, wantT.F, 1e-5)
}

// TestPortablePathsMatch checks the paths that only run on CPUs without
// AVX2 (the direct depthwise loop, the portable indirect micro-kernel)
// against the reference and the assembly.
func TestPortablePathsMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, cc := range []struct{ stride, dil, pads []int }{
		{[]int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}},
		{[]int{2, 1}, []int{1, 2}, []int{2, 0, 1, 3}},
		{[]int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}},
	} {
		x := randTensor(r, 1, 1, 9, 8)
		k := randTensor(r, 1, 1, 3, 3)
		n := &Node{Name: "dw", Op: "Conv", Attrs: Attrs{"strides": ints64(cc.stride), "dilations": ints64(cc.dil), "pads": ints64(cc.pads)}}
		w, err := newWindow(n, []int{9, 8}, []int{3, 3}, false)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, NumElements(w.out))
		depthwise2D(w, x.F, k.F, got)
		want := naiveConv(x, k, nil, 1, cc.stride, cc.dil, cc.pads[:2], w.out)
		assertClose(t, fmt.Sprintf("depthwise2D %v", cc), got, want.F, 1e-5)
	}
	const kc = 37
	a := randSlice(r, kc*gemmMR)
	b := randSlice(r, 500)
	offs := make([]int, kc)
	for i := range offs {
		offs[i] = r.IntN(500 - gemmNR)
	}
	c1 := randSlice(r, gemmMR*20)
	c2 := append([]float32(nil), c1...)
	kernel4x16Indirect(kc, a, b, offs, c1, 20)
	kernel4x16IndirectGo(kc, a, b, offs, c2, 20)
	assertClose(t, "indirect kernel", c1, c2, 1e-4)
	b64 := randSlice(r, 600)
	for i := range offs {
		offs[i] = r.IntN(600 - 64)
	}
	d1 := randSlice(r, 64)
	d2 := append([]float32(nil), d1...)
	kernel1x64Indirect(kc, a, b64, offs, d1)
	kernel1x64IndirectGo(kc, a, b64, offs, d2)
	assertClose(t, "one-row indirect kernel", d1, d2, 1e-4)
}

// TestDepthwise3x3MatchesNaive covers the depthwise 3×3 plane kernel
// (AVX-512) on widths around its 16-output chunks, strides 1 and 2 and
// symmetric and lopsided padding, with and without a fused activation.
func TestDepthwise3x3MatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, h := range []int{1, 3, 7, 14} {
		for _, wd := range []int{1, 2, 7, 14, 16, 17, 33, 40} {
			for _, s := range []int{1, 2} {
				for _, pads := range [][]int{{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 1, 1, 0}, {2, 2, 2, 2}} {
					cc := convCase{batch: 2, c: 3, m: 3, group: 3, in: []int{h, wd}, kernel: []int{3, 3},
						stride: []int{s, s}, dil: []int{1, 1}, pads: pads, bias: true}
					if h+pads[0]+pads[2] < 3 || wd+pads[1]+pads[3] < 3 {
						continue
					}
					outSp := []int{(h+pads[0]+pads[2]-3)/s + 1, (wd+pads[1]+pads[3]-3)/s + 1}
					x := randTensor(r, 2, 3, h, wd)
					w := randTensor(r, 3, 1, 3, 3)
					bias := randTensor(r, 3)
					want := naiveConv(x, w, bias.F, 3, cc.stride, cc.dil, pads[:2], outSp)
					got, err := convKernel(&execContext{Threads: 1}, cc.node(), []*Tensor{x, w, bias})
					if err != nil {
						t.Fatal(err)
					}
					what := fmt.Sprintf("depthwise %dx%d stride %d pads %v", h, wd, s, pads)
					assertClose(t, what, got[0].F, want.F, 1e-5)
					relu, err := convAct(&execContext{Threads: 2}, cc.node(), []*Tensor{x, w, bias}, reluRow)
					if err != nil {
						t.Fatal(err)
					}
					for i := range want.F {
						want.F[i] = max(want.F[i], 0)
					}
					assertClose(t, what+" relu", relu[0].F, want.F, 1e-5)
				}
			}
		}
	}
}

// TestConv1ch3x3MatchesNaive covers single-input-channel 3×3 layers (the
// AVX-512 stem kernel): output channels around its blocks of 16, strides 1
// and 2, widths around its 16-output chunks, several paddings.
func TestConv1ch3x3MatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, m := range []int{1, 8, 16, 17, 33} {
		for _, h := range []int{3, 14, 28} {
			for _, wd := range []int{3, 15, 16, 28, 40} {
				for _, s := range []int{1, 2} {
					for _, pads := range [][]int{{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 1, 1, 0}} {
						cc := convCase{batch: 2, c: 1, m: m, group: 1, in: []int{h, wd}, kernel: []int{3, 3},
							stride: []int{s, s}, dil: []int{1, 1}, pads: pads, bias: true}
						outSp := []int{(h+pads[0]+pads[2]-3)/s + 1, (wd+pads[1]+pads[3]-3)/s + 1}
						x := randTensor(r, 2, 1, h, wd)
						w := randTensor(r, m, 1, 3, 3)
						bias := randTensor(r, m)
						want := naiveConv(x, w, bias.F, 1, cc.stride, cc.dil, pads[:2], outSp)
						what := fmt.Sprintf("1-channel conv m=%d %dx%d stride %d pads %v", m, h, wd, s, pads)
						for _, threads := range []int{1, 2} {
							got, err := convKernel(&execContext{Threads: threads}, cc.node(), []*Tensor{x, w, bias})
							if err != nil {
								t.Fatal(err)
							}
							assertClose(t, what, got[0].F, want.F, 1e-5)
						}
						relu, err := convAct(&execContext{Threads: 1}, cc.node(), []*Tensor{x, w, bias}, reluRow)
						if err != nil {
							t.Fatal(err)
						}
						for i := range want.F {
							want.F[i] = max(want.F[i], 0)
						}
						assertClose(t, what+" relu", relu[0].F, want.F, 1e-5)
					}
				}
			}
		}
	}
}
