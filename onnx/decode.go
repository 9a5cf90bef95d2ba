package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/onnx/internal/onnxpb"
)

// Versions this importer accepts. IR 3 is the first with opset imports;
// default-domain opsets 1 to 21: PyTorch exports from 7 on (Gelu arrived in
// 20); the versions of opsets 1 to 6 that differ are normalised or
// rejected per node (see normaliseBefore7).
const (
	minIRVersion = 3
	maxIRVersion = 10
	minOpset     = 1
	maxOpset     = 21
)

// Load reads, validates and imports the ONNX model at path. External data
// is resolved relative to the model's folder. Errors name the file.
func Load(path string) (*layers.Graph, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	g, err := decode(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	return g, nil
}

// Decode imports an ONNX model from memory. dir is the folder external-data
// locations are relative to ("" refuses external data).
func Decode(data []byte, dir string) (*layers.Graph, error) {
	g, err := decode(data, dir)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return g, nil
}

func decode(data []byte, dir string) (*layers.Graph, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a valid ONNX protobuf: %w", err)
	}
	g, opset, err := buildGraph(&m, dir)
	if err != nil {
		return nil, err
	}
	return importGraph(g, opset)
}

// importGraph runs the import passes on a structurally valid graph: opset
// normalisation and constant folding (one pass in topological order, so a
// folded value is constant for the nodes after it), BatchNorm folding,
// activation fusion and dead-code removal.
func importGraph(g *layers.Graph, opset int64) (*layers.Graph, error) {
	if err := normaliseAndFold(g, opset); err != nil {
		return nil, err
	}
	if err := foldStaticShapes(g); err != nil {
		return nil, err
	}
	foldBatchNorm(g)
	fuseActivations(g)
	prune(g)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("after import: %w", err)
	}
	return g, nil
}

// buildGraph converts the protobuf model into a layers.Graph with ONNX
// operator names and attributes as they are in the file, checking versions,
// names and tensor data, and sorting the nodes topologically.
func buildGraph(m *onnxpb.ModelProto, dir string) (*layers.Graph, int64, error) {
	ir := m.GetIrVersion()
	if m.IrVersion == nil {
		return nil, 0, errors.New("ir_version is missing")
	}
	if ir < minIRVersion || ir > maxIRVersion {
		return nil, 0, fmt.Errorf("ir_version %d is not supported (want %d to %d)", ir, minIRVersion, maxIRVersion)
	}
	opset := int64(-1)
	otherDomains := map[string]bool{}
	for _, os := range m.GetOpsetImport() {
		switch os.GetDomain() {
		case "", "ai.onnx":
			opset = max(opset, os.GetVersion())
		default:
			otherDomains[os.GetDomain()] = true
		}
	}
	if opset < 0 {
		return nil, 0, errors.New("opset_import has no entry for the default ONNX domain")
	}
	if opset < minOpset || opset > maxOpset {
		return nil, 0, fmt.Errorf("opset %d is not supported (want %d to %d)", opset, minOpset, maxOpset)
	}
	gp := m.GetGraph()
	if gp == nil {
		return nil, 0, errors.New("model has no graph")
	}
	g := &layers.Graph{
		Name:         gp.GetName(),
		Initializers: make(map[string]*layers.Tensor, len(gp.GetInitializer())),
		Opset:        opset,
		Producer:     m.GetProducerName(),
	}
	if v := m.GetProducerVersion(); v != "" && g.Producer != "" {
		g.Producer += " " + v
	}
	if len(gp.GetSparseInitializer()) > 0 {
		return nil, 0, fmt.Errorf("sparse initializer %q: sparse tensors are not supported", gp.GetSparseInitializer()[0].GetValues().GetName())
	}
	for i, tp := range gp.GetInitializer() {
		name := tp.GetName()
		if name == "" {
			return nil, 0, fmt.Errorf("initializer %d has no name", i)
		}
		if _, dup := g.Initializers[name]; dup {
			return nil, 0, fmt.Errorf("initializer %q is defined twice", name)
		}
		t, err := tensorFromProto(tp, dir)
		if err != nil {
			return nil, 0, fmt.Errorf("initializer %q: %w", name, err)
		}
		g.Initializers[name] = t
	}
	seenInput := map[string]bool{}
	for _, vi := range gp.GetInput() {
		if seenInput[vi.GetName()] {
			return nil, 0, fmt.Errorf("graph input %q is listed twice", vi.GetName())
		}
		seenInput[vi.GetName()] = true
		// Old exporters list initializers among the inputs: they are constants.
		if _, ok := g.Initializers[vi.GetName()]; ok {
			continue
		}
		v, err := valueInfo(vi)
		if err != nil {
			return nil, 0, fmt.Errorf("graph input %q: %w", vi.GetName(), err)
		}
		g.Inputs = append(g.Inputs, v)
	}
	for _, vi := range gp.GetOutput() {
		v, err := valueInfo(vi)
		if err != nil {
			return nil, 0, fmt.Errorf("graph output %q: %w", vi.GetName(), err)
		}
		g.Outputs = append(g.Outputs, v)
	}
	if len(g.Outputs) == 0 {
		return nil, 0, errors.New("graph has no outputs")
	}
	names := map[string]bool{}
	for i, np := range gp.GetNode() {
		n, err := nodeFromProto(np, i, dir, names)
		if err != nil {
			return nil, 0, err
		}
		if d := np.GetDomain(); d != "" && d != "ai.onnx" {
			return nil, 0, fmt.Errorf("node %q (%s): operator domain %q is not supported", n.Name, n.Op, d)
		}
		g.Nodes = append(g.Nodes, n)
	}
	if err := checkNames(g); err != nil {
		return nil, 0, err
	}
	if err := sortTopologically(g); err != nil {
		return nil, 0, err
	}
	return g, opset, nil
}

