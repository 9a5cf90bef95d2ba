package layers

import (
	"fmt"
	"math"
)

// num is the element types arithmetic kernels are instantiated for; float32
// and int64 have different GC shapes, so each gets its own direct code.
type num interface{ ~float32 | ~int64 }

// The arithmetic rows are written out per broadcast case so that the
// compiler sees plain loops over slices (bounds checks hoisted).

func rowAdd[T num](d, a []T, sa int, b []T, sb int) {
	if arithRow('+', d, a, sa, b, sb) {
		return
	}
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(d)], b[:len(d)]
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case sa == 1:
		s, a := b[0], a[:len(d)]
		for i := range d {
			d[i] = a[i] + s
		}
	case sb == 1:
		s, b := a[0], b[:len(d)]
		for i := range d {
			d[i] = s + b[i]
		}
	default:
		fillRow(d, a[0]+b[0])
	}
}

func rowSub[T num](d, a []T, sa int, b []T, sb int) {
	if arithRow('-', d, a, sa, b, sb) {
		return
	}
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(d)], b[:len(d)]
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case sa == 1:
		s, a := b[0], a[:len(d)]
		for i := range d {
			d[i] = a[i] - s
		}
	case sb == 1:
		s, b := a[0], b[:len(d)]
		for i := range d {
			d[i] = s - b[i]
		}
	default:
		fillRow(d, a[0]-b[0])
	}
}

func rowMul[T num](d, a []T, sa int, b []T, sb int) {
	if arithRow('*', d, a, sa, b, sb) {
		return
	}
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(d)], b[:len(d)]
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case sa == 1:
		s, a := b[0], a[:len(d)]
		for i := range d {
			d[i] = a[i] * s
		}
	case sb == 1:
		s, b := a[0], b[:len(d)]
		for i := range d {
			d[i] = s * b[i]
		}
	default:
		fillRow(d, a[0]*b[0])
	}
}

func rowDiv[T num](d, a []T, sa int, b []T, sb int) {
	if arithRow('/', d, a, sa, b, sb) {
		return
	}
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(d)], b[:len(d)]
		for i := range d {
			d[i] = a[i] / b[i]
		}
	case sa == 1:
		s, a := b[0], a[:len(d)]
		for i := range d {
			d[i] = a[i] / s
		}
	case sb == 1:
		s, b := a[0], b[:len(d)]
		for i := range d {
			d[i] = s / b[i]
		}
	default:
		fillRow(d, a[0]/b[0])
	}
}

func fillRow[T any](d []T, v T) {
	for i := range d {
		d[i] = v
	}
}

// intDiv divides truncating toward zero, reporting division by zero as an
// error instead of a panic.
func intDivRow(d, a []int64, sa int, b []int64, sb int) {
	for i := range d {
		y := b[i*sb]
		if y == 0 {
			panic("integer division by zero")
		}
		d[i] = a[i*sa] / y
	}
}

func powF(x, y float32) float32 {
	switch y {
	case 2:
		return x * x
	case 1:
		return x
	case 0.5:
		return sqrtPow(x)
	}
	return float32(math.Pow(float64(x), float64(y)))
}

// powRow special-cases a constant exponent (x², √x), common in unfused
// normalisation sub-graphs.
func powRow(d, a []float32, sa int, b []float32, sb int) {
	if sb == 0 && sa == 1 {
		a = a[:len(d)]
		switch b[0] {
		case 2:
			for i, x := range a {
				d[i] = x * x
			}
			return
		case 0.5:
			for i, x := range a {
				d[i] = sqrtPow(x)
			}
			return
		}
	}
	for i := range d {
		d[i] = powF(a[i*sa], b[i*sb])
	}
}

// sqrtPow is x^0.5 with Pow's special cases: (-0)^0.5 = +0, (-Inf)^0.5 = +Inf.
func sqrtPow(x float32) float32 {
	if x == 0 {
		return 0
	}
	if math.IsInf(float64(x), -1) {
		return float32(math.Inf(1))
	}
	return float32(math.Sqrt(float64(x)))
}

