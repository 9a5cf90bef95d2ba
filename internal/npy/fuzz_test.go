package npy

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

// npyHeader builds a version-1 header around dict (no padding rules: the
// reader must not depend on them).
func npyHeader(dict string) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = append(b, byte(len(dict)), byte(len(dict)>>8))
	return append(b, dict...)
}

// FuzzRead feeds arbitrary bytes to the .npy reader, with the stream size
// known and unknown. It must return an array whose data matches its shape,
// or an error; never panic or allocate more than the input can fill.
func FuzzRead(f *testing.F) {
	f.Add(Encode(layers.FromFloat32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)))
	f.Add(Encode(layers.FromInt64([]int64{3, -1, 1 << 40}, 3)))
	f.Add(Encode(layers.FromFloat32([]float32{7}))) // scalar, shape ()
	for _, d := range []string{
		"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n",
		"{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2), }\n",
		"{'descr': '<f2', 'fortran_order': False, 'shape': (0, 3), }\n",
		"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n",
		"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n",
		"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }\n",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 32768), }\n",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }\n",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }\n",
		"{'descr': '<f4', 'shape': (2,), }\n",
		"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n",
	} {
		f.Add(append(npyHeader(d), 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40))
	}
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"))
	f.Add([]byte("\x93NUMPY\x07\x00"))
	f.Add([]byte("not an npy file"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, size := range []int64{int64(len(data)), -1} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			a, err := Read(bytes.NewReader(data), size)
			runtime.ReadMemStats(&after)
			// Decoding may cost a few copies of the input, never more than
			// the input could fill (8 bytes of float32+raw per input byte).
			if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 && d > 32*uint64(len(data)) {
				t.Fatalf("size %d: reading %d bytes allocated %d MB", size, len(data), d>>20)
			}
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				continue
			}
			n := layers.NumElements(a.Tensor.Shape)
			if len(a.Tensor.F)+len(a.Tensor.I) != n {
				t.Fatalf("shape %v but %d float and %d int values", a.Tensor.Shape, len(a.Tensor.F), len(a.Tensor.I))
			}
		}
	})
}