// valueInfo converts a graph input or output description. Unknown and
// symbolic dimensions become -1.
func valueInfo(vi *onnxpb.ValueInfoProto) (layers.ValueInfo, error) {
	v := layers.ValueInfo{Name: vi.GetName()}
	if v.Name == "" {
		return v, errors.New("no name")
	}
	tt := vi.GetType().GetTensorType()
	if vi.GetType() == nil {
		return v, nil // type unknown: allowed for outputs of old exporters
	}
	if tt == nil {
		return v, errors.New("not a tensor (sequence, map and optional values are not supported)")
	}
	dt, err := layersDType(tt.GetElemType())
	if err != nil {
		return v, err
	}
	v.DType = dt
	if tt.GetShape() == nil {
		return v, nil
	}
	for _, d := range tt.GetShape().GetDim() {
		switch {
		case d.GetDimParam() != "":
			v.Shape = append(v.Shape, -1)
			v.DimNames = append(v.DimNames, d.GetDimParam())
		case d.Value == nil:
			v.Shape = append(v.Shape, -1)
			v.DimNames = append(v.DimNames, "")
		default:
			if d.GetDimValue() < 0 || d.GetDimValue() > MaxElements {
				return v, fmt.Errorf("dimension %d is out of range", d.GetDimValue())
			}
			v.Shape = append(v.Shape, int(d.GetDimValue()))
			v.DimNames = append(v.DimNames, "")
		}
	}
	return v, nil
}

// nodeFromProto converts one node. Nodes without a name get one made of
// their operator and index, so that errors and reports can name them.
func nodeFromProto(np *onnxpb.NodeProto, index int, dir string, names map[string]bool) (*layers.Node, error) {
	n := &layers.Node{
		Name:    np.GetName(),
		Op:      np.GetOpType(),
		Inputs:  append([]string(nil), np.GetInput()...),
		Outputs: append([]string(nil), np.GetOutput()...),
		Attrs:   layers.Attrs{},
	}
	if n.Name == "" || names[n.Name] {
		base := n.Name
		if base == "" {
			base = n.Op + "_" + strconv.Itoa(index)
		}
		n.Name = base
		for k := 2; names[n.Name]; k++ {
			n.Name = base + "_" + strconv.Itoa(k)
		}
	}
	names[n.Name] = true
	if n.Op == "" {
		return nil, fmt.Errorf("node %q has no op_type", n.Name)
	}
	for _, a := range np.GetAttribute() {
		v, err := attrValue(a, dir)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): attribute %q: %w", n.Name, n.Op, a.GetName(), err)
		}
		if v == nil {
			continue
		}
		if want := attrKinds[a.GetName()]; want != "" && (np.GetDomain() == "" || np.GetDomain() == "ai.onnx") && attrKind(v) != want {
			return nil, fmt.Errorf("node %q (%s): attribute %q is %s, want %s", n.Name, n.Op, a.GetName(), attrKind(v), want)
		}
		n.Attrs[a.GetName()] = v
	}
	return n, nil
}

// attrKinds is the type ONNX gives attributes whose type is the same for
// every standard operator. Kernels read attributes with typed getters that
// fall back to the default, so a wrongly typed one (transB as a string)
// would otherwise be ignored silently and give wrong outputs.
var attrKinds = map[string]string{
	"axis": "int", "keepdims": "int", "group": "int", "transA": "int", "transB": "int",
	"ceil_mode": "int", "count_include_pad": "int", "storage_order": "int", "broadcast": "int",
	"blocksize": "int", "size": "int", "select_last_index": "int", "noop_with_empty_axes": "int",
	"alpha": "float", "beta": "float", "gamma": "float", "epsilon": "float", "bias": "float",
	"kernel_shape": "ints", "strides": "ints", "pads": "ints", "dilations": "ints",
	"output_padding": "ints", "output_shape": "ints", "perm": "ints", "axes": "ints",
	"auto_pad": "string",
}

