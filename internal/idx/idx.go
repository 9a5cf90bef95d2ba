// Package idx reads the IDX array format of the MNIST distribution
// (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number (two zero
// bytes, an element-type code and the number of dimensions), the
// dimensions as big-endian uint32, then the elements in row-major order,
// big-endian. Files may be gzip-compressed (detected from the gzip magic).
//
// Sizes declared by a header are checked against MaxElements and against
// the data actually present before anything large is allocated, so a
// corrupt or truncated file gives a clear error, never a panic or an
// unbounded allocation.
package idx

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/fewspikes/fewspikes/layers"
)

// DataType is the element-type code of an IDX file.
type DataType byte

// The element types the IDX format defines.
const (
	UByte  DataType = 0x08
	SByte  DataType = 0x09
	Short  DataType = 0x0B // int16
	Int    DataType = 0x0C // int32
	Float  DataType = 0x0D // float32
	Double DataType = 0x0E // float64
)

// Size returns the number of bytes of one element, or 0 for an unknown type.
func (t DataType) Size() int {
	switch t {
	case UByte, SByte:
		return 1
	case Short:
		return 2
	case Int, Float:
		return 4
	case Double:
		return 8
	}
	return 0
}

func (t DataType) String() string {
	switch t {
	case UByte:
		return "ubyte"
	case SByte:
		return "sbyte"
	case Short:
		return "short"
	case Int:
		return "int"
	case Float:
		return "float"
	case Double:
		return "double"
	}
	return fmt.Sprintf("DataType(0x%02x)", byte(t))
}

// IsInteger reports whether t is one of the integer types.
func (t DataType) IsInteger() bool { return t == UByte || t == SByte || t == Short || t == Int }

// MaxElements bounds the number of elements a header may declare.
const MaxElements = 1 << 31

// maxDims bounds the number of dimensions; real files have 1 to 4.
const maxDims = 16

// Array is a decoded IDX array. The elements are kept in their file
// encoding (big-endian) and converted on access, so a large uint8 image set
// costs one byte per pixel.
type Array struct {
	Type  DataType
	Shape []int
	data  []byte
}

// Len returns the number of elements.
func (a *Array) Len() int { return layers.NumElements(a.Shape) }

// At returns element i converted to float64 (exact for every IDX type).
func (a *Array) At(i int) float64 {
	switch a.Type {
	case UByte:
		return float64(a.data[i])
	case SByte:
		return float64(int8(a.data[i]))
	case Short:
		return float64(int16(binary.BigEndian.Uint16(a.data[2*i:])))
	case Int:
		return float64(int32(binary.BigEndian.Uint32(a.data[4*i:])))
	case Float:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(a.data[4*i:])))
	case Double:
		return math.Float64frombits(binary.BigEndian.Uint64(a.data[8*i:]))
	}
	panic("idx: unreachable: array of unknown type " + a.Type.String())
}

// Float32s returns every element converted to float32 and multiplied by
// scale (use 1/255.0 to map ubyte pixels to [0, 1], or 1 for none).
func (a *Array) Float32s(scale float32) []float32 {
	out := make([]float32, a.Len())
	switch a.Type {
	case UByte:
		for i, b := range a.data {
			out[i] = float32(b) * scale
		}
	case Float:
		for i := range out {
			out[i] = math.Float32frombits(binary.BigEndian.Uint32(a.data[4*i:])) * scale
		}
	default:
		for i := range out {
			out[i] = float32(a.At(i)) * scale
		}
	}
	return out
}

// Int64s returns the elements of an integer-typed array as int64. It fails
// for float and double arrays rather than truncate.
func (a *Array) Int64s() ([]int64, error) {
	if !a.Type.IsInteger() {
		return nil, fmt.Errorf("idx: %s array holds no integers", a.Type)
	}
	out := make([]int64, a.Len())
	for i := range out {
		out[i] = int64(a.At(i))
	}
	return out, nil
}

// Tensor returns the array as a layers tensor of the same shape: Int64 for
// the integer types, Float32 (values unscaled) for float and double.
func (a *Array) Tensor() *layers.Tensor {
	if a.Type.IsInteger() {
		v, _ := a.Int64s()
		return layers.FromInt64(v, a.Shape...)
	}
	return layers.FromFloat32(a.Float32s(1), a.Shape...)
}

