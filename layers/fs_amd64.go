package layers

import "math"

//go:noescape
func fsAVX2(n int, src, dst, h, th, d *float32, k int) (spikes int64)

//go:noescape
func fsAVX512(n int, src, dst, h, th, d *float32, k int) (spikes int64)

//go:noescape
func fsAVX512Tail(n int, src, dst, h, th, d *float32, k int) (spikes int64)

//go:noescape
func fsAVX512Tail1(n int, src, dst, h, th, d *float32, k int) (spikes int64)

// fsMaxAsm bounds one assembly call so that no 32-bit lane counter can
// overflow (each lane counts at most fsMaxAsm/8·K spikes with AVX2,
// fsMaxAsm/16·K with AVX-512).
const fsMaxAsm = 1 << 20

// fsRun runs the FS neuron on src into dst and returns the spike count:
// AVX-512 in blocks of 64 and the rest sixteen at a time under a mask, or
// AVX2 in blocks of 32 neurons (a partial block padded to 32) where the CPU
// has them, Go otherwise.
func fsRun(h, th, d, src, dst []float32) int64 {
	k := len(h)
	if !hasAVX2FMA || k == 0 || len(src) == 0 {
		return fsBlock(h, th, d, src, dst)
	}
	_, _ = th[k-1], d[k-1]
	dst = dst[:len(src)]
	var spikes int64
	for hasAVX512 && len(src) >= 64 {
		n := min(len(src), fsMaxAsm) &^ 63
		spikes += fsAVX512(n, &src[0], &dst[0], &h[0], &th[0], &d[0], k)
		src, dst = src[n:], dst[n:]
	}
	if hasAVX512 {
		switch {
		case len(src) > 16:
			spikes += fsAVX512Tail(len(src), &src[0], &dst[0], &h[0], &th[0], &d[0], k)
		case len(src) > 0:
			spikes += fsAVX512Tail1(len(src), &src[0], &dst[0], &h[0], &th[0], &d[0], k)
		}
		return spikes
	}
	for len(src) >= 32 {
		n := min(len(src), fsMaxAsm) &^ 31
		spikes += fsAVX2(n, &src[0], &dst[0], &h[0], &th[0], &d[0], k)
		src, dst = src[n:], dst[n:]
	}
	if len(src) == 0 {
		return spikes
	}
	// The tail (or a run shorter than 32) goes through the vector kernel
	// too, padded with -Inf (below every threshold: no spike, and its
	// output is dropped): small planes, such as 7x7 feature maps run one
	// channel at a time, would otherwise spend most of their time in the
	// scalar loop.
	var in, out [32]float32
	n := copy(in[:], src)
	for i := n; i < len(in); i++ {
		in[i] = float32(math.Inf(-1))
	}
	spikes += fsAVX2(len(in), &in[0], &out[0], &h[0], &th[0], &d[0], k)
	copy(dst, out[:n])
	return spikes
}
