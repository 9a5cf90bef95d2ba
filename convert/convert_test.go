package convert

import (
	"math"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

// testGraph is x -> Gemm(W1) -> SiLU -> Gemm(W2) -> Sigmoid gate * h -> out,
// a small network with two sites, one of them a gate.
func testGraph() *layers.Graph {
	w1 := layers.New(4, 3)
	for i := range w1.F {
		w1.F[i] = float32(i%5) - 2
	}
	w2 := layers.New(3, 3)
	for i := range w2.F {
		w2.F[i] = float32(i%3) - 1
	}
	return &layers.Graph{
		Inputs:       []layers.ValueInfo{{Name: "x", Shape: []int{-1, 4}}},
		Outputs:      []layers.ValueInfo{{Name: "y", Shape: []int{-1, 3}}},
		Initializers: map[string]*layers.Tensor{"w1": w1, "w2": w2},
		Nodes: []*layers.Node{
			{Name: "fc1", Op: "Gemm", Inputs: []string{"x", "w1"}, Outputs: []string{"a"}, Attrs: layers.Attrs{}},
			{Name: "act1", Op: "SiLU", Inputs: []string{"a"}, Outputs: []string{"h"}, Attrs: layers.Attrs{}},
			{Name: "fc2", Op: "Gemm", Inputs: []string{"h", "w2"}, Outputs: []string{"b"}, Attrs: layers.Attrs{}},
			{Name: "gate", Op: "Sigmoid", Inputs: []string{"b"}, Outputs: []string{"g"}, Attrs: layers.Attrs{}},
			{Name: "mul", Op: "Mul", Inputs: []string{"g", "h"}, Outputs: []string{"y"}, Attrs: layers.Attrs{}},
		},
	}
}

func TestFindSites(t *testing.T) {
	g := testGraph()
	sites, err := FindSites(g, SiteOptions{Steps: 16, PerSite: map[string]int{"gate": 8}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 2 {
		t.Fatalf("got %d sites, want 2", len(sites))
	}
	if s := sites[0]; s.Node != "act1" || s.Activation.Name != "silu" || s.K != 16 || s.Input != "a" || s.Output != "h" || s.Gate {
		t.Errorf("site 0 = %+v", s)
	}
	if s := sites[1]; s.Node != "gate" || s.Activation.Name != "sigmoid" || s.K != 8 || !s.Gate {
		t.Errorf("site 1 = %+v", s)
	}
	sites, err = FindSites(g, SiteOptions{Steps: 4, Exclude: []string{"act1"}})
	if err != nil || len(sites) != 1 || sites[0].Node != "gate" {
		t.Errorf("exclude act1: sites %+v, err %v", sites, err)
	}
	for _, bad := range []SiteOptions{
		{Steps: 16, Exclude: []string{"nosuch"}},
		{Steps: 16, Exclude: []string{"fc1"}},
		{Steps: 0},
		{Steps: MaxSteps + 1},
		{Steps: 16, PerSite: map[string]int{"gate": 0}},
		{Steps: 16, PerSite: map[string]int{"nosuch": 4}},
	} {
		if _, err := FindSites(g, bad); err == nil {
			t.Errorf("FindSites(%+v) succeeded, want an error", bad)
		}
	}
}

func TestParseSteps(t *testing.T) {
	ks, err := ParseSteps("4, 8,12,16,24")
	if err != nil || len(ks) != 5 || ks[0] != 4 || ks[4] != 24 {
		t.Errorf("ParseSteps = %v, %v", ks, err)
	}
	for _, bad := range []string{"", "0", "x", "4,", "65", "1.5", "-3"} {
		if _, err := ParseSteps(bad); err == nil {
			t.Errorf("ParseSteps(%q) succeeded", bad)
		}
	}
	m, err := ParsePerSite("a=4,b=12")
	if err != nil || m["a"] != 4 || m["b"] != 12 {
		t.Errorf("ParsePerSite = %v, %v", m, err)
	}
	if _, err := ParsePerSite("a"); err == nil {
		t.Error("ParsePerSite(a) succeeded")
	}
}

func TestAccumulatorStats(t *testing.T) {
	// 100000 values 0..99999 in batches: exact moments, and a strided
	// sample that still spans the range.
	a := newAccumulator(100000)
	buf := make([]float32, 1000)
	for b := 0; b < 100; b++ {
		for i := range buf {
			buf[i] = float32(b*1000 + i)
		}
		a.add(buf)
	}
	s := a.stats()
	if s.Count != 100000 || s.Min != 0 || s.Max != 99999 {
		t.Fatalf("count/min/max = %d %g %g", s.Count, s.Min, s.Max)
	}
	if math.Abs(s.Mean-49999.5) > 1e-6 {
		t.Errorf("mean = %g, want 49999.5", s.Mean)
	}
	wantStd := math.Sqrt((100000.0*100000.0 - 1) / 12)
	if math.Abs(s.Std-wantStd)/wantStd > 1e-9 {
		t.Errorf("std = %g, want %g", s.Std, wantStd)
	}
	if len(s.Sample) < maxSample/2 || len(s.Sample) > maxSample {
		t.Errorf("sample of %d values", len(s.Sample))
	}
	if math.Abs(s.P001-100) > 200 || math.Abs(s.P999-99900) > 200 {
		t.Errorf("percentiles %g %g, want about 100 and 99900", s.P001, s.P999)
	}
	total := 0.0
	for _, c := range s.Histogram.Counts {
		total += c
		// uniform data: each bin holds about 1/HistogramBins of the sample
		if want := float64(len(s.Sample)) / HistogramBins; math.Abs(c-want) > 0.05*want+2 {
			t.Errorf("bin count %g, want about %g", c, want)
			break
		}
	}
	if int(total) != len(s.Sample) {
		t.Errorf("histogram holds %g values, sample %d", total, len(s.Sample))
	}
}

func reluBinary(k int, top float32) layers.FSParams {
	p := layers.FSParams{H: make([]float32, k), T: make([]float32, k), D: make([]float32, k)}
	for i := 0; i < k; i++ {
		v := top * float32(math.Exp2(-float64(i+1)))
		p.H[i], p.T[i], p.D[i] = v, v, v
	}
	return p
}

func TestBuildSNN(t *testing.T) {
	g := testGraph()
	sites, _ := FindSites(g, SiteOptions{Steps: 4})
	params := map[string]layers.FSParams{"act1": reluBinary(4, 8), "gate": reluBinary(4, 1)}
	snn, err := BuildSNN(g, sites, params)
	if err != nil {
		t.Fatal(err)
	}
	if g.Nodes[1].Op != "SiLU" {
		t.Fatal("BuildSNN modified the ANN graph")
	}
	fs := snn.Nodes[1]
	if fs.Op != "FS" || fs.Name != "act1" || fs.Inputs[0] != "a" || fs.Outputs[0] != "h" ||
		fs.Attrs.String("activation", "") != "silu" || len(fs.Attrs.Floats("h", nil)) != 4 {
		t.Errorf("FS node = %+v", fs)
	}
	if err := snn.Validate(); err != nil {
		t.Error(err)
	}
	analog := AnalogOps(snn)
	if len(analog) != 1 || analog[0].Node != "mul" {
		t.Errorf("analog ops = %+v, want the gate product", analog)
	}
	delete(params, "gate")
	if _, err := BuildSNN(g, sites, params); err == nil || !strings.Contains(err.Error(), "gate") {
		t.Errorf("missing parameters: err %v", err)
	}
	params["gate"] = reluBinary(3, 1)
	if _, err := BuildSNN(g, sites, params); err == nil {
		t.Error("wrong K accepted")
	}
}

// evalElementwise interprets the standard operators Unroll emits on one
// scalar input, as an ONNX runtime does element by element in float32.
func evalElementwise(t *testing.T, g *layers.Graph, x float32) map[string]float32 {
	t.Helper()
	v := map[string]float32{g.Inputs[0].Name: x}
	for name, init := range g.Initializers {
		if init.Len() == 1 {
			v[name] = init.F[0]
		}
	}
	for _, n := range g.Nodes {
		a := v[n.Inputs[0]]
		var b float32
		if len(n.Inputs) > 1 {
			b = v[n.Inputs[1]]
		}
		var r float32
		switch n.Op {
		case "Greater":
			if a > b {
				r = 1
			}
		case "Cast", "Identity":
			if n.Op == "Cast" && n.Attrs.Int("to", 0) != onnxFloat {
				t.Fatalf("Cast to %d", n.Attrs.Int("to", 0))
			}
			r = a
		case "Mul":
			r = a * b
		case "Sub":
			r = a - b
		case "Add":
			r = a + b
		default:
			t.Fatalf("unexpected operator %s in unrolled graph", n.Op)
		}
		v[n.Outputs[0]] = r
	}
	return v
}

func TestUnrollMatchesFSForward(t *testing.T) {
	cases := map[string]layers.FSParams{
		"relu-binary": reluBinary(10, 25),
		"mixed": {
			H: []float32{0.78, 1.75, 0, 1.92, -0.4, 0},
			T: []float32{0.06, 1.65, 1.3, 1.33, -2.1, -4.1},
			D: []float32{0.40, 1.88, 1.49, 0, 0.23, -0.15},
		},
		"last-d-zero": {H: []float32{1, 0.5}, T: []float32{1, 0.5}, D: []float32{1, 0}},
		"all-d-zero":  {H: []float32{1, 0.5}, T: []float32{1, 0.5}, D: []float32{0, 0}},
	}
	for name, p := range cases {
		g := &layers.Graph{
			Inputs:       []layers.ValueInfo{{Name: "x", Shape: []int{1}}},
			Outputs:      []layers.ValueInfo{{Name: "y", Shape: []int{1}}},
			Initializers: map[string]*layers.Tensor{},
			Nodes: []*layers.Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
				Attrs: layers.Attrs{"h": p.H, "T": p.T, "d": p.D, "activation": "relu"}}},
		}
		u, err := Unroll(g)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := u.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(g.Initializers) != 0 || g.Nodes[0].Op != "FS" {
			t.Fatalf("%s: Unroll modified its input", name)
		}
		for i := 0; i <= 4000; i++ {
			x := float32(-10 + 0.0075*float64(i))
			want, _ := layers.FSForward(p, x)
			got := evalElementwise(t, u, x)["y"]
			if math.Float32bits(got) != math.Float32bits(want) && !(got == 0 && want == 0) {
				t.Fatalf("%s: x=%g: unrolled %g, FS %g", name, x, got, want)
			}
		}
	}
}

func TestUnrollRejectsBadFS(t *testing.T) {
	g := &layers.Graph{
		Inputs:  []layers.ValueInfo{{Name: "x"}},
		Outputs: []layers.ValueInfo{{Name: "y"}},
		Nodes: []*layers.Node{{Name: "fs", Op: "FS", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: layers.Attrs{"h": []float32{1}, "T": []float32{1, 2}, "d": []float32{1}}}},
	}
	if _, err := Unroll(g); err == nil || !strings.Contains(err.Error(), `"fs"`) {
		t.Errorf("err = %v, want one naming the node", err)
	}
}

func TestCompareOutputs(t *testing.T) {
	ann := []float32{0, 1, 2, 3}
	snn := []float32{0, 1, 2, 4}
	f := CompareOutputs(ann, snn)
	if f.MSE != 0.25 || f.MaxAbsError != 1 {
		t.Errorf("mse %g max %g", f.MSE, f.MaxAbsError)
	}
	if want := 10 * math.Log10(9/0.25); math.Abs(f.PSNR-want) > 1e-12 {
		t.Errorf("psnr %g want %g", f.PSNR, want)
	}
	if want := 17 / math.Sqrt(14*21); math.Abs(f.Cosine-want) > 1e-12 {
		t.Errorf("cosine %g want %g", f.Cosine, want)
	}
	if f := CompareOutputs(ann, ann); !math.IsInf(f.PSNR, 1) || f.Cosine != 1 {
		t.Errorf("identical outputs: %+v", f)
	}
	top := Argmax(layers.FromFloat32([]float32{0, 3, 1, 5, 2, 2}, 2, 3))
	if top[0] != 1 || top[1] != 0 {
		t.Errorf("argmax = %v", top)
	}
}
