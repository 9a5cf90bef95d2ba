package layers

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKernelWideMatches4x16 checks that the AVX-512 kernels give, on every
// tile shape, exactly the bits of the 4×16 kernel run tile by tile (the
// engine's results must not depend on which kernel ran).
func TestKernelWideMatches4x16(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(31, 32))
	for _, kc := range []int{1, 2, 7, 64, 255} {
		for _, rows := range []int{4, 8} {
			for _, cols := range []int{16, 32} {
				a := randSlice(r, rows*kc)
				b := randSlice(r, cols*kc)
				const ldc = 40
				c0 := randSlice(r, rows*ldc)
				want := slices.Clone(c0)
				for s := range rows / gemmMR {
					for j := range cols / gemmNR {
						kernel4x16(kc, a[s*gemmMR*kc:], b[j*gemmNR*kc:], want[s*gemmMR*ldc+j*gemmNR:], ldc)
					}
				}
				got := slices.Clone(c0)
				kernelWide(kc, a, b, got, ldc, rows, cols)
				if !slices.Equal(got, want) {
					t.Errorf("kernelWide kc=%d %dx%d differs from kernel4x16", kc, rows, cols)
				}

				// Indirect: B read in place from a wide buffer at
				// per-k offsets.
				buf := randSlice(r, 64+4*kc+cols)
				offs := make([]int, kc)
				for k := range offs {
					offs[k] = r.IntN(64 + 4*kc)
				}
				want = slices.Clone(c0)
				for s := range rows / gemmMR {
					for j := range cols / gemmNR {
						kernel4x16Indirect(kc, a[s*gemmMR*kc:], buf[j*gemmNR:], offs, want[s*gemmMR*ldc+j*gemmNR:], ldc)
					}
				}
				got = slices.Clone(c0)
				kernelWideIndirect(kc, a, buf, offs, got, ldc, rows, cols)
				if !slices.Equal(got, want) {
					t.Errorf("kernelWideIndirect kc=%d %dx%d differs from kernel4x16Indirect", kc, rows, cols)
				}
			}
		}
	}
}

// TestActivations512MatchAVX2 checks that the 16-lane activations give
// exactly the bits of the 8-lane ones, over a range that covers the
// clamps of exp and the branches of erf.
func TestActivations512MatchAVX2(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(51, 52))
	src := make([]float32, 4096)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 8)
	}
	src[0], src[1], src[2], src[3] = 0, -100, 100, 1e-30
	for _, f := range []struct {
		name     string
		a512, a2 func(n int, src, dst *float32)
	}{
		{"sigmoid", sigmoidAVX512, sigmoidAVX2}, {"silu", siluAVX512, siluAVX2}, {"gelu", geluAVX512, geluAVX2},
		{"hardswish", hardSwishAVX512, hardSwishAVX2}, {"relu", reluAVX512, reluAVX2},
	} {
		got, want := make([]float32, len(src)), make([]float32, len(src))
		f.a512(len(src), &src[0], &got[0])
		f.a2(len(src), &src[0], &want[0])
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s(%g): AVX-512 %g, AVX2 %g", f.name, src[i], got[i], want[i])
				break
			}
		}
		// Lengths that are not multiples of 16 end under a mask: the
		// same bits, nothing written beyond n.
		for n := 1; n <= 40; n++ {
			part := make([]float32, n+1)
			part[n] = 12345
			f.a512(n, &src[7], &part[0])
			for i := range n {
				if math.Float32bits(part[i]) != math.Float32bits(want[7+i]) {
					t.Fatalf("%s, n=%d: element %d is %g, want %g", f.name, n, i, part[i], want[7+i])
				}
			}
			if part[n] != 12345 {
				t.Fatalf("%s, n=%d: wrote past the end", f.name, n)
			}
		}
	}
}

// TestDotKernel4x6MatchesTwo4x3 checks that the six-column dot kernel gives
// each element the bits of the three-column one (gemmNT's result must not
// depend on which tile width covered a column).
func TestDotKernel4x6MatchesTwo4x3(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(71, 72))
	for _, k := range []int{1, 15, 16, 17, 100, 784} {
		a := randSlice(r, 4*k+3)
		b := randSlice(r, 6*k+5)
		var got [24]float32
		var lo, hi [12]float32
		dotKernel4x6(k, a, k+1, b, k+1, &got)
		dotKernel4x3(k, a, k+1, b, k+1, &lo)
		dotKernel4x3(k, a, k+1, b[3*(k+1):], k+1, &hi)
		for row := range 4 {
			for c := range 6 {
				want := lo[row*3+c%3]
				if c >= 3 {
					want = hi[row*3+c-3]
				}
				if math.Float32bits(got[row*6+c]) != math.Float32bits(want) {
					t.Fatalf("k=%d: element (%d, %d) = %g, 4x3 kernel %g", k, row, c, got[row*6+c], want)
				}
			}
		}
	}
}
