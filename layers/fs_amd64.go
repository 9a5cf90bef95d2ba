package layers

//go:noescape
func fsAVX2(n int, src, dst, h, th, d *float32, k int) (spikes int64)

// fsMaxAsm bounds one assembly call so that no 32-bit lane counter can
// overflow (each lane counts at most fsMaxAsm/8·K spikes).
const fsMaxAsm = 1 << 20

// fsRun runs the FS neuron on src into dst and returns the spike count:
// AVX2 for whole blocks of 32 neurons where the CPU has it, Go otherwise.
func fsRun(h, th, d, src, dst []float32) int64 {
	k := len(h)
	if !hasAVX2FMA || k == 0 || len(src) < 32 {
		return fsBlock(h, th, d, src, dst)
	}
	_, _ = th[k-1], d[k-1]
	dst = dst[:len(src)]
	var spikes int64
	for len(src) >= 32 {
		n := min(len(src), fsMaxAsm) &^ 31
		spikes += fsAVX2(n, &src[0], &dst[0], &h[0], &th[0], &d[0], k)
		src, dst = src[n:], dst[n:]
	}
	return spikes + fsBlock(h, th, d, src, dst)
}
