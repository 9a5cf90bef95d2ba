package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

// MaxElements caps the number of elements of one tensor. A declared shape
// above it is rejected before anything is allocated.
const MaxElements = 1 << 31

// ErrDType reports a tensor element type that the engine does not carry
// (string, complex, ...). The conformance test uses it to tell these cases
// apart from real failures.
var ErrDType = errors.New("unsupported tensor element type")

// DecodeTensor decodes a serialized TensorProto (as in the ONNX test data's
// input_0.pb files). Floating-point types become float32 tensors; integer
// and boolean types become int64 tensors.
func DecodeTensor(data []byte) (*layers.Tensor, error) {
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		return nil, fmt.Errorf("onnx: invalid tensor: %w", err)
	}
	t, err := tensorFromProto(&tp, "")
	if err != nil {
		return nil, fmt.Errorf("onnx: tensor %q: %w", tp.GetName(), err)
	}
	return t, nil
}

// dtypeName names an ONNX element type for error messages.
func dtypeName(dt int32) string {
	if s, ok := onnxpb.TensorProto_DataType_name[dt]; ok {
		return s
	}
	return "type " + strconv.Itoa(int(dt))
}

// elemSize returns the raw_data size of one element, or 0 for types the
// engine does not carry.
func elemSize(dt onnxpb.TensorProto_DataType) int {
	switch dt {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_INT32, onnxpb.TensorProto_UINT32:
		return 4
	case onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_INT64, onnxpb.TensorProto_UINT64:
		return 8
	case onnxpb.TensorProto_FLOAT16, onnxpb.TensorProto_BFLOAT16, onnxpb.TensorProto_INT16, onnxpb.TensorProto_UINT16:
		return 2
	case onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8, onnxpb.TensorProto_BOOL:
		return 1
	}
	return 0
}

// isFloatType reports whether an ONNX element type maps to layers.Float32.
func isFloatType(dt onnxpb.TensorProto_DataType) bool {
	switch dt {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_FLOAT16, onnxpb.TensorProto_BFLOAT16:
		return true
	}
	return false
}

// layersDType maps an ONNX element type to the engine's.
func layersDType(dt int32) (layers.DType, error) {
	d := onnxpb.TensorProto_DataType(dt)
	if elemSize(d) == 0 {
		return 0, fmt.Errorf("%w %s", ErrDType, dtypeName(dt))
	}
	if isFloatType(d) {
		return layers.Float32, nil
	}
	return layers.Int64, nil
}

// checkedElements multiplies dims, rejecting negative dimensions and
// products above MaxElements without overflowing.
func checkedElements(dims []int64) (int, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in %v", d, dims)
		}
		if d > MaxElements {
			return 0, fmt.Errorf("dimensions %v exceed %d elements", dims, int64(MaxElements))
		}
		n *= d
		if n > MaxElements {
			return 0, fmt.Errorf("dimensions %v exceed %d elements", dims, int64(MaxElements))
		}
	}
	return int(n), nil
}

// tensorFromProto converts a TensorProto. dir is the model's folder, for
// external data ("" refuses external data).
func tensorFromProto(tp *onnxpb.TensorProto, dir string) (*layers.Tensor, error) {
	dt := onnxpb.TensorProto_DataType(tp.GetDataType())
	if tp.GetSegment() != nil {
		return nil, errors.New("segmented tensors are not supported")
	}
	n, err := checkedElements(tp.GetDims())
	if err != nil {
		return nil, err
	}
	ldt, err := layersDType(tp.GetDataType())
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(tp.GetDims()))
	for i, d := range tp.GetDims() {
		shape[i] = int(d)
	}
	raw := tp.GetRawData()
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		raw, err = readExternal(tp, dir, int64(n)*int64(elemSize(dt)))
		if err != nil {
			return nil, err
		}
	}
	t := &layers.Tensor{DType: ldt, Shape: shape}
	if raw != nil || tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if want := n * elemSize(dt); len(raw) != want {
			return nil, fmt.Errorf("raw_data holds %d bytes, dims %v of %s need %d", len(raw), tp.GetDims(), dtypeName(int32(dt)), want)
		}
		fillRaw(t, dt, raw, n)
		return t, nil
	}
	field, have := typedLen(tp, dt)
	if have != n {
		return nil, fmt.Errorf("%s holds %d values, dims %v need %d", field, have, tp.GetDims(), n)
	}
	fillTyped(t, tp, dt, n)
	return t, nil
}

// typedLen names the typed field that carries values of dt and its length.
func typedLen(tp *onnxpb.TensorProto, dt onnxpb.TensorProto_DataType) (string, int) {
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		return "float_data", len(tp.GetFloatData())
	case onnxpb.TensorProto_DOUBLE:
		return "double_data", len(tp.GetDoubleData())
	case onnxpb.TensorProto_INT64:
		return "int64_data", len(tp.GetInt64Data())
	case onnxpb.TensorProto_UINT32, onnxpb.TensorProto_UINT64:
		return "uint64_data", len(tp.GetUint64Data())
	}
	return "int32_data", len(tp.GetInt32Data())
}

