package fsfit

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Activation is an elementwise function with the input range its FS
// neuron is fitted on by default. Alpha and Beta are the parameters of
// leaky_relu (slope), elu (alpha) and hard_sigmoid (alpha, beta); they are
// zero for the other functions.
type Activation struct {
	Name   string
	F      func(x float64) float64
	Lo, Hi float64
	Alpha  float64
	Beta   float64
}

// selu constants from Klambauer et al. 2017 (the values ONNX and PyTorch use).
const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

func sigmoid(x float64) float64 {
	// Two branches so that exp never overflows.
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus(x float64) float64 {
	// log(1+e^x) without overflow for large x or loss for very negative x.
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

func leakyRelu(alpha float64) func(float64) float64 {
	return func(x float64) float64 {
		if x >= 0 {
			return x
		}
		return alpha * x
	}
}

func elu(alpha float64) func(float64) float64 {
	return func(x float64) float64 {
		if x > 0 {
			return x
		}
		return alpha * math.Expm1(x)
	}
}

func hardSigmoid(alpha, beta float64) func(float64) float64 {
	return func(x float64) float64 {
		return math.Max(0, math.Min(1, alpha*x+beta))
	}
}

// sqrt2OverPi is sqrt(2/pi), the constant of the tanh form of GELU.
var sqrt2OverPi = math.Sqrt(2 / math.Pi)

// Catalogue returns every supported activation with its default
// parameters and range, in a fixed order.
func Catalogue() []Activation {
	return []Activation{
		{Name: "relu", F: func(x float64) float64 { return math.Max(0, x) }, Lo: -8, Hi: 12},
		{Name: "leaky_relu", F: leakyRelu(0.01), Lo: -8, Hi: 12, Alpha: 0.01},
		{Name: "elu", F: elu(1), Lo: -8, Hi: 12, Alpha: 1},
		{Name: "selu", F: func(x float64) float64 {
			if x > 0 {
				return seluScale * x
			}
			return seluScale * seluAlpha * math.Expm1(x)
		}, Lo: -8, Hi: 12},
		{Name: "sigmoid", F: sigmoid, Lo: -10, Hi: 10},
		// ONNX HardSigmoid defaults; PyTorch's Hardsigmoid is alpha=1/6, beta=0.5.
		{Name: "hard_sigmoid", F: hardSigmoid(0.2, 0.5), Lo: -10, Hi: 10, Alpha: 0.2, Beta: 0.5},
		{Name: "tanh", F: math.Tanh, Lo: -10, Hi: 10},
		{Name: "silu", F: func(x float64) float64 { return x * sigmoid(x) }, Lo: -8, Hi: 12},
		{Name: "hard_swish", F: func(x float64) float64 { return x * math.Max(0, math.Min(6, x+3)) / 6 }, Lo: -8, Hi: 12},
		{Name: "gelu", F: func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }, Lo: -8, Hi: 12},
		{Name: "gelu_tanh", F: func(x float64) float64 {
			return 0.5 * x * (1 + math.Tanh(sqrt2OverPi*(x+0.044715*x*x*x)))
		}, Lo: -8, Hi: 12},
		{Name: "softplus", F: softplus, Lo: -8, Hi: 12},
		{Name: "mish", F: func(x float64) float64 { return x * math.Tanh(softplus(x)) }, Lo: -8, Hi: 12},
		{Name: "softsign", F: func(x float64) float64 { return x / (1 + math.Abs(x)) }, Lo: -10, Hi: 10},
	}
}

// aliases maps the spellings users and frameworks type to catalogue
// names. Lookup lower-cases and turns '-' into '_' before consulting it.
var aliases = map[string]string{
	"swish":            "silu",
	"leakyrelu":        "leaky_relu",
	"lrelu":            "leaky_relu",
	"hardsigmoid":      "hard_sigmoid",
	"hardswish":        "hard_swish",
	"logistic":         "sigmoid",
	"gelu_erf":         "gelu",
	"gelutanh":         "gelu_tanh",
	"gelu_approx":      "gelu_tanh",
	"gelu_approximate": "gelu_tanh",
}

// Lookup returns the catalogue activation called name, accepting aliases
// (swish = silu, hardswish = hard_swish, ONNX operator names, any case).
func Lookup(name string) (Activation, error) {
	key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
	if a, ok := aliases[key]; ok {
		key = a
	}
	for _, a := range Catalogue() {
		if a.Name == key {
			return a, nil
		}
	}
	return Activation{}, fmt.Errorf("unknown activation %q (valid: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the catalogue names followed by the accepted aliases.
func Names() []string {
	var names []string
	for _, a := range Catalogue() {
		names = append(names, a.Name)
	}
	var al []string
	for k := range aliases {
		al = append(al, k)
	}
	sort.Strings(al)
	return append(names, al...)
}

// WithParams returns a with its parameters replaced: the slope of
// leaky_relu (alpha), the alpha of elu, alpha and beta of hard_sigmoid
// (PyTorch's Hardsigmoid is alpha=1/6, beta=0.5). Activations without
// parameters are returned unchanged.
func (a Activation) WithParams(alpha, beta float64) Activation {
	switch a.Name {
	case "leaky_relu":
		a.Alpha, a.F = alpha, leakyRelu(alpha)
	case "elu":
		a.Alpha, a.F = alpha, elu(alpha)
	case "hard_sigmoid":
		a.Alpha, a.Beta, a.F = alpha, beta, hardSigmoid(alpha, beta)
	}
	return a
}

// hasDefaultParams reports whether a's parameters are the catalogue
// defaults, so that library entries fitted for those defaults apply.
func (a Activation) hasDefaultParams() bool {
	for _, c := range Catalogue() {
		if c.Name == a.Name {
			return c.Alpha == a.Alpha && c.Beta == a.Beta
		}
	}
	return false
}