func powI(x, y int64) int64 {
	if y < 0 {
		return int64(math.Pow(float64(x), float64(y)))
	}
	r := int64(1)
	for ; y > 0; y-- {
		r *= x
	}
	return r
}

// binaryOp describes an elementwise operator of two operands.
type binaryOp struct {
	f binRow[float32, float32]
	i binRow[int64, int64]
	// perRow is '*' or '+' for Mul and Add, which have a one-call path
	// for a float32 operand that is one scalar per row of the other.
	perRow byte
}

var (
	opAdd = binaryOp{f: rowAdd[float32], i: rowAdd[int64], perRow: '+'}
	opSub = binaryOp{f: rowSub[float32], i: rowSub[int64]}
	opMul = binaryOp{f: rowMul[float32], i: rowMul[int64], perRow: '*'}
	opDiv = binaryOp{f: rowDiv[float32], i: intDivRow}
	opPow = binaryOp{f: powRow, i: elemRow(powI)}
	opMax = binaryOp{f: elemRow(func(a, b float32) float32 { return max(a, b) }), i: elemRow(func(a, b int64) int64 { return max(a, b) })}
	opMin = binaryOp{f: elemRow(func(a, b float32) float32 { return min(a, b) }), i: elemRow(func(a, b int64) int64 { return min(a, b) })}
)

// binary computes op(a, b) with numpy broadcasting. Mixed dtypes compute in
// float32; the result has a's dtype (Pow(int, float) stays int, as in ONNX).
func binary(ec *execContext, op binaryOp, a, b *Tensor) (*Tensor, error) {
	p, err := newBinPlan(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	return binaryPlanned(ec, op, &p, a, b), nil
}

// binaryOf is binary with the broadcast plan of node n kept in the
// Program's plan cache (it depends only on the two shapes).
func binaryOf(ec *execContext, n *Node, op binaryOp, a, b *Tensor) (*Tensor, error) {
	var keyBuf [12]int
	if len(a.Shape)+len(b.Shape)+1 > len(keyBuf) {
		return binary(ec, op, a, b)
	}
	key := append(append(append(keyBuf[:0], len(a.Shape)), a.Shape...), b.Shape...)
	if v, ok := ec.lookupPlan(n, planBinary, key); ok {
		return binaryPlanned(ec, op, v.(*binPlan), a, b), nil
	}
	p, err := newBinPlan(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	ec.storePlan(n, planBinary, key, &p)
	return binaryPlanned(ec, op, &p, a, b), nil
}

// binaryPlanned computes op(a, b) by the plan p (read only).
func binaryPlanned(ec *execContext, op binaryOp, p *binPlan, a, b *Tensor) *Tensor {
	if a.DType == Int64 && b.DType == Int64 {
		out := ec.newInt(p.out)
		binRun(ec, p, out.I, a.I, b.I, op.i)
		return out
	}
	out := ec.newFloat(p.out)
	if op.perRow != 0 && a.DType == Float32 && b.DType == Float32 && perRowScalar(ec, p, out.F, a.F, b.F, op.perRow == '+') {
		return out
	}
	binRun(ec, p, out.F, a.AsFloat32(), b.AsFloat32(), op.f)
	if a.DType == Int64 {
		return toInt64(out)
	}
	return out
}

func toInt64(t *Tensor) *Tensor {
	return &Tensor{DType: Int64, Shape: t.Shape, I: t.AsInt64()}
}

func binaryKernel(op binaryOp) kernelFunc {
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needInputs(n, in, 2); err != nil {
			return nil, err
		}
		out, err := binaryOf(ec, n, op, in[0], in[1])
		if err != nil {
			return nil, err
		}
		return []*Tensor{out}, nil
	}
}

// variadicKernel folds op over all inputs (Sum, Max, Min, Mean).
func variadicKernel(op binaryOp, mean bool) kernelFunc {
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needInputs(n, in, 1); err != nil {
			return nil, err
		}
		acc := in[0]
		if len(in) == 1 {
			acc = copyTensor(ec, acc)
		}
		for _, t := range in[1:] {
			if t == nil {
				return nil, fmt.Errorf("omitted input")
			}
			var err error
			if acc, err = binary(ec, op, acc, t); err != nil {
				return nil, err
			}
		}
		if mean {
			if acc.DType != Float32 {
				return nil, fmt.Errorf("Mean needs float32 inputs")
			}
			s := 1 / float32(len(in))
			for i := range acc.F {
				acc.F[i] *= s
			}
		}
		return []*Tensor{acc}, nil
	}
}

