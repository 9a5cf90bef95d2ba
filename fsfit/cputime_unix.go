//go:build unix

package fsfit

import "syscall"

// processCPUSeconds is the user+system CPU time of this process so far;
// fits are single-threaded, so its change over a fit is the fit's CPU
// time, a fairer speed figure than wall time on a shared machine.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
