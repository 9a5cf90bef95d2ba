//go:build !amd64

package layers

const hasAVX2FMA = false

func kernel4x16(kc int, a, b, c []float32, ldc int) { kernel4x16Go(kc, a, b, c, ldc) }

func dot(x, y []float32) float32 { return dotGo(x, y) }

func axpy(alpha float32, x, y []float32) { axpyGo(alpha, x, y) }
