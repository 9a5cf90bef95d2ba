package fsfit

import (
	"math"
	"strings"
	"testing"
)

// Reference values computed independently (Python math module) from the
// closed forms.
func TestCatalogueClosedForms(t *testing.T) {
	cases := []struct {
		name string
		x, y float64
	}{
		{"relu", -1, 0}, {"relu", 2.5, 2.5},
		{"leaky_relu", -2, -0.02}, {"leaky_relu", 3, 3},
		{"elu", -1, -0.6321205588285577}, {"elu", 2, 2},
		{"selu", -1, -1.1113307378125625}, {"selu", 1, 1.0507009873554805},
		{"sigmoid", 0, 0.5}, {"sigmoid", 2, 0.8807970779778823}, {"sigmoid", -800, 0}, {"sigmoid", 800, 1},
		{"hard_sigmoid", 1, 0.7}, {"hard_sigmoid", -3, 0}, {"hard_sigmoid", 3, 1},
		{"tanh", 1, 0.7615941559557649},
		{"silu", 1, 0.7310585786300049}, {"silu", -2, -0.2384058440442351}, {"silu", -800, 0},
		{"hard_swish", 1, 2.0 / 3}, {"hard_swish", -4, 0}, {"hard_swish", 4, 4}, {"hard_swish", -1.5, -0.375},
		{"gelu", 1, 0.8413447460685429}, {"gelu", -1, -0.15865525393145707},
		{"gelu_tanh", 1, 0.8411919906082768},
		{"softplus", 0, math.Ln2}, {"softplus", 1, 1.3132616875182228}, {"softplus", 800, 800}, {"softplus", -800, 0},
		{"mish", 1, 0.8650983882673103}, {"mish", 0, 0},
		{"softsign", 1, 0.5}, {"softsign", -3, -0.75},
	}
	for _, c := range cases {
		a, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		got := a.F(c.x)
		if math.Abs(got-c.y) > 1e-12*math.Max(1, math.Abs(c.y)) || math.IsNaN(got) {
			t.Errorf("%s(%v) = %.17g, want %.17g", c.name, c.x, got, c.y)
		}
	}
}

func TestCatalogueRangesAndNames(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Catalogue() {
		if seen[a.Name] {
			t.Errorf("duplicate %s", a.Name)
		}
		seen[a.Name] = true
		if !(a.Lo < a.Hi) || a.F == nil {
			t.Errorf("%s: bad range [%v, %v] or nil F", a.Name, a.Lo, a.Hi)
		}
	}
	if len(seen) != 14 {
		t.Errorf("catalogue has %d activations, want 14", len(seen))
	}
	for alias, want := range map[string]string{"swish": "silu", "SiLU": "silu", "HardSwish": "hard_swish",
		"hard-sigmoid": "hard_sigmoid", "LeakyRelu": "leaky_relu", "GELUTanh": "gelu_tanh", "Mish": "mish"} {
		a, err := Lookup(alias)
		if err != nil || a.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", alias, a.Name, err, want)
		}
	}
	_, err := Lookup("sine")
	if err == nil || !strings.Contains(err.Error(), "softsign") || !strings.Contains(err.Error(), `"sine"`) {
		t.Errorf("Lookup(sine) error %v should name the input and list valid names", err)
	}
}

func TestWithParams(t *testing.T) {
	hs, _ := Lookup("hard_sigmoid")
	torch := hs.WithParams(1.0/6, 0.5) // PyTorch's Hardsigmoid
	if got := torch.F(1); math.Abs(got-(1.0/6+0.5)) > 1e-15 {
		t.Errorf("torch hard_sigmoid(1) = %v", got)
	}
	if got := torch.F(3); got != 1 {
		t.Errorf("torch hard_sigmoid(3) = %v, want 1", got)
	}
	if torch.hasDefaultParams() || !hs.hasDefaultParams() {
		t.Error("hasDefaultParams wrong")
	}
	lr, _ := Lookup("leaky_relu")
	if got := lr.WithParams(0.2, 0).F(-1); got != -0.2 {
		t.Errorf("leaky_relu alpha 0.2 at -1 = %v", got)
	}
	elu, _ := Lookup("elu")
	if got := elu.WithParams(2, 0).F(-1); math.Abs(got-2*(math.Exp(-1)-1)) > 1e-15 {
		t.Errorf("elu alpha 2 at -1 = %v", got)
	}
	relu, _ := Lookup("relu")
	if relu.WithParams(5, 5).F(-1) != 0 {
		t.Error("relu must ignore params")
	}
}
