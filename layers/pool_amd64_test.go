package layers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPool3s2ArgsLayout pins the field offsets poolPlane3s2AVX512 reads.
func TestPool3s2ArgsLayout(t *testing.T) {
	want := []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 84}
	for i, off := range pool3s2Offsets {
		if off != want[i] {
			t.Fatalf("pool3s2Args field %d at offset %d, assembly expects %d", i, off, want[i])
		}
	}
}

// TestDwArgsLayout pins the field offsets depthwise3x3AVX512 reads.
func TestDwArgsLayout(t *testing.T) {
	want := []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104}
	for i, off := range dwOffsets {
		if off != want[i] {
			t.Fatalf("dwArgs field %d at offset %d, assembly expects %d", i, off, want[i])
		}
	}
}

// TestMeanPlanesMatchesFloat64 checks the AVX-512 plane means against a
// float64 sum, for plane sizes around the 16-float steps.
func TestMeanPlanesMatchesFloat64(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(61, 62))
	for n := 1; n <= 70; n++ {
		const planes = 3
		src := make([]float32, planes*n+5)
		for i := range src {
			src[i] = float32(r.NormFloat64()) * 10
		}
		dst := make([]float32, planes)
		if !meanPlanes(dst, src[:planes*n], n) {
			t.Fatal("meanPlanes declined")
		}
		for p := range planes {
			var s float64
			for _, v := range src[p*n : (p+1)*n] {
				s += float64(v)
			}
			want := float32(s / float64(n))
			if d := math.Abs(float64(dst[p] - want)); d > 1e-6*math.Abs(float64(want))+1e-7 {
				t.Errorf("n=%d plane %d: %g, want %g", n, p, dst[p], want)
			}
		}
	}
}

// TestDwFlatArgsLayout pins the field offsets depthwise3x3FlatAVX512 reads.
func TestDwFlatArgsLayout(t *testing.T) {
	want := []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 136, 144, 152, 160}
	for i, off := range dwFlatOffsets {
		if off != want[i] {
			t.Fatalf("dwFlatArgs field %d at offset %d, assembly expects %d", i, off, want[i])
		}
	}
}

// TestConv1chArgsLayout pins the field offsets conv1chAVX512 reads.
func TestConv1chArgsLayout(t *testing.T) {
	want := []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 104, 112, 120, 128}
	for i, off := range conv1chOffsets {
		if off != want[i] {
			t.Fatalf("conv1chArgs field %d at offset %d, assembly expects %d", i, off, want[i])
		}
	}
}
