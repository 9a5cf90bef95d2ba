package layers

import "testing"

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
