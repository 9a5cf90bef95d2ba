//go:build !unix

package fsfit

// processCPUSeconds is unavailable here; Result.CPUSeconds stays zero.
func processCPUSeconds() float64 { return 0 }
