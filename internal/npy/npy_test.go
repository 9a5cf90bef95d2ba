package npy

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fewspikes/fewspikes/layers"
)

func TestRoundTripFloat32(t *testing.T) {
	in := layers.FromFloat32([]float32{1, -2.5, 3e-8, float32(math.Inf(1)), 0, 7}, 2, 3)
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := WriteFile(path, in); err != nil {
		t.Fatal(err)
	}
	a, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != "f4" || len(a.Tensor.Shape) != 2 || a.Tensor.Shape[0] != 2 || a.Tensor.Shape[1] != 3 {
		t.Fatalf("got dtype %s shape %v", a.DType, a.Tensor.Shape)
	}
	for i, v := range in.F {
		if a.Tensor.F[i] != v {
			t.Errorf("element %d: got %v want %v", i, a.Tensor.F[i], v)
		}
	}
}

func TestRoundTripInt64OneDim(t *testing.T) {
	in := layers.FromInt64([]int64{3, -1, 1 << 40}, 3)
	a, err := Read(bytes.NewReader(Encode(in)), -1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Tensor.DType != layers.Int64 || a.Tensor.I[2] != 1<<40 || a.Tensor.I[1] != -1 {
		t.Fatalf("got %v %v", a.Tensor, a.Tensor.I)
	}
}

// header builds a version-1 .npy header around dict.
func header(dict string) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	return b.Bytes()
}

func TestFloat64AndUint8(t *testing.T) {
	data := header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n")
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(0.25))
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(-4))
	a, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Tensor.F[0] != 0.25 || a.Tensor.F[1] != -4 {
		t.Fatalf("got %v", a.Tensor.F)
	}
	data = append(header("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }\n"), 0, 255)
	a, err = Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != "u1" || a.Tensor.F[1] != 255 {
		t.Fatalf("got %s %v", a.DType, a.Tensor.F)
	}
}

func TestBadInputs(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":      {nil, "too short"},
		"magic":      {[]byte("not an npy file"), "bad magic"},
		"dtype":      {header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }"), "unsupported dtype"},
		"bigendian":  {header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }"), "big-endian"},
		"fortran":    {header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }"), "fortran_order"},
		"noshape":    {header("{'descr': '<f4', 'fortran_order': False, }"), "'shape' missing"},
		"huge":       {header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4), }"), "too many elements"},
		"truncated":  {append(header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), 1, 2, 3, 4), "needs 12"},
		"negativdim": {header("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }"), "bad dimension"},
	}
	for name, c := range cases {
		_, err := Read(bytes.NewReader(c.data), int64(len(c.data)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one containing %q", name, err, c.want)
		}
	}
}
