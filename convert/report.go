package convert

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/fewspikes/fewspikes/internal/atomicfile"
	"github.com/fewspikes/fewspikes/layers"
)

// maxSitePlots bounds the number of per-site curve plots a report holds.
const maxSitePlots = 200

// Brief returns a copy of r without the bulky per-site data (input
// histograms and parameters), for printing.
func (r *Report) Brief() *Report {
	c := *r
	c.Sites = make([]SiteReport, len(r.Sites))
	for i, s := range r.Sites {
		s.Input, s.H, s.T, s.D, s.Bias = nil, nil, nil, nil, nil
		c.Sites[i] = s
	}
	return &c
}

// WriteReport writes report.md, report.json, sites.csv and PNG plots to
// dir (created if needed). Every file is written atomically.
func WriteReport(dir string, r *Report) error {
	// Encode before creating dir: a report that cannot be written must
	// not leave an empty folder behind.
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode JSON: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n')); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "sites.csv"), func(w io.Writer) error { return writeSitesCSV(w, r) }); err != nil {
		return err
	}
	var plots []string
	add := func(name string, p *plot.Plot, w, h vg.Length) error {
		if p == nil {
			return nil
		}
		if err := savePlot(filepath.Join(dir, name), p, w, h); err != nil {
			return err
		}
		plots = append(plots, name)
		return nil
	}
	if err := add("spikes-per-site.png", spikesPlot(r), 8*vg.Inch, 4*vg.Inch); err != nil {
		return err
	}
	if len(r.Sweep) > 1 {
		acc, spk := sweepPlots(r)
		if err := add("sweep-accuracy.png", acc, 6*vg.Inch, 4*vg.Inch); err != nil {
			return err
		}
		if err := add("sweep-spikes.png", spk, 6*vg.Inch, 4*vg.Inch); err != nil {
			return err
		}
	}
	var sitePlots []string
	for i, s := range r.Sites {
		if i >= maxSitePlots {
			break
		}
		p, err := siteCurvePlot(s)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("site-%03d-%s.png", i, safeName(s.Node))
		if err := savePlot(filepath.Join(dir, name), p, 5*vg.Inch, 3.5*vg.Inch); err != nil {
			return err
		}
		sitePlots = append(sitePlots, name)
	}
	return atomicfile.Write(filepath.Join(dir, "report.md"), func(w io.Writer) error {
		return writeMarkdown(w, r, plots, sitePlots)
	})
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func savePlot(path string, p *plot.Plot, w, h vg.Length) error {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return atomicfile.Write(path, func(out io.Writer) error {
		_, err := wt.WriteTo(out)
		return err
	})
}

func writeSitesCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"node", "op", "activation", "steps", "neurons", "spikes_per_neuron", "mse", "max_abs_error", "source", "fit_lo", "fit_hi", "input_min", "input_max", "input_mean", "input_std"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, s := range r.Sites {
		row := []string{s.Node, s.Op, s.Activation, strconv.Itoa(s.Steps), strconv.FormatInt(s.Neurons, 10),
			f(float64(s.SpikesPerNeuron)), f(s.MSE), f(s.MaxAbsError), s.Source, f(s.FitRange[0]), f(s.FitRange[1])}
		if s.Input != nil {
			row = append(row, f(s.Input.Min), f(s.Input.Max), f(s.Input.Mean), f(s.Input.Std))
		} else {
			row = append(row, "", "", "", "")
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// pct formats a fraction as a percentage, or "n/a".
func pct(f Float) string {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

func num(f Float) string {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", v)
}

// WriteSummary writes the human-readable summary table of r.
func WriteSummary(w io.Writer, r *Report) {
	fmt.Fprintf(w, "model %s, %d samples, K=%d, %d sites (calibrated on %d samples)\n\n", r.Model, r.Samples, r.Steps, len(r.Sites), r.CalibSamples)
	fmt.Fprintf(w, "  %-26s %14s %14s\n", "", "ANN", "SNN")
	if r.Labelled {
		fmt.Fprintf(w, "  %-26s %14s %14s\n", "top-1 accuracy", pct(r.ANNAccuracy), pct(r.SNNAccuracy))
	}
	fmt.Fprintf(w, "  %-26s %14s\n", "top-1 agreement", pct(r.Agreement))
	fmt.Fprintf(w, "  %-26s %14.4g\n", "output MSE (SNN vs ANN)", r.Fidelity.MSE)
	fmt.Fprintf(w, "  %-26s %14s %14d\n", "neurons / sample", "", r.Neurons)
	fmt.Fprintf(w, "  %-26s %14s %14s\n", "spikes / neuron", "", num(r.SpikesPerNeuron))
	fmt.Fprintf(w, "  %-26s %14.4g %14.4g\n", "MACs / sample", r.MACs, r.AnalogMACs)
	fmt.Fprintf(w, "  %-26s %14s %14.4g\n", "synaptic ops / sample", "", r.Synops)
	fmt.Fprintf(w, "  %-26s %14.4g %14.4g\n", "energy / sample (nJ)", r.Energy.ANN/1000, r.Energy.SNN/1000)
	fmt.Fprintf(w, "  %-26s %14.3f %14.3f\n", "evaluation time (s)", r.Seconds.ANN, r.Seconds.SNN)
	width := len("site")
	for _, s := range r.Sites {
		width = max(width, len(s.Node))
	}
	fmt.Fprintf(w, "\n  %-*s %-11s %3s %8s %8s %10s %8s\n", width, "site", "activation", "K", "neurons", "spk/neu", "mse", "params")
	for _, s := range r.Sites {
		fmt.Fprintf(w, "  %-*s %-11s %3d %8d %8s %10.3g %8s\n", width, s.Node, s.Activation, s.Steps, s.Neurons, num(s.SpikesPerNeuron), s.MSE, s.SourceLabel())
	}
	if len(r.AnalogOps) > 0 {
		ops := map[string]int{}
		var order []string
		for _, a := range r.AnalogOps {
			if ops[a.Op] == 0 {
				order = append(order, a.Op)
			}
			ops[a.Op]++
		}
		fmt.Fprintf(w, "\n  analog operations:")
		for _, op := range order {
			fmt.Fprintf(w, " %s x%d", op, ops[op])
		}
		fmt.Fprintln(w)
	}
	if len(r.Sweep) > 1 {
		fmt.Fprintf(w, "\n  %4s %10s %10s %8s %12s %12s\n", "K", "SNN acc", "agreement", "spk/neu", "synops", "SNN nJ")
		for _, p := range r.Sweep {
			fmt.Fprintf(w, "  %4d %10s %10s %8s %12.4g %12.4g\n", p.Steps, pct(p.SNNAccuracy), pct(p.Agreement), num(p.SpikesPerNeuron), p.Synops, p.Energy.SNN/1000)
		}
	}
}

func writeMarkdown(w io.Writer, r *Report, plots, sitePlots []string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# fewspikes report: %s\n\n", r.Model)
	fmt.Fprintf(&b, "K = %d FS time steps, %d evaluation samples, calibration on %d samples.\n\n", r.Steps, r.Samples, r.CalibSamples)
	fmt.Fprintf(&b, "| | ANN | SNN |\n|---|---|---|\n")
	if r.Labelled {
		fmt.Fprintf(&b, "| top-1 accuracy | %s | %s |\n", pct(r.ANNAccuracy), pct(r.SNNAccuracy))
	}
	fmt.Fprintf(&b, "| top-1 agreement | | %s |\n", pct(r.Agreement))
	fmt.Fprintf(&b, "| output MSE / max error / PSNR / cosine | | %.4g / %.4g / %.1f dB / %.6f |\n", r.Fidelity.MSE, r.Fidelity.MaxAbsError, r.Fidelity.PSNR, r.Fidelity.Cosine)
	fmt.Fprintf(&b, "| neurons per sample | | %d |\n| spikes per neuron | | %s |\n", r.Neurons, num(r.SpikesPerNeuron))
	fmt.Fprintf(&b, "| MACs per sample | %.4g | %.4g (on non-spike inputs) |\n", r.MACs, r.AnalogMACs)
	fmt.Fprintf(&b, "| synaptic operations per sample | | %.4g |\n", r.Synops)
	fmt.Fprintf(&b, "| energy per sample | %.4g nJ | %.4g nJ |\n", r.Energy.ANN/1000, r.Energy.SNN/1000)
	fmt.Fprintf(&b, "| evaluation time | %.3f s | %.3f s |\n\n", r.Seconds.ANN, r.Seconds.SNN)
	fmt.Fprintf(&b, "**Energy assumption.** %s\n\n", r.Assumption)
	if len(r.Sweep) > 1 {
		fmt.Fprintf(&b, "## K sweep\n\n| K | SNN accuracy | agreement | spikes/neuron | synops | SNN energy (nJ) | mean site MSE |\n|---|---|---|---|---|---|---|\n")
		for _, p := range r.Sweep {
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %.4g | %.4g | %.3g |\n", p.Steps, pct(p.SNNAccuracy), pct(p.Agreement), num(p.SpikesPerNeuron), p.Synops, p.Energy.SNN/1000, p.MeanSiteMSE)
		}
		b.WriteString("\n")
	}
	for _, p := range plots {
		fmt.Fprintf(&b, "![%s](%s)\n\n", p, p)
	}
	fmt.Fprintf(&b, "## Sites\n\nThe fit error is measured on the site's calibration inputs.\n\n| node | op | activation | K | neurons | spikes/neuron | MSE | max error | parameters | fit range | input mean ± std |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Sites {
		in := ""
		if s.Input != nil {
			in = fmt.Sprintf("%.3g ± %.3g", s.Input.Mean, s.Input.Std)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %s | %.3g | %.3g | %s | [%.3g, %.3g] | %s |\n", s.Node, s.Op, s.Activation, s.Steps, s.Neurons, num(s.SpikesPerNeuron), s.MSE, s.MaxAbsError, s.SourceLabel(), s.FitRange[0], s.FitRange[1], in)
	}
	fmt.Fprintf(&b, "\n## Layers\n\n| node | op | MACs/sample | input | synops/sample |\n|---|---|---|---|---|\n")
	for _, l := range r.Layers {
		kind := "analog"
		if l.SpikingInput {
			kind = "spikes"
		}
		fmt.Fprintf(&b, "| %s | %s | %.4g | %s | %.4g |\n", l.Node, l.Op, l.MACs, kind, l.Synops)
	}
	if len(r.AnalogOps) > 0 {
		fmt.Fprintf(&b, "\n## Analog operations\n\nThese run on real values in the SNN, as in the ANN.\n\n| node | op | why |\n|---|---|---|\n")
		for _, a := range r.AnalogOps {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", a.Node, a.Op, a.Reason)
		}
	}
	if len(sitePlots) > 0 {
		fmt.Fprintf(&b, "\n## FS curves over the input distributions\n\n")
		for _, p := range sitePlots {
			fmt.Fprintf(&b, "![%s](%s)\n", p, p)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func spikesPlot(r *Report) *plot.Plot {
	if len(r.Sites) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: spikes per neuron per site (K=%d)", r.Model, r.Steps)
	p.Y.Label.Text = "spikes per neuron"
	p.X.Label.Text = "site (graph order)"
	vals := make(plotter.Values, len(r.Sites))
	for i, s := range r.Sites {
		v := float64(s.SpikesPerNeuron)
		if math.IsNaN(v) {
			v = 0
		}
		vals[i] = v
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(max(2, 400/float64(len(vals)))))
	if err != nil {
		return nil
	}
	p.Add(bars)
	return p
}

func sweepPlots(r *Report) (acc, spk *plot.Plot) {
	acc = plot.New()
	acc.Title.Text = r.Model + ": accuracy against K"
	acc.X.Label.Text = "K (time steps)"
	acc.Y.Label.Text = "top-1 (%)"
	spk = plot.New()
	spk.Title.Text = r.Model + ": spikes per neuron against K"
	spk.X.Label.Text = "K (time steps)"
	spk.Y.Label.Text = "spikes per neuron"
	var snnAcc, agree, spikes plotter.XYs
	for _, p := range r.Sweep {
		k := float64(p.Steps)
		if v := float64(p.SNNAccuracy); !math.IsNaN(v) {
			snnAcc = append(snnAcc, plotter.XY{X: k, Y: 100 * v})
		}
		if v := float64(p.Agreement); !math.IsNaN(v) {
			agree = append(agree, plotter.XY{X: k, Y: 100 * v})
		}
		if v := float64(p.SpikesPerNeuron); !math.IsNaN(v) {
			spikes = append(spikes, plotter.XY{X: k, Y: v})
		}
	}
	addLine := func(p *plot.Plot, name string, xy plotter.XYs, idx int) {
		if len(xy) == 0 {
			return
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return
		}
		l.Color = plotColor(idx)
		pts.Color = plotColor(idx)
		p.Add(l, pts)
		p.Legend.Add(name, l)
	}
	addLine(acc, "SNN top-1", snnAcc, 0)
	addLine(acc, "agreement with ANN", agree, 1)
	if a := float64(r.ANNAccuracy); !math.IsNaN(a) && len(r.Sweep) > 0 {
		ann := plotter.XYs{{X: float64(r.Sweep[0].Steps), Y: 100 * a}, {X: float64(r.Sweep[len(r.Sweep)-1].Steps), Y: 100 * a}}
		addLine(acc, "ANN top-1", ann, 2)
	}
	addLine(spk, "spikes per neuron", spikes, 0)
	acc.Legend.Top = false
	acc.Legend.Left = false
	return acc, spk
}

// siteCurvePlot draws a site's activation, its FS approximation and the
// input histogram (scaled to the plot's height) over the site's input range.
func siteCurvePlot(s SiteReport) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (%s, K=%d, %s), MSE %.3g", s.Node, s.Activation, s.Steps, s.Source, s.MSE)
	p.X.Label.Text = "input"
	if s.Input == nil || len(s.H) == 0 {
		return p, nil
	}
	act, err := catalogueActivation(layers.Activation{Name: s.Activation})
	if err != nil {
		return nil, fmt.Errorf("plot site %q: %w", s.Node, err)
	}
	lo, hi := s.Input.Min, s.Input.Max
	if !(hi > lo) {
		lo, hi = lo-1, hi+1
	}
	params := layers.FSParams{H: s.H, T: s.T, D: s.D}
	const n = 400
	var fx, fs plotter.XYs
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i := 0; i <= n; i++ {
		x := lo + (hi-lo)*float64(i)/n
		y := act.F(x)
		o, _ := layers.FSForward(params, float32(x))
		fx = append(fx, plotter.XY{X: x, Y: y})
		fs = append(fs, plotter.XY{X: x, Y: float64(o)})
		ymin = math.Min(ymin, math.Min(y, float64(o)))
		ymax = math.Max(ymax, math.Max(y, float64(o)))
	}
	h := s.Input.Histogram
	peak := 0.0
	for _, c := range h.Counts {
		peak = math.Max(peak, c)
	}
	if peak > 0 && ymax > ymin {
		edges := h.Edges()
		var hist plotter.XYs
		for i, c := range h.Counts {
			y := ymin + 0.8*(ymax-ymin)*c/peak
			hist = append(hist, plotter.XY{X: edges[i], Y: y}, plotter.XY{X: edges[i+1], Y: y})
		}
		if l, err := plotter.NewLine(hist); err == nil {
			l.Color = plotColor(2)
			l.FillColor = plotColor(3)
			p.Add(l)
			p.Legend.Add("input distribution", l)
		}
	}
	for i, c := range []struct {
		name string
		xy   plotter.XYs
	}{{act.Name, fx}, {"FS neuron", fs}} {
		l, err := plotter.NewLine(c.xy)
		if err != nil {
			return nil, fmt.Errorf("plot site %q: %w", s.Node, err)
		}
		l.Color = plotColor(i)
		p.Add(l)
		p.Legend.Add(c.name, l)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return p, nil
}
