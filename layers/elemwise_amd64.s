#include "textflag.h"

// Elementwise float32 arithmetic, 8 lanes at a time with a scalar tail:
// one IEEE operation per element, exactly what the Go loops compute.

// func vsAddAVX2(n int, s float32, a, d *float32)
TEXT ·vsAddAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSS s+8(FP), Y0
	MOVQ a+16(FP), SI
	MOVQ d+24(FP), DI
vsaddavx28:
	CMPQ CX, $8
	JLT vsaddavx21
	VMOVUPS (SI), Y4
	VADDPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vsaddavx28
vsaddavx21:
	TESTQ CX, CX
	JE vsaddavx2done
	VMOVSS (SI), X4
	VADDSS X0, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP vsaddavx21
vsaddavx2done:
	VZEROUPPER
	RET

// func vsSubAVX2(n int, s float32, a, d *float32)
TEXT ·vsSubAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSS s+8(FP), Y0
	MOVQ a+16(FP), SI
	MOVQ d+24(FP), DI
vssubavx28:
	CMPQ CX, $8
	JLT vssubavx21
	VMOVUPS (SI), Y4
	VSUBPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vssubavx28
vssubavx21:
	TESTQ CX, CX
	JE vssubavx2done
	VMOVSS (SI), X4
	VSUBSS X0, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP vssubavx21
vssubavx2done:
	VZEROUPPER
	RET

// func vsMulAVX2(n int, s float32, a, d *float32)
TEXT ·vsMulAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSS s+8(FP), Y0
	MOVQ a+16(FP), SI
	MOVQ d+24(FP), DI
vsmulavx28:
	CMPQ CX, $8
	JLT vsmulavx21
	VMOVUPS (SI), Y4
	VMULPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vsmulavx28
vsmulavx21:
	TESTQ CX, CX
	JE vsmulavx2done
	VMOVSS (SI), X4
	VMULSS X0, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP vsmulavx21
vsmulavx2done:
	VZEROUPPER
	RET

// func vsDivAVX2(n int, s float32, a, d *float32)
TEXT ·vsDivAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSS s+8(FP), Y0
	MOVQ a+16(FP), SI
	MOVQ d+24(FP), DI
vsdivavx28:
	CMPQ CX, $8
	JLT vsdivavx21
	VMOVUPS (SI), Y4
	VDIVPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vsdivavx28
vsdivavx21:
	TESTQ CX, CX
	JE vsdivavx2done
	VMOVSS (SI), X4
	VDIVSS X0, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP vsdivavx21
vsdivavx2done:
	VZEROUPPER
	RET

// func svSubAVX2(n int, s float32, a, d *float32)
TEXT ·svSubAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSS s+8(FP), Y0
	MOVQ a+16(FP), SI
	MOVQ d+24(FP), DI
svsubavx28:
	CMPQ CX, $8
	JLT svsubavx21
	VMOVUPS (SI), Y4
	VSUBPS Y4, Y0, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP svsubavx28
svsubavx21:
	TESTQ CX, CX
	JE svsubavx2done
	VMOVSS (SI), X4
	VSUBSS X4, X0, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP svsubavx21
svsubavx2done:
	VZEROUPPER
	RET

// func svDivAVX2(n int, s float32, a, d *float32)
TEXT ·svDivAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSS s+8(FP), Y0
	MOVQ a+16(FP), SI
	MOVQ d+24(FP), DI
svdivavx28:
	CMPQ CX, $8
	JLT svdivavx21
	VMOVUPS (SI), Y4
	VDIVPS Y4, Y0, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP svdivavx28
svdivavx21:
	TESTQ CX, CX
	JE svdivavx2done
	VMOVSS (SI), X4
	VDIVSS X4, X0, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP svdivavx21
svdivavx2done:
	VZEROUPPER
	RET

// func vvAddAVX2(n int, a, b, d *float32)
TEXT ·vvAddAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ d+24(FP), DI
vvaddavx28:
	CMPQ CX, $8
	JLT vvaddavx21
	VMOVUPS (SI), Y4
	VMOVUPS (DX), Y5
	VADDPS Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vvaddavx28
vvaddavx21:
	TESTQ CX, CX
	JE vvaddavx2done
	VMOVSS (SI), X4
	VMOVSS (DX), X5
	VADDSS X5, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP vvaddavx21
vvaddavx2done:
	VZEROUPPER
	RET

// func vvSubAVX2(n int, a, b, d *float32)
TEXT ·vvSubAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ d+24(FP), DI
vvsubavx28:
	CMPQ CX, $8
	JLT vvsubavx21
	VMOVUPS (SI), Y4
	VMOVUPS (DX), Y5
	VSUBPS Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vvsubavx28
vvsubavx21:
	TESTQ CX, CX
	JE vvsubavx2done
	VMOVSS (SI), X4
	VMOVSS (DX), X5
	VSUBSS X5, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP vvsubavx21
vvsubavx2done:
	VZEROUPPER
	RET

// func vvMulAVX2(n int, a, b, d *float32)
TEXT ·vvMulAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ d+24(FP), DI
vvmulavx28:
	CMPQ CX, $8
	JLT vvmulavx21
	VMOVUPS (SI), Y4
	VMOVUPS (DX), Y5
	VMULPS Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vvmulavx28
vvmulavx21:
	TESTQ CX, CX
	JE vvmulavx2done
	VMOVSS (SI), X4
	VMOVSS (DX), X5
	VMULSS X5, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP vvmulavx21
vvmulavx2done:
	VZEROUPPER
	RET

// func vvDivAVX2(n int, a, b, d *float32)
TEXT ·vvDivAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ d+24(FP), DI
vvdivavx28:
	CMPQ CX, $8
	JLT vvdivavx21
	VMOVUPS (SI), Y4
	VMOVUPS (DX), Y5
	VDIVPS Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP vvdivavx28
vvdivavx21:
	TESTQ CX, CX
	JE vvdivavx2done
	VMOVSS (SI), X4
	VMOVSS (DX), X5
	VDIVSS X5, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP vvdivavx21
vvdivavx2done:
	VZEROUPPER
	RET