func copyTensor(ec *execContext, t *Tensor) *Tensor {
	c := ec.newLike(t, t.Shape)
	copy(c.F, t.F)
	copy(c.I, t.I)
	return c
}

// compareKernel computes a boolean (int64 0/1) elementwise predicate.
func compareKernel(ff func(a, b float32) bool, fi func(a, b int64) bool) kernelFunc {
	rowF := elemRow(func(a, b float32) int64 { return b2i(ff(a, b)) })
	rowI := elemRow(func(a, b int64) int64 { return b2i(fi(a, b)) })
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needInputs(n, in, 2); err != nil {
			return nil, err
		}
		a, b := in[0], in[1]
		p, err := newBinPlan(a.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		out := ec.newInt(p.out)
		if a.DType == Int64 && b.DType == Int64 {
			binRun(ec, &p, out.I, a.I, b.I, rowI)
		} else {
			binRun(ec, &p, out.I, a.AsFloat32(), b.AsFloat32(), rowF)
		}
		return []*Tensor{out}, nil
	}
}

func kWhere(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	c, x, y := in[0], in[1], in[2]
	if x.DType != y.DType {
		return nil, fmt.Errorf("X is %v but Y is %v", x.DType, y.DType)
	}
	shape, err := bcastShape(c.Shape, x.Shape, y.Shape)
	if err != nil {
		return nil, err
	}
	cond := c.AsInt64()
	if c.DType == Float32 {
		cond = make([]int64, len(c.F))
		for i, v := range c.F {
			if v != 0 {
				cond[i] = 1
			}
		}
	}
	ce := expandTensor(ec, &Tensor{DType: Int64, Shape: c.Shape, I: cond}, shape)
	xe, ye := expandTensor(ec, x, shape), expandTensor(ec, y, shape)
	out := ec.newLike(x, shape)
	if x.DType == Int64 {
		for i, v := range ce.I {
			if v != 0 {
				out.I[i] = xe.I[i]
			} else {
				out.I[i] = ye.I[i]
			}
		}
	} else {
		ec.par(len(out.F), len(out.F), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if ce.I[i] != 0 {
					out.F[i] = xe.F[i]
				} else {
					out.F[i] = ye.F[i]
				}
			}
		})
	}
	return []*Tensor{out}, nil
}

// logicKernel implements And, Or, Xor on booleans stored as int64 0/1.
func logicKernel(f func(a, b bool) bool) kernelFunc {
	return compareKernel(
		func(a, b float32) bool { return f(a != 0, b != 0) },
		func(a, b int64) bool { return f(a != 0, b != 0) })
}

func kNot(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	out := ec.newInt(x.Shape)
	if x.DType == Int64 {
		for i, v := range x.I {
			out.I[i] = b2i(v == 0)
		}
	} else {
		for i, v := range x.F {
			out.I[i] = b2i(v == 0)
		}
	}
	return []*Tensor{out}, nil
}

func b2i(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

// floatMap applies row to x's elements in parallel chunks.
func floatMap(ec *execContext, x *Tensor, row func(dst, src []float32)) *Tensor {
	out := ec.newFloat(x.Shape)
	ec.par(len(x.F), len(x.F), func(lo, hi int) { row(out.F[lo:hi], x.F[lo:hi]) })
	return out
}

// unaryKernel is a float32 elementwise operator given as a row function.
func unaryKernel(row func(dst, src []float32)) kernelFunc {
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needFloat(n, in, 0); err != nil {
			return nil, err
		}
		return []*Tensor{floatMap(ec, in[0], row)}, nil
	}
}

