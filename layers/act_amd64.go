package layers

//go:noescape
func sigmoidAVX2(n int, src, dst *float32)

//go:noescape
func siluAVX2(n int, src, dst *float32)

//go:noescape
func geluAVX2(n int, src, dst *float32)

//go:noescape
func hardSwishAVX2(n int, src, dst *float32)

//go:noescape
func reluAVX2(n int, src, dst *float32)

//go:noescape
func tanhAVX2(n int, src, dst *float32)

// vecRow runs asm on the largest multiple of 8 elements and goRow on the
// rest; goRow alone without AVX2.
func vecRow(asm func(n int, src, dst *float32), goRow func(dst, src []float32), dst, src []float32) {
	n := len(src) &^ 7
	if !hasAVX2FMA || n == 0 {
		goRow(dst, src)
		return
	}
	_ = dst[len(src)-1]
	asm(n, &src[0], &dst[0])
	goRow(dst[n:len(src)], src[n:])
}

//go:generate python3 gen/act_avx512.py

//go:noescape
func sigmoidAVX512(n int, src, dst *float32)

//go:noescape
func siluAVX512(n int, src, dst *float32)

//go:noescape
func geluAVX512(n int, src, dst *float32)

//go:noescape
func hardSwishAVX512(n int, src, dst *float32)

//go:noescape
func reluAVX512(n int, src, dst *float32)

//go:noescape
func softplusAVX512(n int, src, dst *float32)

// softplusRow runs the 16-lane softplus on the whole row with AVX-512 (no
// 8-lane version), else softplusRowGo.
func softplusRow(dst, src []float32) {
	if !hasAVX512 || len(src) == 0 {
		softplusRowGo(dst, src)
		return
	}
	_ = dst[len(src)-1]
	softplusAVX512(len(src), &src[0], &dst[0])
}

// vecRow512 is vecRow with the 16-lane kernel (the same instructions as
// the 8-lane one, so the same bits) on the whole row, its tail under a
// mask: with AVX-512 every element takes the same code whatever the row,
// so callers may apply an activation to any split of a tensor (across
// planes, images or threads) and get the same bits.
func vecRow512(asm512, asm func(n int, src, dst *float32), goRow func(dst, src []float32), dst, src []float32) {
	if !hasAVX512 || len(src) == 0 {
		vecRow(asm, goRow, dst, src)
		return
	}
	_ = dst[len(src)-1]
	asm512(len(src), &src[0], &dst[0])
}

func sigmoidRow(dst, src []float32) { vecRow512(sigmoidAVX512, sigmoidAVX2, sigmoidRowGo, dst, src) }
func siluRow(dst, src []float32)    { vecRow512(siluAVX512, siluAVX2, siluRowGo, dst, src) }
func geluRow(dst, src []float32)    { vecRow512(geluAVX512, geluAVX2, geluRowGo, dst, src) }
func hardSwishRow(dst, src []float32) {
	vecRow512(hardSwishAVX512, hardSwishAVX2, hardSwishRowGo, dst, src)
}
func reluRow(dst, src []float32) { vecRow512(reluAVX512, reluAVX2, reluRowGo, dst, src) }
func tanhRow(dst, src []float32) { vecRow(tanhAVX2, tanhRowGo, dst, src) }
