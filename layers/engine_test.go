package layers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// evalOp runs one node of op on the given inputs (nil = omitted) through
// Compile and Run, returning nout outputs.
func evalOp(t *testing.T, op string, attrs Attrs, nout int, inputs ...*Tensor) []*Tensor {
	t.Helper()
	out, err := tryOp(op, attrs, nout, inputs...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

func tryOp(op string, attrs Attrs, nout int, inputs ...*Tensor) ([]*Tensor, error) {
	g := &Graph{Initializers: map[string]*Tensor{}}
	n := &Node{Name: "n_" + op, Op: op, Attrs: attrs}
	feed := map[string]*Tensor{}
	for i, in := range inputs {
		if in == nil {
			n.Inputs = append(n.Inputs, "")
			continue
		}
		name := fmt.Sprintf("x%d", i)
		n.Inputs = append(n.Inputs, name)
		g.Inputs = append(g.Inputs, ValueInfo{Name: name, DType: in.DType})
		feed[name] = in
	}
	for i := 0; i < nout; i++ {
		name := fmt.Sprintf("y%d", i)
		n.Outputs = append(n.Outputs, name)
		g.Outputs = append(g.Outputs, ValueInfo{Name: name})
	}
	g.Nodes = []*Node{n}
	p, err := Compile(g, Options{})
	if err != nil {
		return nil, err
	}
	res, err := p.Run(feed)
	if err != nil {
		return nil, err
	}
	out := make([]*Tensor, nout)
	for i := range out {
		out[i] = res[fmt.Sprintf("y%d", i)]
	}
	return out, nil
}

func f32(shape []int, v ...float32) *Tensor { return FromFloat32(v, shape...) }
func i64(shape []int, v ...int64) *Tensor   { return FromInt64(v, shape...) }
func dims(d ...int) []int                   { return d }

// wantF fails unless got has the given shape and values within tol.
func wantF(t *testing.T, what string, got *Tensor, shape []int, want []float32, tol float64) {
	t.Helper()
	if got.DType != Float32 {
		t.Fatalf("%s: dtype %v, want float32", what, got.DType)
	}
	if fmt.Sprint(got.Shape) != fmt.Sprint(shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, shape)
	}
	for i := range want {
		if d := math.Abs(float64(got.F[i] - want[i])); got.F[i] != want[i] && !(d <= tol) && !(math.IsNaN(float64(want[i])) && math.IsNaN(float64(got.F[i]))) {
			t.Fatalf("%s: element %d = %v, want %v (all: %v)", what, i, got.F[i], want[i], got.F)
		}
	}
}

func wantI(t *testing.T, what string, got *Tensor, shape []int, want []int64) {
	t.Helper()
	if got.DType != Int64 {
		t.Fatalf("%s: dtype %v, want int64", what, got.DType)
	}
	if fmt.Sprint(got.Shape) != fmt.Sprint(shape) || fmt.Sprint(got.I) != fmt.Sprint(want) {
		t.Fatalf("%s: got %v %v, want %v %v", what, got.Shape, got.I, shape, want)
	}
}

func engRand(r *rand.Rand, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.F {
		t.F[i] = float32(r.NormFloat64() * 2)
	}
	return t
}

func TestCompileListsEveryUnsupportedNode(t *testing.T) {
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32, Shape: []int{-1, 3}}},
		Outputs: []ValueInfo{{Name: "c"}},
		Nodes: []*Node{
			{Name: "a", Op: "Frobnicate", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "b", Op: "Relu", Inputs: []string{"a"}, Outputs: []string{"b"}},
			{Name: "c", Op: "Zap", Inputs: []string{"b"}, Outputs: []string{"c"}},
		},
	}
	_, err := Compile(g, Options{})
	var eu *ErrUnsupported
	if !errors.As(err, &eu) {
		t.Fatalf("err = %v, want *ErrUnsupported", err)
	}
	if len(eu.Nodes) != 2 || eu.Nodes[0].Name != "a" || eu.Nodes[1].Name != "c" {
		t.Fatalf("unsupported nodes %v, want a and c", eu.Nodes)
	}
	if !strings.Contains(err.Error(), "Frobnicate") || !strings.Contains(err.Error(), "Zap") {
		t.Errorf("message %q does not name both operators", err)
	}
	if !Supported("Relu") || Supported("Zap") || !Supported("FS") {
		t.Error("Supported disagrees with the kernel table")
	}
}