// mapRow lifts an element function to a row (an indirect call per element).
func mapRow(f func(float32) float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = f(v)
		}
	}
}

func via64(f func(float64) float64) func(dst, src []float32) {
	return mapRow(func(x float32) float32 { return float32(f(float64(x))) })
}

// signedKernel handles the operators defined for ints too (Neg, Abs, Sign).
func signedKernel(ff func(float32) float32, fi func(int64) int64) kernelFunc {
	row := mapRow(ff)
	return func(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
		if err := needInputs(n, in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.DType == Int64 {
			out := ec.newInt(x.Shape)
			for i, v := range x.I {
				out.I[i] = fi(v)
			}
			return []*Tensor{out}, nil
		}
		return []*Tensor{floatMap(ec, x, row)}, nil
	}
}

func signF(x float32) float32 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0 or NaN
}

func signI(x int64) int64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func absI(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// ONNX TensorProto data types that Cast may target.
const (
	onnxFloat    = 1
	onnxUint8    = 2
	onnxInt8     = 3
	onnxUint16   = 4
	onnxInt16    = 5
	onnxInt32    = 6
	onnxInt64    = 7
	onnxBool     = 9
	onnxFloat16  = 10
	onnxDouble   = 11
	onnxUint32   = 12
	onnxUint64   = 13
	onnxBfloat16 = 16
)

func kCast(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	to := n.Attrs.Int("to", 0)
	switch to {
	case onnxFloat, onnxDouble, onnxFloat16, onnxBfloat16:
		out := ec.newFloat(x.Shape)
		if x.DType == Float32 {
			copy(out.F, x.F)
		} else {
			for i, v := range x.I {
				out.F[i] = float32(v)
			}
		}
		switch to {
		case onnxFloat16:
			for i, v := range out.F {
				out.F[i] = roundFloat16(v)
			}
		case onnxBfloat16:
			for i, v := range out.F {
				out.F[i] = roundBfloat16(v)
			}
		}
		return []*Tensor{out}, nil
	case onnxBool:
		out := ec.newInt(x.Shape)
		if x.DType == Float32 {
			for i, v := range x.F {
				out.I[i] = b2i(v != 0)
			}
		} else {
			for i, v := range x.I {
				out.I[i] = b2i(v != 0)
			}
		}
		return []*Tensor{out}, nil
	case onnxUint8, onnxInt8, onnxUint16, onnxInt16, onnxInt32, onnxInt64, onnxUint32, onnxUint64:
		out := ec.newInt(x.Shape)
		if x.DType == Int64 {
			copy(out.I, x.I)
		} else {
			for i, v := range x.F {
				out.I[i] = int64(v)
			}
		}
		narrowInts(out.I, to)
		return []*Tensor{out}, nil
	}
	return nil, fmt.Errorf("cast to ONNX data type %d is not supported", to)
}

// narrowInts wraps values to the range of the narrower integer type, as a
// C cast does.
func narrowInts(v []int64, to int64) {
	var conv func(int64) int64
	switch to {
	case onnxUint8:
		conv = func(x int64) int64 { return int64(uint8(x)) }
	case onnxInt8:
		conv = func(x int64) int64 { return int64(int8(x)) }
	case onnxUint16:
		conv = func(x int64) int64 { return int64(uint16(x)) }
	case onnxInt16:
		conv = func(x int64) int64 { return int64(int16(x)) }
	case onnxInt32:
		conv = func(x int64) int64 { return int64(int32(x)) }
	case onnxUint32:
		conv = func(x int64) int64 { return int64(uint32(x)) }
	default:
		return
	}
	for i, x := range v {
		v[i] = conv(x)
	}
}

// roundFloat16 rounds x to the nearest IEEE half-precision value (ties to
// even), so that Cast to float16 loses what a real float16 would.
func roundFloat16(x float32) float32 {
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		return x
	}
	ax := math.Abs(float64(x))
	if ax >= 65520 { // rounds to infinity in half precision
		return float32(math.Copysign(math.Inf(1), float64(x)))
	}
	// Quantum: 2^(e-10) for normals, 2^-24 for subnormals.
	e := math.Floor(math.Log2(ax))
	if ax == 0 {
		return x
	}
	q := math.Ldexp(1, int(max(e, -14))-10)
	return float32(math.RoundToEven(float64(x)/q) * q)
}

