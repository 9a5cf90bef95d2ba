package layers

import (
	"fmt"
	"math"
)

// engineKernels returns the kernels of every operator the engine runs
// besides the dense and spatial ones (see nnKernels).
func engineKernels() map[string]kernelFunc {
	return map[string]kernelFunc{
		// Arithmetic and comparison, numpy broadcasting.
		"Add":            binaryKernel(opAdd),
		"Sub":            binaryKernel(opSub),
		"Mul":            binaryKernel(opMul),
		"Div":            binaryKernel(opDiv),
		"Pow":            binaryKernel(opPow),
		"Mod":            kMod,
		"Min":            variadicKernel(opMin, false),
		"Max":            variadicKernel(opMax, false),
		"Sum":            variadicKernel(opAdd, false),
		"Mean":           variadicKernel(opAdd, true),
		"Equal":          compareKernel(func(a, b float32) bool { return a == b }, func(a, b int64) bool { return a == b }),
		"Less":           compareKernel(func(a, b float32) bool { return a < b }, func(a, b int64) bool { return a < b }),
		"Greater":        compareKernel(func(a, b float32) bool { return a > b }, func(a, b int64) bool { return a > b }),
		"LessOrEqual":    compareKernel(func(a, b float32) bool { return a <= b }, func(a, b int64) bool { return a <= b }),
		"GreaterOrEqual": compareKernel(func(a, b float32) bool { return a >= b }, func(a, b int64) bool { return a >= b }),
		"And":            logicKernel(func(a, b bool) bool { return a && b }),
		"Or":             logicKernel(func(a, b bool) bool { return a || b }),
		"Xor":            logicKernel(func(a, b bool) bool { return a != b }),
		"Not":            kNot,
		"Where":          kWhere,
		"Cast":           kCast,
		"Clip":           kClip,

		// Unary math.
		"Neg":        signedKernel(func(x float32) float32 { return -x }, func(x int64) int64 { return -x }),
		"Abs":        signedKernel(func(x float32) float32 { return float32(math.Abs(float64(x))) }, absI),
		"Sign":       signedKernel(signF, signI),
		"Sqrt":       unaryKernel(via64(math.Sqrt)),
		"Exp":        unaryKernel(via64(math.Exp)),
		"Log":        unaryKernel(via64(math.Log)),
		"Erf":        unaryKernel(via64(math.Erf)),
		"Reciprocal": unaryKernel(mapRow(func(x float32) float32 { return 1 / x })),
		"Floor":      unaryKernel(via64(math.Floor)),
		"Ceil":       unaryKernel(via64(math.Ceil)),
		"Round":      unaryKernel(via64(math.RoundToEven)),
		"Sin":        unaryKernel(via64(math.Sin)),
		"Cos":        unaryKernel(via64(math.Cos)),
		"Tan":        unaryKernel(via64(math.Tan)),
		"Atan":       unaryKernel(via64(math.Atan)),

		// Activations.
		"Relu":      unaryKernel(reluRow),
		"Sigmoid":   unaryKernel(sigmoidRow),
		"Tanh":      unaryKernel(tanhRow),
		"SiLU":      unaryKernel(siluRow),
		"GELU":      unaryKernel(geluRow),
		"GELUTanh":  unaryKernel(geluTanhRow),
		"Gelu":      kGelu,
		"HardSwish": unaryKernel(hardSwishRow),
		"Softplus":  unaryKernel(softplusRow),
		"Softsign":  unaryKernel(softsignRow),
		"Mish":      unaryKernel(mishRow),
		"LeakyRelu": attrKernel(func(a Attrs) func(dst, src []float32) { return leakyReluRow(a.Float("alpha", 0.01)) }),
		"Elu":       attrKernel(func(a Attrs) func(dst, src []float32) { return eluRow(float64(a.Float("alpha", 1))) }),
		"Celu":      attrKernel(func(a Attrs) func(dst, src []float32) { return celuRow(float64(a.Float("alpha", 1))) }),
		"Selu": attrKernel(func(a Attrs) func(dst, src []float32) {
			return seluRow(float64(a.Float("alpha", 1.67326319217681884765625)), float64(a.Float("gamma", 1.05070102214813232421875)))
		}),
		"HardSigmoid": attrKernel(func(a Attrs) func(dst, src []float32) {
			return hardSigmoidRow(a.Float("alpha", 0.2), a.Float("beta", 0.5))
		}),
		"ThresholdedRelu": attrKernel(func(a Attrs) func(dst, src []float32) { return thresholdedReluRow(a.Float("alpha", 1)) }),
		"PRelu":           kPRelu,
		"FS":              kFS,

		// Shape and data movement.
		"Shape":           kShape,
		"Size":            kSize,
		"Gather":          kGather,
		"Unsqueeze":       kUnsqueeze,
		"Squeeze":         kSqueeze,
		"Concat":          kConcat,
		"Split":           kSplit,
		"Slice":           kSlice,
		"Reshape":         kReshape,
		"Flatten":         kFlatten,
		"Transpose":       kTranspose,
		"Expand":          kExpand,
		"Tile":            kTile,
		"ConstantOfShape": kConstantOfShape,
		"Range":           kRange,
		"Identity":        kIdentity,
		"Dropout":         kDropout,
		"Constant":        kConstant,
		"NonZero":         kNonZero,

		// Reductions.
		"ReduceMean":      reduceKernel(redMean),
		"ReduceSum":       reduceKernel(redSum),
		"ReduceMax":       reduceKernel(redMax),
		"ReduceMin":       reduceKernel(redMin),
		"ReduceProd":      reduceKernel(redProd),
		"ReduceL1":        reduceKernel(redL1),
		"ReduceL2":        reduceKernel(redL2),
		"ReduceSumSquare": reduceKernel(redSumSquare),
		"ReduceLogSum":    reduceKernel(redLogSum),
		"ReduceLogSumExp": reduceKernel(redLogSumExp),
		"ArgMax":          argKernel(true),
		"ArgMin":          argKernel(false),
		"Softmax":         softmaxKernel(smSoftmax),
		"LogSoftmax":      softmaxKernel(smLogSoftmax),
		"Hardmax":         softmaxKernel(smHardmax),

		// Normalisation.
		"BatchNormalization":    kBatchNorm,
		"LayerNormalization":    kLayerNorm,
		"InstanceNormalization": kInstanceNorm,
		"GroupNormalization":    kGroupNorm,
		"LRN":                   kLRN,
	}
}