func TestCompileRejectsBadFSAttrs(t *testing.T) {
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32}},
		Outputs: []ValueInfo{{Name: "y"}},
		Nodes: []*Node{{Name: "fs1", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: Attrs{"h": []float32{1, 2}, "T": []float32{1}, "d": []float32{1, 2}}}},
	}
	_, err := Compile(g, Options{})
	if err == nil || !strings.Contains(err.Error(), "fs1") {
		t.Fatalf("err = %v, want an error naming fs1", err)
	}
}

func TestRunChecksInputs(t *testing.T) {
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "img", DType: Float32, Shape: []int{-1, 2}}},
		Outputs: []ValueInfo{{Name: "y"}},
		Nodes:   []*Node{{Name: "r", Op: "Relu", Inputs: []string{"img"}, Outputs: []string{"y"}}},
	}
	p, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(map[string]*Tensor{"img": New(5, 2)}); err != nil {
		t.Errorf("dynamic batch rejected: %v", err)
	}
	cases := map[string]map[string]*Tensor{
		"missing input":  {},
		"dtype":          {"img": NewInt(1, 2)},
		"shape":          {"img": New(1, 3)},
		"rank":           {"img": New(2)},
		"not an input":   {"img": New(1, 2), "other": New(1)},
		"inconsistent t": {"img": {DType: Float32, Shape: []int{1, 2}, F: []float32{1}}},
	}
	for name, feed := range cases {
		_, err := p.Run(feed)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		want := "img"
		if name == "not an input" {
			want = "other"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not name %q", name, err, want)
		}
	}
}

