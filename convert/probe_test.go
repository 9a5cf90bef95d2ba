package convert

import (
	"testing"

	"github.com/fewspikes/fewspikes/layers"
	"github.com/fewspikes/fewspikes/models"
	"github.com/fewspikes/fewspikes/onnx"
)

// outputErrorVariants runs only the part of the SNN downstream of each
// changed site; its results must be those of whole runs, bit for bit, on
// nets with squeeze-excitation branches (effnet-se) and residual additions
// (resnet_gelu), with a short last batch, holding the base run's values
// for all batches at once or for one at a time.
func TestVariantsMatchWholeRuns(t *testing.T) {
	md := models.Default()
	effnet, err := onnx.Decode(md.ONNX, "")
	if err != nil {
		t.Fatal(err)
	}
	resnet, err := onnx.Load("../testdata/resnet_gelu.op17.dyn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	images, _, err := models.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		g    *layers.Graph
	}{{"effnet-se", effnet}, {"resnet_gelu", resnet}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewModel(tc.name, tc.g, 0)
			if err != nil {
				t.Fatal(err)
			}
			x, err := FitToInput(Slice(images, 0, 40), m.Input)
			if err != nil {
				t.Fatal(err)
			}
			want, err := runBatches(m.prog, m.Input.Name, m.Output, x, 16, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			sites, err := FindSites(m.Graph, SiteOptions{Steps: 8})
			if err != nil {
				t.Fatal(err)
			}
			base := map[string]layers.FSParams{}
			var variants []SiteVariant
			for i, s := range sites {
				base[s.Node] = reluBinary(8, 4)
				// Every site changed once, alternately to a coarser and a
				// finer neuron.
				variants = append(variants, SiteVariant{Site: s.Node, Params: reluBinary(8, float32(2+4*(i%2)))})
			}
			b, res, err := m.outputErrorVariants(sites, base, variants, x, want, 16)
			if err != nil {
				t.Fatal(err)
			}
			// Kept a batch at a time, the values give the same results.
			b1, res1, err := m.outputErrorVariantsIn(sites, base, variants, x, want, 16, 1)
			if err != nil {
				t.Fatal(err)
			}
			if b1 != b || len(res1) != len(res) {
				t.Fatalf("one batch at a time: base %v, all at once %v", b1, b)
			}
			for i := range res {
				if res1[i] != res[i] {
					t.Fatalf("one batch at a time: site %q %v, all at once %v", variants[i].Site, res1[i], res[i])
				}
			}
			e, spk, err := m.outputError(sites, base, x, want, 16)
			if err != nil {
				t.Fatal(err)
			}
			if b.OutErr != e || b.SpikesPerNeuron != spk {
				t.Fatalf("base: %v %v, whole run %v %v", b.OutErr, b.SpikesPerNeuron, e, spk)
			}
			changed := 0
			for i, v := range variants {
				e, spk, err := m.outputError(sites, withSite(base, v), x, want, 16)
				if err != nil {
					t.Fatal(err)
				}
				if res[i].OutErr != e || res[i].SpikesPerNeuron != spk {
					t.Fatalf("site %q: %v %v, whole run %v %v", v.Site, res[i].OutErr, res[i].SpikesPerNeuron, e, spk)
				}
				if e != b.OutErr {
					changed++
				}
			}
			if changed == 0 {
				t.Fatal("no variant changed the output error: the test would not see a wrong cone")
			}
		})
	}
}

// A site on a branch that does not reach the output has no cone to run
// alone: the probe then measures every variant whole, with the same
// results as whole runs (its spikes still count).
func TestVariantsDeadBranch(t *testing.T) {
	g := reluNet()
	g.Nodes = append(g.Nodes, &layers.Node{Name: "dead", Op: "Relu", Inputs: []string{"a"}, Outputs: []string{"unused"}, Attrs: layers.Attrs{}})
	m, err := NewModel("dead-branch", g, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := randomInputs(40, 8, 5)
	want, err := runBatches(m.prog, m.Input.Name, m.Output, x, 16, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sites, err := FindSites(g, SiteOptions{Steps: 8})
	if err != nil || len(sites) != 2 {
		t.Fatalf("sites %v, %v: want relu and dead", sites, err)
	}
	base := map[string]layers.FSParams{"relu": reluBinary(8, 4), "dead": reluBinary(8, 4)}
	variants := []SiteVariant{{Site: "relu", Params: reluBinary(8, 2)}, {Site: "dead", Params: reluBinary(8, 8)}}
	_, res, err := m.outputErrorVariants(sites, base, variants, x, want, 16)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range variants {
		e, spk, err := m.outputError(sites, withSite(base, v), x, want, 16)
		if err != nil {
			t.Fatal(err)
		}
		if res[i].OutErr != e || res[i].SpikesPerNeuron != spk {
			t.Fatalf("site %q: %v, whole run %v %v", v.Site, res[i], e, spk)
		}
	}
}