func fillTyped(t *layers.Tensor, tp *onnxpb.TensorProto, dt onnxpb.TensorProto_DataType, n int) {
	if t.DType == layers.Float32 {
		t.F = make([]float32, n)
		switch dt {
		case onnxpb.TensorProto_FLOAT:
			copy(t.F, tp.GetFloatData())
		case onnxpb.TensorProto_DOUBLE:
			for i, v := range tp.GetDoubleData() {
				t.F[i] = float32(v)
			}
		case onnxpb.TensorProto_FLOAT16:
			for i, v := range tp.GetInt32Data() {
				t.F[i] = halfToFloat(uint16(v))
			}
		case onnxpb.TensorProto_BFLOAT16:
			for i, v := range tp.GetInt32Data() {
				t.F[i] = math.Float32frombits(uint32(uint16(v)) << 16)
			}
		}
		return
	}
	t.I = make([]int64, n)
	switch dt {
	case onnxpb.TensorProto_INT64:
		copy(t.I, tp.GetInt64Data())
	case onnxpb.TensorProto_UINT32, onnxpb.TensorProto_UINT64:
		for i, v := range tp.GetUint64Data() {
			t.I[i] = int64(v)
		}
	case onnxpb.TensorProto_BOOL:
		for i, v := range tp.GetInt32Data() {
			if v != 0 {
				t.I[i] = 1
			}
		}
	case onnxpb.TensorProto_UINT8:
		for i, v := range tp.GetInt32Data() {
			t.I[i] = int64(uint8(v))
		}
	case onnxpb.TensorProto_UINT16:
		for i, v := range tp.GetInt32Data() {
			t.I[i] = int64(uint16(v))
		}
	default: // INT8, INT16, INT32 are stored sign-extended
		for i, v := range tp.GetInt32Data() {
			t.I[i] = int64(v)
		}
	}
}

func fillRaw(t *layers.Tensor, dt onnxpb.TensorProto_DataType, raw []byte, n int) {
	le := binary.LittleEndian
	if t.DType == layers.Float32 {
		t.F = make([]float32, n)
		for i := range t.F {
			switch dt {
			case onnxpb.TensorProto_FLOAT:
				t.F[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
			case onnxpb.TensorProto_DOUBLE:
				t.F[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
			case onnxpb.TensorProto_FLOAT16:
				t.F[i] = halfToFloat(le.Uint16(raw[2*i:]))
			case onnxpb.TensorProto_BFLOAT16:
				t.F[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
			}
		}
		return
	}
	t.I = make([]int64, n)
	for i := range t.I {
		switch dt {
		case onnxpb.TensorProto_INT64, onnxpb.TensorProto_UINT64:
			t.I[i] = int64(le.Uint64(raw[8*i:]))
		case onnxpb.TensorProto_INT32:
			t.I[i] = int64(int32(le.Uint32(raw[4*i:])))
		case onnxpb.TensorProto_UINT32:
			t.I[i] = int64(le.Uint32(raw[4*i:]))
		case onnxpb.TensorProto_INT16:
			t.I[i] = int64(int16(le.Uint16(raw[2*i:])))
		case onnxpb.TensorProto_UINT16:
			t.I[i] = int64(le.Uint16(raw[2*i:]))
		case onnxpb.TensorProto_INT8:
			t.I[i] = int64(int8(raw[i]))
		case onnxpb.TensorProto_UINT8:
			t.I[i] = int64(raw[i])
		case onnxpb.TensorProto_BOOL:
			if raw[i] != 0 {
				t.I[i] = 1
			}
		}
	}
}

// halfToFloat converts IEEE 754 binary16 bits to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: value = frac · 2^-24
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// readExternal reads the bytes of an external-data tensor. The location is
// relative to the model's folder and may not leave it.
func readExternal(tp *onnxpb.TensorProto, dir string, want int64) ([]byte, error) {
	var location string
	offset, length := int64(0), int64(-1)
	for _, kv := range tp.GetExternalData() {
		var err error
		switch kv.GetKey() {
		case "location":
			location = kv.GetValue()
		case "offset":
			offset, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("external data %s: %w", kv.GetKey(), err)
		}
	}
	if location == "" {
		return nil, errors.New("external data has no location")
	}
	if dir == "" {
		return nil, fmt.Errorf("external data %q: no model folder to resolve it against", location)
	}
	if filepath.IsAbs(location) || strings.HasPrefix(location, "/") || strings.HasPrefix(location, `\`) {
		return nil, fmt.Errorf("external data location %q is an absolute path", location)
	}
	clean := filepath.Clean(filepath.FromSlash(location))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("external data location %q leaves the model folder", location)
	}
	if offset < 0 {
		return nil, fmt.Errorf("external data %q: negative offset %d", location, offset)
	}
	if length >= 0 && length != want {
		return nil, fmt.Errorf("external data %q: length %d, the tensor needs %d bytes", location, length, want)
	}
	path := filepath.Join(dir, clean)
	// A symbolic link could still point outside the folder: resolve both.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		if base, err := filepath.EvalSymlinks(dir); err == nil {
			if rel, err := filepath.Rel(base, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return nil, fmt.Errorf("external data location %q leaves the model folder", location)
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	// offset+want could overflow: compare without adding.
	if offset > st.Size() || want > st.Size()-offset {
		return nil, fmt.Errorf("external data %q: needs %d bytes at offset %d, the file has %d", location, want, offset, st.Size())
	}
	buf := make([]byte, want)
	if _, err := f.ReadAt(buf, offset); err != nil && !(errors.Is(err, io.EOF) && want == 0) {
		return nil, fmt.Errorf("external data %q: %w", location, err)
	}
	return buf, nil
}

// tensorToProto converts a tensor for encoding: float32 as FLOAT, int64 as
// INT64, both in raw_data.
func tensorToProto(name string, t *layers.Tensor) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Name: proto.String(name)}
	for _, d := range t.Shape {
		tp.Dims = append(tp.Dims, int64(d))
	}
	if t.DType == layers.Int64 {
		tp.DataType = proto.Int32(int32(onnxpb.TensorProto_INT64))
		raw := make([]byte, 8*len(t.I))
		for i, v := range t.I {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
		tp.RawData = raw
		return tp
	}
	tp.DataType = proto.Int32(int32(onnxpb.TensorProto_FLOAT))
	raw := make([]byte, 4*len(t.F))
	for i, v := range t.F {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	tp.RawData = raw
	return tp
}