// needInputs checks that the first k inputs are present.
func needInputs(n *Node, in []*Tensor, k int) error {
	if len(in) < k {
		return fmt.Errorf("needs %d inputs, has %d", k, len(in))
	}
	for i := 0; i < k; i++ {
		if in[i] == nil {
			return fmt.Errorf("input %d is missing", i)
		}
	}
	return nil
}

// needFloat checks that inputs 0..k are present and input k is float32.
func needFloat(n *Node, in []*Tensor, k int) error {
	if err := needInputs(n, in, k+1); err != nil {
		return err
	}
	if in[k].DType != Float32 {
		return fmt.Errorf("input %d is %v, want float32", k, in[k].DType)
	}
	return nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	a := axis
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return int(a), nil
}

// intsInput returns the values of an optional int64 input k, or nil and
// false when it is omitted.
func intsInput(in []*Tensor, k int) ([]int64, bool) {
	if k >= len(in) || in[k] == nil {
		return nil, false
	}
	return in[k].AsInt64(), true
}

// axesOf returns the "axes" of a node: input k when present (opset 13+
// forms with a non-constant input), else the attribute.
func axesOf(n *Node, in []*Tensor, k int) ([]int64, bool) {
	if v, ok := intsInput(in, k); ok {
		return v, true
	}
	if v, ok := n.Attrs["axes"].([]int64); ok {
		return v, true
	}
	return nil, false
}
