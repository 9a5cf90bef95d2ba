package layers

import (
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