// attrKind names the type of an attribute value as attrKinds does.
func attrKind(v any) string {
	switch v.(type) {
	case int64:
		return "int"
	case float32:
		return "float"
	case string:
		return "string"
	case []int64:
		return "ints"
	case []float32:
		return "floats"
	case []string:
		return "strings"
	case *layers.Tensor:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}

// attrValue converts an attribute to the layers.Attrs value types. Graph
// attributes (If, Loop, Scan bodies) are dropped: those operators are not
// supported and Compile names them.
func attrValue(a *onnxpb.AttributeProto, dir string) (any, error) {
	typ := a.GetType()
	if typ == onnxpb.AttributeProto_UNDEFINED {
		// IR < 2 files leave the type out: infer it from the field set.
		switch {
		case a.F != nil:
			typ = onnxpb.AttributeProto_FLOAT
		case a.I != nil:
			typ = onnxpb.AttributeProto_INT
		case a.S != nil:
			typ = onnxpb.AttributeProto_STRING
		case a.T != nil:
			typ = onnxpb.AttributeProto_TENSOR
		case len(a.Floats) > 0:
			typ = onnxpb.AttributeProto_FLOATS
		case len(a.Ints) > 0:
			typ = onnxpb.AttributeProto_INTS
		case len(a.Strings) > 0:
			typ = onnxpb.AttributeProto_STRINGS
		}
	}
	switch typ {
	case onnxpb.AttributeProto_FLOAT:
		return a.GetF(), nil
	case onnxpb.AttributeProto_INT:
		return a.GetI(), nil
	case onnxpb.AttributeProto_STRING:
		return string(a.GetS()), nil
	case onnxpb.AttributeProto_FLOATS:
		return append([]float32{}, a.GetFloats()...), nil
	case onnxpb.AttributeProto_INTS:
		return append([]int64{}, a.GetInts()...), nil
	case onnxpb.AttributeProto_STRINGS:
		s := make([]string, len(a.GetStrings()))
		for i, b := range a.GetStrings() {
			s[i] = string(b)
		}
		return s, nil
	case onnxpb.AttributeProto_TENSOR:
		if a.GetT() == nil {
			return nil, errors.New("tensor attribute without a tensor")
		}
		return tensorFromProto(a.GetT(), dir)
	case onnxpb.AttributeProto_GRAPH, onnxpb.AttributeProto_GRAPHS:
		return nil, nil
	}
	return nil, fmt.Errorf("attribute type %s is not supported", typ)
}

// checkNames rejects values produced twice and inputs that nothing
// defines, and checks that every graph output is produced.
func checkNames(g *layers.Graph) error {
	defined := map[string]string{}
	for _, in := range g.Inputs {
		defined[in.Name] = "graph input"
	}
	for name := range g.Initializers {
		defined[name] = "initializer"
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if by, dup := defined[o]; dup {
				return fmt.Errorf("node %q (%s): output %q is already defined by %s", n.Name, n.Op, o, by)
			}
			defined[o] = fmt.Sprintf("node %q", n.Name)
		}
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && defined[in] == "" {
				return fmt.Errorf("node %q (%s): input %q is not a graph input, an initializer or any node's output (missing initializer?)", n.Name, n.Op, in)
			}
		}
	}
	for _, o := range g.Outputs {
		if defined[o.Name] == "" {
			return fmt.Errorf("graph output %q is not produced by any node", o.Name)
		}
	}
	return nil
}

// sortTopologically orders g.Nodes so that every value is produced before
// it is read, keeping the file's order where it already is one, and
// reports a cycle.
func sortTopologically(g *layers.Graph) error {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				producer[o] = i
			}
		}
	}
	waiting := make([]int, len(g.Nodes))
	readers := make([][]int, len(g.Nodes))
	sorted := true
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if p, ok := producer[in]; ok && in != "" {
				waiting[i]++
				readers[p] = append(readers[p], i)
				if p >= i {
					sorted = false
				}
			}
		}
	}
	if sorted {
		return nil
	}
	// Kahn's algorithm; ready nodes are taken in file order (a min-heap
	// would be exact, a sorted insert is enough for model-sized graphs).
	var ready []int
	for i := range g.Nodes {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	order := make([]*layers.Node, 0, len(g.Nodes))
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		order = append(order, g.Nodes[i])
		for _, r := range readers[i] {
			waiting[r]--
			if waiting[r] == 0 {
				ready = insertSorted(ready, r)
			}
		}
	}
	if len(order) != len(g.Nodes) {
		for i, n := range g.Nodes {
			if waiting[i] > 0 {
				return fmt.Errorf("node %q (%s) is part of a cycle", n.Name, n.Op)
			}
		}
	}
	g.Nodes = order
	return nil
}

func insertSorted(s []int, v int) []int {
	i := len(s)
	for i > 0 && s[i-1] > v {
		i--
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}
