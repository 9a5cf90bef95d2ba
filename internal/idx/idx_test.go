package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTripEveryType(t *testing.T) {
	values := []float64{0, 1, -2, 127, -128, 3.5, 255, 1e-3}
	for _, typ := range []DataType{UByte, SByte, Short, Int, Float, Double} {
		// Keep values representable in typ so the round trip is exact.
		vals := make([]float64, len(values))
		for i, v := range values {
			switch typ {
			case UByte:
				v = math.Abs(math.Trunc(v))
			case SByte, Short, Int:
				v = math.Max(-128, math.Min(127, math.Trunc(v)))
			case Float:
				v = float64(float32(v))
			}
			vals[i] = v
		}
		raw, err := Encode(typ, []int{2, 4}, vals)
		if err != nil {
			t.Fatalf("%s: Encode: %v", typ, err)
		}
		for name, data := range map[string][]byte{"plain": raw, "gzip": gz(t, raw)} {
			a, err := Decode(data)
			if err != nil {
				t.Fatalf("%s %s: %v", typ, name, err)
			}
			if a.Type != typ || len(a.Shape) != 2 || a.Shape[0] != 2 || a.Shape[1] != 4 {
				t.Fatalf("%s %s: got type %s shape %v", typ, name, a.Type, a.Shape)
			}
			for i, want := range vals {
				if got := a.At(i); got != want {
					t.Errorf("%s %s: element %d = %v, want %v", typ, name, i, got, want)
				}
				if got := a.Float32s(1)[i]; got != float32(want) {
					t.Errorf("%s %s: Float32s[%d] = %v, want %v", typ, name, i, got, float32(want))
				}
			}
			ints, err := a.Int64s()
			if typ.IsInteger() {
				if err != nil {
					t.Fatalf("%s: Int64s: %v", typ, err)
				}
				for i, want := range vals {
					if ints[i] != int64(want) {
						t.Errorf("%s: Int64s[%d] = %d, want %v", typ, i, ints[i], want)
					}
				}
			} else if err == nil {
				t.Errorf("%s: Int64s succeeded on a float array", typ)
			}
		}
	}
}

func TestHandMadeUByteFile(t *testing.T) {
	// Magic 0x00000803, dims 1x2x3, six pixels: the layout of MNIST image files.
	data := []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 51, 102, 153, 204, 255}
	a, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	f := a.Float32s(1.0 / 255)
	want := []float32{0, 0.2, 0.4, 0.6, 0.8, 1}
	for i := range want {
		if math.Abs(float64(f[i]-want[i])) > 1e-7 {
			t.Errorf("pixel %d = %v, want %v", i, f[i], want[i])
		}
	}
	tt := a.Tensor()
	if tt.Len() != 6 || tt.I[5] != 255 || len(tt.Shape) != 3 || tt.Shape[2] != 3 {
		t.Errorf("Tensor() = %v %v", tt, tt.I)
	}
	// Big-endian int32 labels.
	lab := []byte{0, 0, 0x0C, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0}
	b, err := Decode(lab)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := b.Int64s(); v[0] != -2 || v[1] != 256 {
		t.Errorf("int32 labels = %v, want [-2 256]", v)
	}
}

func TestBadInput(t *testing.T) {
	valid, _ := Encode(UByte, []int{2, 2}, []float64{1, 2, 3, 4})
	huge := []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1}
	lying := []byte{0, 0, 0x0E, 1, 0x10, 0, 0, 0, 1, 2, 3} // 2^28 doubles declared, 3 bytes present
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "reading magic number"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, "two zero bytes"},
		{"unknown type", []byte{0, 0, 7, 1, 0, 0, 0, 0}, "unknown element type 0x07"},
		{"zero dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"cut dims", []byte{0, 0, 8, 2, 0, 0}, "reading 2 dimensions"},
		{"truncated data", valid[:len(valid)-1], "truncated"},
		{"trailing data", append(append([]byte(nil), valid...), 9), "trailing data"},
		{"too many elements", huge, "more than"},
		{"size lie", lying, "truncated"},
		{"truncated gzip", gz(t, valid)[:20], "gzip"},
	}
	for _, c := range cases {
		_, err := Decode(c.data)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "idx: ") {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
}

func TestReadFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad-ubyte")
	if err := os.WriteFile(path, []byte{0, 0, 8, 1, 0, 0, 0, 5, 1}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name %s", err, path)
	}
}

func TestEncodeRejectsMismatch(t *testing.T) {
	if _, err := Encode(UByte, []int{2, 3}, make([]float64, 5)); err == nil {
		t.Error("Encode accepted 5 values for shape [2 3]")
	}
	if _, err := Encode(DataType(1), []int{1}, []float64{1}); err == nil {
		t.Error("Encode accepted an unknown type")
	}
	b, _ := Encode(Short, []int{1}, []float64{-300})
	if got := int16(binary.BigEndian.Uint16(b[8:])); got != -300 {
		t.Errorf("short encoded as %d", got)
	}
}

// FuzzDecode checks that no input makes Decode panic or accept data that
// does not match the shape it reports.
func FuzzDecode(f *testing.F) {
	valid, _ := Encode(UByte, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	f.Add(valid)
	f.Add(gzipBytes(valid))
	f.Add([]byte{0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0})
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Decode(data)
		if err != nil {
			return
		}
		if len(a.data) != a.Len()*a.Type.Size() {
			t.Fatalf("shape %v of %s with %d data bytes", a.Shape, a.Type, len(a.data))
		}
		_ = a.Float32s(1)
	})
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}
