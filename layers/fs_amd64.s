#include "textflag.h"

// func fsAVX2(n int, src, dst, h, th, d *float32, k int) (spikes int64)
// Runs the FS neuron on n elements (n a multiple of 32): 32 neurons at a
// time as four independent 8-lane chains, one time step after another.
// Per step: mask = v > T[t] (ordered compare, false for NaN);
// o += d[t] & mask; v -= h[t] & mask; count -= mask (mask is -1 per spike).
// The same IEEE operations in the same order as FSForward: bit-identical.
TEXT ·fsAVX2(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI
	MOVQ h+24(FP), R8
	MOVQ th+32(FP), R9
	MOVQ d+40(FP), R10
	MOVQ k+48(FP), R11
	VPXOR Y8, Y8, Y8
	SHRQ $5, CX
	JZ   done

block:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VXORPS  Y4, Y4, Y4
	VXORPS  Y5, Y5, Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	XORQ    AX, AX

step:
	VBROADCASTSS (R9)(AX*4), Y9
	VBROADCASTSS (R8)(AX*4), Y10
	VBROADCASTSS (R10)(AX*4), Y11

	VCMPPS $0x1e, Y9, Y0, Y12
	VPSUBD Y12, Y8, Y8
	VANDPS Y11, Y12, Y13
	VADDPS Y13, Y4, Y4
	VANDPS Y10, Y12, Y12
	VSUBPS Y12, Y0, Y0

	VCMPPS $0x1e, Y9, Y1, Y14
	VPSUBD Y14, Y8, Y8
	VANDPS Y11, Y14, Y15
	VADDPS Y15, Y5, Y5
	VANDPS Y10, Y14, Y14
	VSUBPS Y14, Y1, Y1

	VCMPPS $0x1e, Y9, Y2, Y12
	VPSUBD Y12, Y8, Y8
	VANDPS Y11, Y12, Y13
	VADDPS Y13, Y6, Y6
	VANDPS Y10, Y12, Y12
	VSUBPS Y12, Y2, Y2

	VCMPPS $0x1e, Y9, Y3, Y14
	VPSUBD Y14, Y8, Y8
	VANDPS Y11, Y14, Y15
	VADDPS Y15, Y7, Y7
	VANDPS Y10, Y14, Y14
	VSUBPS Y14, Y3, Y3

	INCQ AX
	CMPQ AX, R11
	JLT  step

	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, 64(DI)
	VMOVUPS Y7, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	DECQ    CX
	JNZ     block

done:
	VEXTRACTI128 $1, Y8, X9
	VPADDD       X9, X8, X8
	VPSHUFD      $0x4e, X8, X9
	VPADDD       X9, X8, X8
	VPSHUFD      $0xb1, X8, X9
	VPADDD       X9, X8, X8
	VMOVD        X8, AX
	MOVQ         AX, spikes+56(FP)
	VZEROUPPER
	RET
