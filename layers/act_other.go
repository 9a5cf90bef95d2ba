//go:build !amd64

package layers

func sigmoidRow(dst, src []float32)   { sigmoidRowGo(dst, src) }
func siluRow(dst, src []float32)      { siluRowGo(dst, src) }
func geluRow(dst, src []float32)      { geluRowGo(dst, src) }
func hardSwishRow(dst, src []float32) { hardSwishRowGo(dst, src) }
func reluRow(dst, src []float32)      { reluRowGo(dst, src) }