// roundBfloat16 rounds x to bfloat16 (the top 16 bits, ties to even).
func roundBfloat16(x float32) float32 {
	if math.IsNaN(float64(x)) {
		return x
	}
	b := math.Float32bits(x)
	b += 0x7fff + (b>>16)&1
	return math.Float32frombits(b &^ 0xffff)
}

func kClip(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	lo := float64(n.Attrs.Float("min", float32(math.Inf(-1))))
	hi := float64(n.Attrs.Float("max", float32(math.Inf(1))))
	bound := func(k int, def float64) (float64, error) {
		if k >= len(in) || in[k] == nil {
			return def, nil
		}
		if in[k].Len() != 1 {
			return 0, fmt.Errorf("input %d must be a scalar, has shape %v", k, in[k].Shape)
		}
		if in[k].DType == Int64 {
			return float64(in[k].I[0]), nil
		}
		return float64(in[k].F[0]), nil
	}
	var err error
	if lo, err = bound(1, lo); err != nil {
		return nil, err
	}
	if hi, err = bound(2, hi); err != nil {
		return nil, err
	}
	if x.DType == Int64 {
		out := ec.newInt(x.Shape)
		ilo, ihi := int64(math.MinInt64), int64(math.MaxInt64)
		if !math.IsInf(lo, -1) {
			ilo = int64(lo)
		}
		if !math.IsInf(hi, 1) {
			ihi = int64(hi)
		}
		for i, v := range x.I {
			out.I[i] = min(max(v, ilo), ihi)
		}
		return []*Tensor{out}, nil
	}
	flo, fhi := float32(lo), float32(hi)
	return []*Tensor{floatMap(ec, x, func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			if v < flo {
				v = flo
			}
			if v > fhi {
				v = fhi
			}
			dst[i] = v
		}
	})}, nil
}

func kMod(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	fmod := n.Attrs.Int("fmod", 0) != 0
	op := binaryOp{
		f: elemRow(func(a, b float32) float32 {
			r := float32(math.Mod(float64(a), float64(b)))
			if !fmod && r != 0 && (r < 0) != (b < 0) {
				r += b
			}
			return r
		}),
		i: elemRow(func(a, b int64) int64 {
			if b == 0 {
				panic("integer modulo by zero")
			}
			r := a % b
			if !fmod && r != 0 && (r < 0) != (b < 0) {
				r += b
			}
			return r
		}),
	}
	return binaryKernel(op)(ec, n, in)
}

// perRowScalar computes a plan of two collapsed dimensions [rows, L] in
// which one operand has a single value per row (x·gate in squeeze-
// excitation, a per-channel term) with one vector call per range of rows.
// Mul and Add are commutative, so either operand may be the scalar one;
// each element is one rounding either way. It returns false when the plan
// has another form or the vector code is missing.
func perRowScalar(ec *execContext, p *binPlan, dst, a, b []float32, add bool) bool {
	if len(p.dims) != 2 {
		return false
	}
	rows, l := p.dims[0], p.dims[1]
	switch {
	case p.sa[0] == l && p.sa[1] == 1 && p.sb[0] == 1 && p.sb[1] == 0:
	case p.sb[0] == l && p.sb[1] == 1 && p.sa[0] == 1 && p.sa[1] == 0:
		a, b = b, a
	default:
		return false
	}
	if !hasAVX512 {
		return false
	}
	ec.par(rows, rows*l, func(lo, hi int) {
		rowsScalar(dst[lo*l:hi*l], l, a[lo*l:hi*l], l, b[lo:hi], l, add)
	})
	return true
}