// ReadFile decodes the IDX file at path (plain or gzip). Errors name the file.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Decode decodes an IDX array held in memory (plain or gzip).
func Decode(data []byte) (*Array, error) {
	return Read(bytes.NewReader(data))
}

// Read decodes one IDX array from r, which may be gzip-compressed. The
// stream must end after the last element.
func Read(r io.Reader) (*Array, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: gzip: %w", err)
		}
		defer zr.Close()
		a, err := readRaw(zr)
		if err != nil {
			return nil, fmt.Errorf("idx: gzip-compressed: %w", err)
		}
		// Reading to the end makes gzip verify its checksum.
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return nil, fmt.Errorf("idx: gzip: %w", err)
		}
		return a, nil
	}
	a, err := readRaw(br)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	return a, nil
}

func readRaw(r io.Reader) (*Array, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("invalid format: reading magic number: %w", noEOF(err))
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("invalid format: magic number %02x%02x%02x%02x does not start with two zero bytes", head[0], head[1], head[2], head[3])
	}
	typ := DataType(head[2])
	if typ.Size() == 0 {
		return nil, fmt.Errorf("invalid format: unknown element type 0x%02x", head[2])
	}
	ndim := int(head[3])
	if ndim == 0 || ndim > maxDims {
		return nil, fmt.Errorf("invalid format: %d dimensions (want 1 to %d)", ndim, maxDims)
	}
	dims := make([]byte, 4*ndim)
	if _, err := io.ReadFull(r, dims); err != nil {
		return nil, fmt.Errorf("invalid format: reading %d dimensions: %w", ndim, noEOF(err))
	}
	shape := make([]int, ndim)
	n := int64(1)
	for i := range shape {
		d := int64(binary.BigEndian.Uint32(dims[4*i:]))
		shape[i] = int(d)
		n *= d
		if n > MaxElements {
			return nil, fmt.Errorf("shape %v declares more than %d elements", shape[:i+1], int64(MaxElements))
		}
	}
	need := n * int64(typ.Size())
	// ReadAll over a limited reader grows the buffer only as data arrives,
	// so a header that lies about its size cannot force a huge allocation.
	data, err := io.ReadAll(io.LimitReader(r, need+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s data of shape %v: %w", typ, shape, err)
	}
	switch {
	case int64(len(data)) < need:
		return nil, fmt.Errorf("truncated: shape %v of %s needs %d data bytes, file has %d", shape, typ, need, len(data))
	case int64(len(data)) > need:
		return nil, fmt.Errorf("invalid format: trailing data after %d bytes of %s %v", need, typ, shape)
	}
	return &Array{Type: typ, Shape: shape, data: data}, nil
}

// noEOF turns a bare EOF (an empty or cut header) into ErrUnexpectedEOF so
// the message says the file is short.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Encode returns the IDX encoding (uncompressed) of values of the given
// type and shape. values are converted to typ; it fails when len(values)
// does not match shape or typ is unknown.
func Encode(typ DataType, shape []int, values []float64) ([]byte, error) {
	if typ.Size() == 0 {
		return nil, fmt.Errorf("idx: unknown element type 0x%02x", byte(typ))
	}
	if len(shape) == 0 || len(shape) > maxDims {
		return nil, fmt.Errorf("idx: %d dimensions (want 1 to %d)", len(shape), maxDims)
	}
	if n := layers.NumElements(shape); n != len(values) {
		return nil, fmt.Errorf("idx: %d values for shape %v (%d elements)", len(values), shape, n)
	}
	buf := make([]byte, 4+4*len(shape), 4+4*len(shape)+len(values)*typ.Size())
	buf[2], buf[3] = byte(typ), byte(len(shape))
	for i, d := range shape {
		if d < 0 || int64(d) > math.MaxUint32 {
			return nil, fmt.Errorf("idx: dimension %d of shape %v out of range", i, shape)
		}
		binary.BigEndian.PutUint32(buf[4+4*i:], uint32(d))
	}
	for _, v := range values {
		switch typ {
		case UByte:
			buf = append(buf, uint8(v))
		case SByte:
			buf = append(buf, byte(int8(v)))
		case Short:
			buf = binary.BigEndian.AppendUint16(buf, uint16(int16(v)))
		case Int:
			buf = binary.BigEndian.AppendUint32(buf, uint32(int32(v)))
		case Float:
			buf = binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(v)))
		case Double:
			buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	return buf, nil
}
