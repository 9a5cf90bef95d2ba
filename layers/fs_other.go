//go:build !amd64

package layers

// fsRun runs the FS neuron on src into dst and returns the spike count.
func fsRun(h, th, d, src, dst []float32) int64 { return fsBlock(h, th, d, src, dst) }
