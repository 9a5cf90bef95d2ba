package layers

// Gemm and MatMul on top of sgemm.

// gemmKernel computes ONNX Gemm: Y = alpha·op(A)·op(B) + beta·C, with A and
// B 2-D and C (optional) unidirectionally broadcastable to Y.
func gemmKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	a, err := floatInput(n, in, 0, "A")
	if err != nil {
		return nil, err
	}
	b, err := floatInput(n, in, 1, "B")
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, nodeErr(n, "A %v and B %v must be 2-D", a.Shape, b.Shape)
	}
	transA, transB := n.Attrs.Int("transA", 0) != 0, n.Attrs.Int("transB", 0) != 0
	alpha, beta := n.Attrs.Float("alpha", 1), n.Attrs.Float("beta", 1)
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	kb, nn := b.Shape[0], b.Shape[1]
	if transB {
		kb, nn = nn, kb
	}
	if k != kb {
		return nil, nodeErr(n, "inner dimensions differ: A %v (transA %v), B %v (transB %v)", a.Shape, transA, b.Shape, transB)
	}
	y, err := newOutput(ec, n, []int{m, nn}, false)
	if err != nil {
		return nil, err
	}
	c := optionalInput(in, 2)
	accBeta := float32(0)
	if c != nil && beta != 0 {
		cf := c.AsFloat32()
		cs := c.Shape
		var csBuf [2]int
		if len(cs) < 2 {
			// Left-pad with ones to rank 2 (on the stack).
			csBuf = [2]int{1, 1}
			copy(csBuf[2-len(cs):], cs)
			cs = csBuf[:]
		}
		if len(cs) != 2 || (cs[0] != 1 && cs[0] != m) || (cs[1] != 1 && cs[1] != nn) {
			return nil, nodeErr(n, "C %v does not broadcast to [%d %d]", c.Shape, m, nn)
		}
		for i := range m {
			row := y.F[i*nn : (i+1)*nn]
			ci := 0
			if cs[0] != 1 {
				ci = i
			}
			if cs[1] == 1 {
				fill(row, beta*cf[ci])
				continue
			}
			for j := range row {
				row[j] = beta * cf[ci*nn+j]
			}
		}
		accBeta = 1
	}
	sgemm(ec, transA, transB, m, nn, k, alpha, a.F, a.Shape[1], b.F, b.Shape[1], accBeta, y.F, nn)
	return []*Tensor{y}, nil
}

// matMulKernel computes ONNX MatMul (numpy matmul): N-D operands are stacks
// of matrices in the last two dimensions with broadcast leading dimensions;
// a 1-D A is a row vector and a 1-D B a column vector, whose dimension is
// removed from the result.
func matMulKernel(ec *execContext, n *Node, in []*Tensor) ([]*Tensor, error) {
	a, err := floatInput(n, in, 0, "A")
	if err != nil {
		return nil, err
	}
	b, err := floatInput(n, in, 1, "B")
	if err != nil {
		return nil, err
	}
	y, err := matMul(ec, n, a, b)
	if err != nil {
		return nil, err
	}
	return []*Tensor{y}, nil
}

func matMul(ec *execContext, n *Node, a, b *Tensor) (*Tensor, error) {
	if len(a.Shape) == 0 || len(b.Shape) == 0 {
		return nil, nodeErr(n, "MatMul operands must not be scalars: A %v, B %v", a.Shape, b.Shape)
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k := as[len(as)-2], as[len(as)-1]
	kb, nn := bs[len(bs)-2], bs[len(bs)-1]
	if k != kb {
		return nil, nodeErr(n, "inner dimensions differ: A %v, B %v", a.Shape, b.Shape)
	}
	// Broadcast the batch dimensions.
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	rank := max(len(ab), len(bb))
	batch := make([]int, rank)
	for i := range rank {
		da, db := 1, 1
		if j := i - (rank - len(ab)); j >= 0 {
			da = ab[j]
		}
		if j := i - (rank - len(bb)); j >= 0 {
			db = bb[j]
		}
		switch {
		case da == db, db == 1:
			batch[i] = da
		case da == 1:
			batch[i] = db
		default:
			return nil, nodeErr(n, "batch dimensions of A %v and B %v do not broadcast", a.Shape, b.Shape)
		}
	}
	outShape := append([]int(nil), batch...)
	if len(a.Shape) > 1 {
		outShape = append(outShape, m)
	}
	if len(b.Shape) > 1 {
		outShape = append(outShape, nn)
	}
	y, err := newOutput(ec, n, outShape, false)
	if err != nil {
		return nil, err
	}
	nb := NumElements(batch)
	if nb == 0 || m == 0 || nn == 0 {
		return y, nil
	}
	// When B is one matrix shared by the whole batch and A's batch is not
	// broadcast, A's batch folds into rows: one large product.
	if NumElements(bb) == 1 && NumElements(ab) == nb {
		sgemm(ec, false, false, nb*m, nn, k, 1, a.F, k, b.F, nn, 0, y.F, nn)
		return y, nil
	}
	// offsets of each batch element in A and B (broadcast dimensions repeat).
	aOff := broadcastOffsets(batch, ab, m*k)
	bOff := broadcastOffsets(batch, bb, k*nn)
	one := func(ec *execContext, i int) {
		sgemm(ec, false, false, m, nn, k, 1, a.F[aOff[i]:aOff[i]+m*k], k, b.F[bOff[i]:bOff[i]+k*nn], nn, 0, y.F[i*m*nn:(i+1)*m*nn], nn)
	}
	if nb >= ec.threads() {
		ec.parallelFor(nb, func(lo, hi int) {
			serial := ec.serial()
			for i := lo; i < hi; i++ {
				one(serial, i)
			}
		})
	} else {
		for i := range nb {
			one(ec, i)
		}
	}
	return y, nil
}

// broadcastOffsets returns, for each index of the broadcast batch shape
// out, the element offset of the matching matrix in an operand whose batch
// shape is shape (right-aligned, size-1 dimensions repeated) and whose
// matrices have matSize elements.
func broadcastOffsets(out, shape []int, matSize int) []int {
	total := NumElements(out)
	offs := make([]int, total)
	strides := make([]int, len(out))
	s := matSize
	for i := len(out) - 1; i >= 0; i-- {
		j := i - (len(out) - len(shape))
		if j >= 0 && shape[j] != 1 {
			strides[i] = s
			s *= shape[j]
		} else if j >= 0 {
			s *= shape[j]
		}
	}
	for idx := range total {
		rem, off := idx, 0
		for i := len(out) - 1; i >= 0; i-- {
			off += (rem % out[i]) * strides[i]
			rem /= out[i]
		}
		offs[idx] = off
	}
	return offs
}
