//go:build !amd64

package layers

func sigmoidRow(dst, src []float32)   { sigmoidRowGo(dst, src) }
func siluRow(dst, src []float32)      { siluRowGo(dst, src) }
func geluRow(dst, src []float32)      { geluRowGo(dst, src) }
func hardSwishRow(dst, src []float32) { hardSwishRowGo(dst, src) }
func reluRow(dst, src []float32)      { reluRowGo(dst, src) }
func tanhRow(dst, src []float32)      { tanhRowGo(dst, src) }

// arithRow reports that the caller's loop must compute the row (no vector
// code on this architecture).
func arithRow[T num](op byte, d, a []T, sa int, b []T, sb int) bool { return false }

func softplusRow(dst, src []float32) { softplusRowGo(dst, src) }
