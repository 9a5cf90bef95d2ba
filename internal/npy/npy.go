// Package npy reads and writes NumPy .npy arrays (format versions 1 to 3,
// little-endian, C order) as layers tensors.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/fewspikes/fewspikes/internal/atomicfile"
	"github.com/fewspikes/fewspikes/layers"
)

// MaxElements bounds the size an .npy header may declare, so that a corrupt
// or hostile header cannot make the reader allocate unbounded memory.
const MaxElements = 1 << 31

// Array is a decoded .npy file: the tensor (float32 for float and uint8
// data, int64 for signed integer data) and the dtype the file declared.
type Array struct {
	Tensor *layers.Tensor
	DType  string // numpy descr without byte order, e.g. "f4", "f8", "u1", "i8"
}

var (
	descrRe = regexp.MustCompile(`'descr'\s*:\s*'([<>|=])([a-z][0-9]+)'`)
	orderRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRe = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// ReadFile decodes the .npy file at path. Errors name the file.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a, err := Read(bufio.NewReader(f), st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Read decodes an .npy stream. size is the total stream length when known
// (used to reject headers that declare more data than exists), or -1.
func Read(r io.Reader, size int64) (*Array, error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, errors.New("npy: not an .npy file (too short)")
	}
	if string(magic[:6]) != "\x93NUMPY" {
		return nil, errors.New("npy: not an .npy file (bad magic)")
	}
	var hlen int
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("npy: truncated header")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("npy: truncated header")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
		if hlen > 1<<20 {
			return nil, fmt.Errorf("npy: header length %d is implausible", hlen)
		}
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d", magic[6])
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, errors.New("npy: truncated header")
	}
	h := string(hdr)
	m := descrRe.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("npy: header field 'descr' missing or unsupported in %q", strings.TrimSpace(h))
	}
	if m[1] == ">" {
		return nil, fmt.Errorf("npy: big-endian dtype %s%s is not supported", m[1], m[2])
	}
	descr := m[2]
	if o := orderRe.FindStringSubmatch(h); o == nil {
		return nil, errors.New("npy: header field 'fortran_order' missing")
	} else if o[1] == "True" {
		return nil, errors.New("npy: fortran_order arrays are not supported")
	}
	sm := shapeRe.FindStringSubmatch(h)
	if sm == nil {
		return nil, errors.New("npy: header field 'shape' missing")
	}
	var shape []int
	n := int64(1)
	for _, p := range strings.Split(sm[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := strconv.ParseInt(strings.TrimSuffix(p, "L"), 10, 64)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("npy: bad dimension %q in shape", p)
		}
		if d > 0 && n > MaxElements/d {
			return nil, fmt.Errorf("npy: shape (%s) has too many elements", sm[1])
		}
		n *= d
		shape = append(shape, int(d))
	}
	if n > MaxElements {
		return nil, fmt.Errorf("npy: shape (%s) has too many elements", sm[1])
	}
	var width int64
	switch descr {
	case "f4", "i4", "u4":
		width = 4
	case "f8", "i8", "u8":
		width = 8
	case "u1", "i1", "b1":
		width = 1
	case "f2", "i2", "u2":
		width = 2
	default:
		return nil, fmt.Errorf("npy: unsupported dtype %q (want float32, float64, uint8 or an integer type)", descr)
	}
	if size >= 0 {
		headerBytes := int64(len(magic)) + int64(hlen) + 2
		if magic[6] != 1 {
			headerBytes += 2
		}
		if want := headerBytes + n*width; size < want {
			return nil, fmt.Errorf("npy: file holds %d bytes of data, shape %v of %s needs %d", size-headerBytes, shape, descr, n*width)
		}
	}
	var raw []byte
	var err error
	if size >= 0 {
		// The size check above guarantees the data exists.
		raw = make([]byte, n*width)
		_, err = io.ReadFull(r, raw)
	} else {
		// Size unknown: let the buffer grow only as data arrives, so a
		// header that lies about its shape cannot force a huge allocation.
		raw, err = io.ReadAll(io.LimitReader(r, n*width))
	}
	if err != nil || int64(len(raw)) < n*width {
		return nil, fmt.Errorf("npy: truncated data: shape %v of %s needs %d bytes", shape, descr, n*width)
	}
	t := &layers.Tensor{Shape: shape}
	le := binary.LittleEndian
	switch descr {
	case "f4":
		t.F = make([]float32, n)
		for i := range t.F {
			t.F[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case "f8":
		t.F = make([]float32, n)
		for i := range t.F {
			t.F[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	case "f2":
		t.F = make([]float32, n)
		for i := range t.F {
			t.F[i] = halfToFloat(le.Uint16(raw[2*i:]))
		}
	case "u1", "b1":
		t.F = make([]float32, n)
		for i := range t.F {
			t.F[i] = float32(raw[i])
		}
	default:
		t.DType = layers.Int64
		t.I = make([]int64, n)
		for i := range t.I {
			switch descr {
			case "i1":
				t.I[i] = int64(int8(raw[i]))
			case "i2":
				t.I[i] = int64(int16(le.Uint16(raw[2*i:])))
			case "u2":
				t.I[i] = int64(le.Uint16(raw[2*i:]))
			case "i4":
				t.I[i] = int64(int32(le.Uint32(raw[4*i:])))
			case "u4":
				t.I[i] = int64(le.Uint32(raw[4*i:]))
			case "i8":
				t.I[i] = int64(le.Uint64(raw[8*i:]))
			case "u8":
				t.I[i] = int64(le.Uint64(raw[8*i:]))
			}
		}
	}
	return &Array{Tensor: t, DType: descr}, nil
}

func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0:
		f := float32(frac) / 1024 * float32(math.Pow(2, -14))
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 31:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// Encode returns t as an .npy (version 1) file: float32 tensors as '<f4',
// int64 tensors as '<i8'.
func Encode(t *layers.Tensor) []byte {
	descr := "<f4"
	if t.DType == layers.Int64 {
		descr = "<i8"
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	// Pad so that the data starts on a 64-byte boundary, ending in '\n'.
	total := 10 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&buf, binary.LittleEndian, uint16(len(h)))
	buf.WriteString(h)
	if t.DType == layers.Int64 {
		for _, v := range t.I {
			binary.Write(&buf, binary.LittleEndian, v)
		}
	} else {
		b := make([]byte, 4*len(t.F))
		for i, v := range t.F {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		buf.Write(b)
	}
	return buf.Bytes()
}

// WriteFile writes t to path atomically.
func WriteFile(path string, t *layers.Tensor) error {
	return atomicfile.WriteFile(path, Encode(t))
}
