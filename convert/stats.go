package convert

import (
	"math"
	"sort"
)

// HistogramBins is the number of bins of a site's input histogram.
const HistogramBins = 96

// maxSample bounds how many input values per site calibration keeps for
// percentiles, histograms and the fit error on real inputs.
const maxSample = 1 << 15

// Histogram counts values in equal-width bins over [Lo, Hi].
type Histogram struct {
	Lo     float64   `json:"lo"`
	Hi     float64   `json:"hi"`
	Counts []float64 `json:"counts"`
}

// Edges returns the len(Counts)+1 bin edges.
func (h Histogram) Edges() []float64 {
	e := make([]float64, len(h.Counts)+1)
	w := (h.Hi - h.Lo) / float64(len(h.Counts))
	for i := range e {
		e[i] = h.Lo + float64(i)*w
	}
	e[len(e)-1] = h.Hi
	return e
}

// Stats summarises the values a site received during calibration.
type Stats struct {
	Count     int64     `json:"count"`
	Min       float64   `json:"min"`
	Max       float64   `json:"max"`
	Mean      float64   `json:"mean"`
	Std       float64   `json:"std"`
	P001      float64   `json:"p0_1"`  // 0.1th percentile
	P999      float64   `json:"p99_9"` // 99.9th percentile
	Histogram Histogram `json:"histogram"`
	// Sample holds up to maxSample of the observed values, sorted; the fit
	// error on the site's real inputs is measured on it.
	Sample []float32 `json:"-"`
	// Channels holds, for inputs with a channel axis (axis 1), a strided
	// sample of each channel's values (up to maxChannelSample each), for
	// the per-channel output weights (channelD).
	Channels [][]float32 `json:"-"`
}

// maxChannelSample bounds the values per channel that calibration keeps.
const maxChannelSample = 1024

// channelSampler keeps a deterministic strided sample of each channel's
// values (axis 1 of the site's input) over calibration batches.
type channelSampler struct {
	stride int64
	seen   []int64
	sample [][]float32
}

func newChannelSampler(channels int, perChannel int64) *channelSampler {
	return &channelSampler{
		stride: max(1, (perChannel+maxChannelSample-1)/maxChannelSample),
		seen:   make([]int64, channels),
		sample: make([][]float32, channels),
	}
}

// add takes one batch [N, C, ...] whose C matches the sampler's.
func (c *channelSampler) add(xs []float32, shape []int) {
	if len(shape) < 2 || shape[1] != len(c.seen) {
		return
	}
	ch := shape[1]
	inner := len(xs) / max(1, shape[0]*ch)
	for p := 0; p < shape[0]*ch; p++ {
		k := p % ch
		for _, v := range xs[p*inner : (p+1)*inner] {
			if c.seen[k]%c.stride == 0 && len(c.sample[k]) < maxChannelSample {
				c.sample[k] = append(c.sample[k], v)
			}
			c.seen[k]++
		}
	}
}

// accumulator gathers one site's statistics over calibration batches. It
// keeps exact moments and extremes of every value and a strided sample
// (every stride-th value) for quantiles and the histogram; a stride fixed
// from the expected total keeps the sample deterministic and spread over
// the whole calibration set.
type accumulator struct {
	n          int64
	sum, sumsq float64
	min, max   float64
	stride     int64
	next       int64 // index (over all values seen) of the next value to keep
	sample     []float32
}

func newAccumulator(expected int64) *accumulator {
	stride := expected/maxSample + 1
	// An odd stride avoids locking onto one channel or position of
	// power-of-two shaped tensors.
	if stride > 1 && stride%2 == 0 {
		stride++
	}
	return &accumulator{min: math.Inf(1), max: math.Inf(-1), stride: stride}
}

func (a *accumulator) add(xs []float32) {
	var sum, sumsq float64
	mn, mx := a.min, a.max
	for _, v := range xs {
		f := float64(v)
		sum += f
		sumsq += f * f
		if f < mn {
			mn = f
		}
		if f > mx {
			mx = f
		}
	}
	a.sum += sum
	a.sumsq += sumsq
	a.min, a.max = mn, mx
	base := a.n
	a.n += int64(len(xs))
	for a.next < a.n {
		if len(a.sample) < maxSample {
			a.sample = append(a.sample, xs[a.next-base])
		}
		a.next += a.stride
	}
}

func (a *accumulator) stats() *Stats {
	s := &Stats{Count: a.n}
	if a.n == 0 {
		return s
	}
	s.Min, s.Max = a.min, a.max
	s.Mean = a.sum / float64(a.n)
	s.Std = math.Sqrt(math.Max(0, a.sumsq/float64(a.n)-s.Mean*s.Mean))
	sample := append([]float32(nil), a.sample...)
	sort.Slice(sample, func(i, j int) bool { return sample[i] < sample[j] })
	s.Sample = sample
	s.P001 = quantile(sample, 0.001)
	s.P999 = quantile(sample, 0.999)
	s.Histogram = histogram(sample, s.Min, s.Max, HistogramBins)
	return s
}

// quantile returns the q-quantile of sorted xs (linear interpolation).
func quantile(sorted []float32, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return float64(sorted[len(sorted)-1])
	}
	f := pos - float64(i)
	return float64(sorted[i])*(1-f) + float64(sorted[i+1])*f
}

// histogram counts xs in bins equal-width bins over [lo, hi]; values
// outside go to the end bins. A degenerate range is widened slightly.
func histogram(xs []float32, lo, hi float64, bins int) Histogram {
	if !(hi > lo) {
		lo, hi = lo-1e-3, hi+1e-3
	}
	h := Histogram{Lo: lo, Hi: hi, Counts: make([]float64, bins)}
	scale := float64(bins) / (hi - lo)
	for _, v := range xs {
		b := int((float64(v) - lo) * scale)
		b = max(0, min(bins-1, b))
		h.Counts[b]++
	}
	return h
}