func TestRunSmallGraph(t *testing.T) {
	// y = ReduceSum(Relu(x + b) * 2, axis 1), x [2,3].
	g := &Graph{
		Inputs:       []ValueInfo{{Name: "x", DType: Float32, Shape: []int{-1, 3}}},
		Outputs:      []ValueInfo{{Name: "y"}},
		Initializers: map[string]*Tensor{"b": f32(dims(3), 1, -1, 0), "two": f32(nil, 2)},
		Nodes: []*Node{
			{Name: "add", Op: "Add", Inputs: []string{"x", "b"}, Outputs: []string{"s"}},
			{Name: "relu", Op: "Relu", Inputs: []string{"s"}, Outputs: []string{"r"}},
			{Name: "mul", Op: "Mul", Inputs: []string{"r", "two"}, Outputs: []string{"m"}},
			{Name: "sum", Op: "ReduceSum", Inputs: []string{"m"}, Outputs: []string{"y"}, Attrs: Attrs{"axes": []int64{1}, "keepdims": int64(0)}},
		},
	}
	p, err := Compile(g, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	x := f32(dims(2, 3), -2, 3, 4, 0.5, 0.5, -1)
	res, err := p.Run(map[string]*Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	// Row 0: x+b = -1, 2, 4 -> relu 0, 2, 4 -> *2 sum = 12.
	// Row 1: 1.5, -0.5, -1 -> 1.5, 0, 0 -> 3.
	wantF(t, "y", res["y"], dims(2), []float32{12, 3}, 1e-6)
	if x.F[0] != -2 {
		t.Error("Run modified its input")
	}
	var order []string
	_, err = p.RunObserved(map[string]*Tensor{"x": x}, func(n *Node, in, out []*Tensor) {
		order = append(order, fmt.Sprintf("%s%v", n.Name, out[0].Shape))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "add[2 3] relu[2 3] mul[2 3] sum[2]" {
		t.Errorf("observer saw %q", got)
	}
}

// TestBufferReuseKeepsLiveValues builds a chain of same-size layers in
// which early values are read late (a skip connection, a reshaped alias and
// a graph output that is also consumed), so that a pool handing out a
// still-live buffer would corrupt the results.
func TestBufferReuseKeepsLiveValues(t *testing.T) {
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32, Shape: []int{4, 8}}},
		Outputs: []ValueInfo{{Name: "a"}, {Name: "out"}},
		Nodes: []*Node{
			{Name: "n1", Op: "Neg", Inputs: []string{"x"}, Outputs: []string{"a"}}, // graph output and read later
			{Name: "n2", Op: "Reshape", Inputs: []string{"a", "shp"}, Outputs: []string{"ar"}},
			{Name: "n3", Op: "Abs", Inputs: []string{"x"}, Outputs: []string{"b"}}, // skip connection
			{Name: "n4", Op: "Exp", Inputs: []string{"b"}, Outputs: []string{"c"}},
			{Name: "n5", Op: "Sigmoid", Inputs: []string{"c"}, Outputs: []string{"d"}},
			{Name: "n6", Op: "Tanh", Inputs: []string{"d"}, Outputs: []string{"e"}},
			{Name: "n7", Op: "Relu", Inputs: []string{"e"}, Outputs: []string{"f"}},
			{Name: "n8", Op: "Add", Inputs: []string{"f", "b"}, Outputs: []string{"g"}},
			{Name: "n9", Op: "Reshape", Inputs: []string{"g", "shp"}, Outputs: []string{"gr"}},
			{Name: "n10", Op: "Add", Inputs: []string{"gr", "ar"}, Outputs: []string{"h"}},
			{Name: "n11", Op: "Mul", Inputs: []string{"h", "ar"}, Outputs: []string{"out"}},
		},
		Initializers: map[string]*Tensor{"shp": i64(dims(2), 32, 1)},
	}
	p, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for run := 0; run < 3; run++ {
		x := engRand(r, 4, 8)
		res, err := p.Run(map[string]*Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x.F {
			a := -float64(v)
			b := math.Abs(float64(v))
			e := math.Tanh(1 / (1 + math.Exp(-math.Exp(b))))
			want := (math.Max(e, 0) + b + a) * a
			if got := float64(res["out"].F[i]); math.Abs(got-want) > 1e-5 {
				t.Fatalf("run %d element %d: %v, want %v", run, i, got, want)
			}
			if res["a"].F[i] != -v {
				t.Fatalf("run %d: graph output a was overwritten", run)
			}
		}
		if fmt.Sprint(res["out"].Shape) != "[32 1]" {
			t.Fatalf("out shape %v", res["out"].Shape)
		}
	}
}

func TestOutputsSurviveLaterRuns(t *testing.T) {
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32}},
		Outputs: []ValueInfo{{Name: "y"}},
		Nodes: []*Node{
			{Name: "a", Op: "Neg", Inputs: []string{"x"}, Outputs: []string{"t"}},
			{Name: "b", Op: "Neg", Inputs: []string{"t"}, Outputs: []string{"u"}},
			{Name: "c", Op: "Exp", Inputs: []string{"u"}, Outputs: []string{"y"}},
		},
	}
	p, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r1, err := p.Run(map[string]*Tensor{"x": f32(dims(3), 0, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(map[string]*Tensor{"x": f32(dims(3), 1, 2, 3)}); err != nil {
		t.Fatal(err)
	}
	wantF(t, "first run output", r1["y"], dims(3), []float32{1, 1, 1}, 0)
}

func TestKernelErrorsNameTheNode(t *testing.T) {
	_, err := tryOp("Div", nil, 1, i64(dims(2), 1, 2), i64(dims(2), 1, 0))
	if err == nil || !strings.Contains(err.Error(), "n_Div") {
		t.Fatalf("integer division by zero: err = %v, want error naming the node", err)
	}
	_, err = tryOp("Add", nil, 1, New(2, 3), New(4))
	if err == nil || !strings.Contains(err.Error(), "broadcast") {
		t.Fatalf("bad broadcast: err = %v", err)
	}
	_, err = tryOp("Reshape", nil, 1, New(2, 3), i64(dims(1), 7))
	if err == nil || !strings.Contains(err.Error(), "reshape") {
		t.Fatalf("bad reshape: err = %v", err)
	}
}

func TestFSMatchesReferenceAndCountsSpikes(t *testing.T) {
	params := FSParams{
		H: []float32{4, 2, 1, 0.5, 0.25},
		T: []float32{3.9, 1.8, 0.95, 0.3, 0.2},
		D: []float32{4, 2, 1, 0.5, 0.25},
	}
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32, Shape: []int{-1, 30, 40}}},
		Outputs: []ValueInfo{{Name: "y"}},
		Nodes: []*Node{{Name: "fs0", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: Attrs{"h": params.H, "T": params.T, "d": params.D, "activation": "relu"}}},
	}
	p, err := Compile(g, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var wantSpikes int64
	for run := 0; run < 2; run++ {
		x := engRand(r, 20, 30, 40) // 24000 elements: the parallel path
		res, err := p.Run(map[string]*Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x.F {
			o, s := FSForward(params, v)
			if res["y"].F[i] != o {
				t.Fatalf("element %d: %v, FSForward %v", i, res["y"].F[i], o)
			}
			wantSpikes += int64(s)
		}
	}
	st := p.SpikeStats()
	if len(st) != 1 {
		t.Fatalf("%d stats, want 1", len(st))
	}
	want := SpikeStats{Node: "fs0", Activation: "relu", NeuronsPerSample: 1200, Elements: 48000, Spikes: wantSpikes}
	if st[0] != want {
		t.Fatalf("stats %+v, want %+v", st[0], want)
	}
	if wantSpikes == 0 {
		t.Fatal("test input produced no spikes")
	}
	p.ResetStats()
	if st := p.SpikeStats(); st[0].Elements != 0 || st[0].Spikes != 0 {
		t.Fatalf("after reset: %+v", st[0])
	}
}

func TestConcurrentRuns(t *testing.T) {
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32}},
		Outputs: []ValueInfo{{Name: "y"}},
		Nodes: []*Node{
			{Name: "a", Op: "Mul", Inputs: []string{"x", "x"}, Outputs: []string{"t"}},
			{Name: "b", Op: "Sqrt", Inputs: []string{"t"}, Outputs: []string{"y"}},
		},
	}
	p, err := Compile(g, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for k := 0; k < 8; k++ {
		go func(k int) {
			x := New(1000)
			for i := range x.F {
				x.F[i] = float32(k)
			}
			var err error
			for rep := 0; rep < 20 && err == nil; rep++ {
				var res map[string]*Tensor
				if res, err = p.Run(map[string]*Tensor{"x": x}); err == nil {
					for _, v := range res["y"].F {
						if v != float32(k) {
							err = fmt.Errorf("goroutine %d got %v", k, v)
							break
						}
					}
				}
			}
			errs <- err
		}(k)
	}
	for k := 0; k < 8; k++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestHugeOutputIsAnError(t *testing.T) {
	_, err := tryOp("ConstantOfShape", nil, 1, i64(dims(3), 1<<20, 1<<20, 1<<20))
	if err == nil || !strings.Contains(err.Error(), "n_ConstantOfShape") {
		t.Fatalf("err = %v, want an error naming the node", err)
	}
	_, err = tryOp("Tile", nil, 1, New(1<<16, 1), i64(dims(2), 1, 1<<20))
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("Tile: err = %v", err)
	}
}

