package fsfit

import "fmt"

// Released parameters of Stöckl & Maass 2021 (file fs_weights.py of their
// public code), as recorded in reference/fs-parameters.json. With the
// neuron of this package (spike test before the reset) the Swish set gives
// MSE 3.446e-3 on 100000 points of [-8, 12].
var (
	stocklSwish = Params{
		H: []float64{0.7844085, 1.7550646, 1.4212719, 1.9244663, 1.4400164, 1.9249276, 1.6100428, 1.29061, 0.83985287, 3.0827985, 0.43503317, 0.5155389, 0.3269445, 7.618048, -14.419675, 0},
		T: []float64{0.05946945, 1.6541206, 1.3066754, 1.3267198, 1.1000695, 1.2308974, 1.1188028, 0.9472501, 0.5447531, 1.0236325, 0.11921431, -0.12855051, -0.44731247, -2.1383545, 1.0, -4.109145},
		D: []float64{0.40088242, 1.8856316, 1.4915457, 1.947229, 1.4717816, 1.9147849, 1.6389303, 1.2934641, 0.8703124, 0.68460804, 0.44262582, 0.32832766, 0.13907616, -0.26217145, 0.23736191, -0.14830568},
	}
	stocklSigmoid = Params{
		H: []float64{1.6558512, 1.0989026, 10.7739, 1.3579437, 1.0146959, 0.8972655, 2.1207616, 1.6949341, 3.6397197, -2.1483946, 5.1177883, 0},
		T: []float64{-0.00824843, -0.9319625, 1.0080122, -1.2074932, -1.7885877, -2.7065408, -3.2715735, 0.07132628, -3.719372, -0.543918, -3.7693157, -5.5447803},
		D: []float64{0.37689912, 0.21977554, 0.40271342, 0.17005783, 0.09584032, 0.06293014, 0.04360681, -0.0443096, 0.01999909, 0.07107325, 0.01502249, 0.01021793},
	}
)

// stocklReLURange is the input range [0, 25) of Stöckl & Maass's ReLU
// rule h[t] = d[t] = T[t] = 25·2^-(t+1) (a binary expansion; released for
// K=10, the rule extends to any K).
const stocklReLURange = 25.0

// Stockl returns Stöckl & Maass's released parameters: Swish (silu) at
// K=16, sigmoid at K=12, and their ReLU rule at any K.
func Stockl(act Activation, k int) (Params, error) {
	switch {
	case act.Name == "silu" && k == 16:
		return stocklSwish.Clone(), nil
	case act.Name == "sigmoid" && k == 12:
		return stocklSigmoid.Clone(), nil
	case act.Name == "relu" && k >= 1 && k <= MaxSteps:
		p := Params{H: make([]float64, k), T: make([]float64, k), D: make([]float64, k)}
		v := stocklReLURange
		for t := 0; t < k; t++ {
			v /= 2
			p.H[t], p.T[t], p.D[t] = v, v, v
		}
		return p, nil
	}
	return Params{}, fmt.Errorf("init stockl: no released parameters for %s at K=%d (released: silu K=16, sigmoid K=12, relu any K)", act.Name, k)
}
