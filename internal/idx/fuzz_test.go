package idx

import (
	"bytes"
	"compress/gzip"
	"runtime"
	"testing"
)

// FuzzRead feeds arbitrary bytes, plain and gzip-wrapped, to the IDX
// decoder. It must return an array whose data matches its shape or an
// error; never panic or allocate more than the data can fill.
func FuzzRead(f *testing.F) {
	enc := func(typ DataType, shape []int, v ...float64) []byte {
		b, err := Encode(typ, shape, v)
		if err != nil {
			panic(err)
		}
		return b
	}
	f.Add(enc(UByte, []int{2, 2, 2}, 0, 1, 2, 3, 250, 251, 252, 255))
	f.Add(enc(UByte, []int{3}, 7, 2, 1)) // labels
	f.Add(enc(SByte, []int{2}, -1, 1))
	f.Add(enc(Short, []int{1, 2}, -300, 300))
	f.Add(enc(Int, []int{2}, -70000, 70000))
	f.Add(enc(Float, []int{2, 1}, 0.5, -2))
	f.Add(enc(Double, []int{1}, 1e300))
	f.Add([]byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff, 1, 2, 3})             // 4G elements declared
	f.Add([]byte{0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0})          // 2^48 elements
	f.Add([]byte{0, 0, 8, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})          // a zero dim beside a huge one
	f.Add([]byte{0, 0, 0x42, 1, 0, 0, 0, 1, 0})                            // unknown type
	f.Add([]byte{0, 0, 8, 0})                                              // no dims
	f.Add([]byte{0, 0, 8, 200, 0, 0, 0, 1})                                // too many dims
	f.Add([]byte{0, 0, 0x0d, 1, 0, 0, 0, 2, 0x7f, 0xc0, 0, 0, 0x7f, 0x80}) // NaN, truncated
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})                   // broken gzip
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		for _, in := range [][]byte{data, z.Bytes()} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			a, err := Decode(in)
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				continue
			}
			n := a.Len()
			if n*a.Type.Size() != len(a.data) {
				t.Fatalf("shape %v of %s but %d data bytes", a.Shape, a.Type, len(a.data))
			}
			tt := a.Tensor()
			if len(tt.F)+len(tt.I) != n {
				t.Fatalf("tensor of shape %v has %d values", tt.Shape, len(tt.F)+len(tt.I))
			}
			if _, err := a.Int64s(); (err == nil) != a.Type.IsInteger() {
				t.Fatalf("Int64s on %s: err %v", a.Type, err)
			}
			runtime.ReadMemStats(&after)
			if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 && d > 64*uint64(len(data)) {
				t.Fatalf("decoding %d bytes allocated %d MB", len(data), d>>20)
			}
		}
	})
}