// TestBuffersAreRecycled checks that a run after the first takes its
// intermediate tensors from the pool: a chain of six layers of 400 KB each
// should allocate about one tensor (the output, which the caller keeps).
func TestBuffersAreRecycled(t *testing.T) {
	ops := []string{"Neg", "Relu", "Sigmoid", "Tanh", "Abs", "Exp"}
	g := &Graph{Inputs: []ValueInfo{{Name: "v0", DType: Float32}}}
	for i, op := range ops {
		g.Nodes = append(g.Nodes, &Node{Name: op, Op: op, Inputs: []string{fmt.Sprintf("v%d", i)}, Outputs: []string{fmt.Sprintf("v%d", i+1)}})
	}
	g.Outputs = []ValueInfo{{Name: fmt.Sprintf("v%d", len(ops))}}
	p, err := Compile(g, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := New(100_000)
	feed := map[string]*Tensor{"v0": x}
	if _, err := p.Run(feed); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := p.Run(feed); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	tensor := uint64(4 * x.Len())
	if got := after.TotalAlloc - before.TotalAlloc; got > tensor*3/2 {
		t.Errorf("second run allocated %d bytes, want about one tensor (%d)", got, tensor)
	}
}

func TestSpikeStatsForUnnamedFSNodes(t *testing.T) {
	attrs := Attrs{"h": []float32{1}, "T": []float32{0}, "d": []float32{1}}
	g := &Graph{
		Inputs:  []ValueInfo{{Name: "x", DType: Float32}},
		Outputs: []ValueInfo{{Name: "z"}},
		Nodes: []*Node{
			{Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: attrs},
			{Op: "Neg", Inputs: []string{"y"}, Outputs: []string{"ny"}},
			{Op: "FS", Inputs: []string{"ny"}, Outputs: []string{"z"}, Attrs: attrs},
		},
	}
	p, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(map[string]*Tensor{"x": f32(dims(2, 2), 1, 2, -1, 3)}); err != nil {
		t.Fatal(err)
	}
	st := p.SpikeStats()
	// First FS: 3 of 4 inputs above 0. Second sees -1, -1, 0, -1: none.
	if len(st) != 2 || st[0].Spikes != 3 || st[1].Spikes != 0 || st[0].Elements != 4 || st[1].Elements != 4 || st[0].NeuronsPerSample != 2 {
		t.Fatalf("stats %+v", st)
	}
}
