package onnx

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

func TestDecodeTensorTypes(t *testing.T) {
	dt := func(d onnxpb.TensorProto_DataType) *int32 { return proto.Int32(int32(d)) }
	le := binary.LittleEndian
	raw64 := make([]byte, 16)
	le.PutUint64(raw64, uint64(math.Float64bits(1.5)))
	le.PutUint64(raw64[8:], uint64(math.Float64bits(-2)))
	rawI32 := make([]byte, 8)
	le.PutUint32(rawI32, uint32(0xffffffff)) // -1
	le.PutUint32(rawI32[4:], 7)
	cases := []struct {
		name string
		tp   *onnxpb.TensorProto
		f    []float32
		i    []int64
	}{
		{"float typed", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_FLOAT), Dims: []int64{2}, FloatData: []float32{1, -2}}, []float32{1, -2}, nil},
		{"double typed", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_DOUBLE), Dims: []int64{2}, DoubleData: []float64{1.5, -2}}, []float32{1.5, -2}, nil},
		{"double raw", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_DOUBLE), Dims: []int64{2}, RawData: raw64}, []float32{1.5, -2}, nil},
		// 0x3c00 = 1, 0xc000 = -2, 0x0001 = 2^-24 (subnormal), 0x7c00 = +Inf
		{"float16 typed", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_FLOAT16), Dims: []int64{4}, Int32Data: []int32{0x3c00, 0xc000, 1, 0x7c00}}, []float32{1, -2, float32(math.Ldexp(1, -24)), float32(math.Inf(1))}, nil},
		{"float16 raw", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_FLOAT16), Dims: []int64{2}, RawData: []byte{0x00, 0x3c, 0x00, 0x38}}, []float32{1, 0.5}, nil},
		{"int32 raw", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_INT32), Dims: []int64{2}, RawData: rawI32}, nil, []int64{-1, 7}},
		{"int32 typed", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_INT32), Dims: []int64{2}, Int32Data: []int32{-1, 7}}, nil, []int64{-1, 7}},
		{"int64 typed", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_INT64), Dims: []int64{1, 2}, Int64Data: []int64{-9, 1 << 40}}, nil, []int64{-9, 1 << 40}},
		{"uint8 raw", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_UINT8), Dims: []int64{2}, RawData: []byte{255, 3}}, nil, []int64{255, 3}},
		{"int8 raw", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_INT8), Dims: []int64{2}, RawData: []byte{255, 3}}, nil, []int64{-1, 3}},
		{"bool typed", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_BOOL), Dims: []int64{3}, Int32Data: []int32{1, 0, 1}}, nil, []int64{1, 0, 1}},
		{"bool raw", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_BOOL), Dims: []int64{2}, RawData: []byte{0, 1}}, nil, []int64{0, 1}},
		{"scalar", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_FLOAT), FloatData: []float32{3}}, []float32{3}, nil},
		{"empty", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_FLOAT), Dims: []int64{0, 3}}, []float32{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeTensor(marshal(t, c.tp))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Shape) != len(c.tp.Dims) {
				t.Fatalf("shape %v, dims %v", got.Shape, c.tp.Dims)
			}
			if c.i != nil {
				if got.DType != layers.Int64 || len(got.I) != len(c.i) {
					t.Fatalf("got %v %v, want int64 %v", got, got.I, c.i)
				}
				for k := range c.i {
					if got.I[k] != c.i[k] {
						t.Fatalf("got %v, want %v", got.I, c.i)
					}
				}
				return
			}
			if got.DType != layers.Float32 || len(got.F) != len(c.f) {
				t.Fatalf("got %v %v, want float32 %v", got, got.F, c.f)
			}
			for k := range c.f {
				if got.F[k] != c.f[k] {
					t.Fatalf("got %v, want %v", got.F, c.f)
				}
			}
		})
	}
}

func TestDecodeTensorRejects(t *testing.T) {
	dt := proto.Int32(int32(onnxpb.TensorProto_FLOAT))
	for _, c := range []struct {
		tp   *onnxpb.TensorProto
		want string
	}{
		{&onnxpb.TensorProto{Name: proto.String("a"), DataType: dt, Dims: []int64{3}, FloatData: []float32{1}}, `tensor "a": float_data holds 1 values`},
		{&onnxpb.TensorProto{Name: proto.String("b"), DataType: dt, Dims: []int64{1 << 40}}, "exceed"},
		{&onnxpb.TensorProto{Name: proto.String("c"), DataType: proto.Int32(int32(onnxpb.TensorProto_COMPLEX64)), Dims: []int64{1}}, "COMPLEX64"},
		{&onnxpb.TensorProto{Name: proto.String("d"), DataType: dt, Dims: []int64{1}, DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("x.bin")}}}, "no model folder"},
	} {
		_, err := DecodeTensor(marshal(t, c.tp))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	if _, err := DecodeTensor([]byte{0xff, 0xff}); err == nil {
		t.Error("garbage accepted")
	}
}

func TestTensorRoundTrip(t *testing.T) {
	for _, in := range []*layers.Tensor{
		layers.FromFloat32([]float32{1, -2.5, float32(math.Inf(-1)), 3e-39}, 2, 2),
		layers.FromInt64([]int64{-1, 1 << 50}, 2),
	} {
		got, err := DecodeTensor(marshal(t, tensorToProto("t", in)))
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != in.DType || got.String() != in.String() || got.Len() != in.Len() {
			t.Fatalf("got %v, want %v", got, in)
		}
		for i := range in.F {
			if got.F[i] != in.F[i] {
				t.Fatalf("got %v, want %v", got.F, in.F)
			}
		}
		for i := range in.I {
			if got.I[i] != in.I[i] {
				t.Fatalf("got %v, want %v", got.I, in.I)
			}
		}
	}
}
