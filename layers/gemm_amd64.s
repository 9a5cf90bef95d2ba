#include "textflag.h"

// func sgemmKernel4x16AVX2(kc int, a, b, c *float32, ldc int)
// C[r][0:16] += sum_k a[k*4+r] * b[k*16+0:16] for r = 0..3, with a and b
// packed panels (see packA and packB in gemm.go).
TEXT ·sgemmKernel4x16AVX2(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JE    store

loop:
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS 4(SI), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS 8(SI), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS 12(SI), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $16, SI
	ADDQ         $64, DI
	DECQ         CX
	JNZ          loop

store:
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DX)
	VADDPS  32(DX), Y1, Y1
	VMOVUPS Y1, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y2, Y2
	VMOVUPS Y2, (DX)
	VADDPS  32(DX), Y3, Y3
	VMOVUPS Y3, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y4, Y4
	VMOVUPS Y4, (DX)
	VADDPS  32(DX), Y5, Y5
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y6, Y6
	VMOVUPS Y6, (DX)
	VADDPS  32(DX), Y7, Y7
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func dotAVX2(n int, x, y *float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   y+16(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dot32:
	CMPQ        CX, $32
	JLT         dot8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         dot32

dot8:
	CMPQ        CX, $8
	JLT         dotreduce
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot8

dotreduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0

dottail:
	TESTQ       CX, CX
	JE          dotdone
	VMOVSS      (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         dottail

dotdone:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func axpyAVX2(n int, alpha float32, x, y *float32)
// y[i] += alpha * x[i]
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI

axpy32:
	CMPQ        CX, $32
	JLT         axpy8
	VMOVUPS     (DI), Y4
	VMOVUPS     32(DI), Y5
	VMOVUPS     64(DI), Y6
	VMOVUPS     96(DI), Y7
	VFMADD231PS (SI), Y0, Y4
	VFMADD231PS 32(SI), Y0, Y5
	VFMADD231PS 64(SI), Y0, Y6
	VFMADD231PS 96(SI), Y0, Y7
	VMOVUPS     Y4, (DI)
	VMOVUPS     Y5, 32(DI)
	VMOVUPS     Y6, 64(DI)
	VMOVUPS     Y7, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         axpy32

axpy8:
	CMPQ        CX, $8
	JLT         axpytail
	VMOVUPS     (DI), Y4
	VFMADD231PS (SI), Y0, Y4
	VMOVUPS     Y4, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpy8

axpytail:
	TESTQ       CX, CX
	JE          axpydone
	VMOVSS      (DI), X4
	VFMADD231SS (SI), X0, X4
	VMOVSS      X4, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         axpytail

axpydone:
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func dotKernel4x3AVX2(k8 int, a *float32, lda int, b *float32, ldb int, out *float32)
// out[r*3+c] = sum over kk < 8*k8 of a[r*lda+kk] * b[c*ldb+kk], r < 4, c < 3:
// twelve dot products of rows of A with rows of B, for C = A·Bᵀ without
// packing (both operands are read along their contiguous rows).
TEXT ·dotKernel4x3AVX2(SB), NOSPLIT, $0-48
	MOVQ   k8+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), R8
	SHLQ   $2, R8
	MOVQ   b+24(FP), DI
	MOVQ   ldb+32(FP), R9
	SHLQ   $2, R9
	MOVQ   out+40(FP), DX
	LEAQ   (SI)(R8*1), R10
	LEAQ   (R10)(R8*1), R11
	LEAQ   (R11)(R8*1), R12
	LEAQ   (DI)(R9*1), R13
	LEAQ   (R13)(R9*1), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ   AX, AX
	TESTQ  CX, CX
	JE     ntreduce

ntloop:
	VMOVUPS     (DI)(AX*1), Y12
	VMOVUPS     (R13)(AX*1), Y13
	VMOVUPS     (BX)(AX*1), Y14
	VMOVUPS     (SI)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VMOVUPS     (R10)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VMOVUPS     (R11)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS     (R12)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	ADDQ        $32, AX
	DECQ        CX
	JNZ         ntloop

ntreduce:
#define HSUM(Y, X, OFF) \
	VEXTRACTF128 $1, Y, X15; \
	VADDPS       X15, X, X; \
	VHADDPS      X, X, X; \
	VHADDPS      X, X, X; \
	VMOVSS       X, OFF(DX)

	HSUM(Y0, X0, 0)
	HSUM(Y1, X1, 4)
	HSUM(Y2, X2, 8)
	HSUM(Y3, X3, 12)
	HSUM(Y4, X4, 16)
	HSUM(Y5, X5, 20)
	HSUM(Y6, X6, 24)
	HSUM(Y7, X7, 28)
	HSUM(Y8, X8, 32)
	HSUM(Y9, X9, 36)
	HSUM(Y10, X10, 40)
	HSUM(Y11, X11, 44)
	VZEROUPPER
	RET

// func sgemmKernel4x16IndirectAVX2(kc int, a, b *float32, offs *int, c *float32, ldc int)
// C[r][0:16] += sum_k a[k*4+r] * b[offs[k] : offs[k]+16] for r = 0..3: the
// micro-kernel of the packed GEMM with B read in place at per-k element
// offsets (a stride-1 convolution reads its input image directly).
TEXT ·sgemmKernel4x16IndirectAVX2(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JE    indstore

indloop:
	MOVQ         (R9), R10
	VMOVUPS      (DI)(R10*4), Y8
	VMOVUPS      32(DI)(R10*4), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS 4(SI), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS 8(SI), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS 12(SI), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $16, SI
	ADDQ         $8, R9
	DECQ         CX
	JNZ          indloop

indstore:
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DX)
	VADDPS  32(DX), Y1, Y1
	VMOVUPS Y1, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y2, Y2
	VMOVUPS Y2, (DX)
	VADDPS  32(DX), Y3, Y3
	VMOVUPS Y3, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y4, Y4
	VMOVUPS Y4, (DX)
	VADDPS  32(DX), Y5, Y5
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX
	VADDPS  (DX), Y6, Y6
	VMOVUPS Y6, (DX)
	VADDPS  32(DX), Y7, Y7
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func sgemmKernel1x64IndirectAVX2(kc int, a, b *float32, offs *int, c *float32)
// c[0:64] += sum_k a[k] * b[offs[k] : offs[k]+64]: one output row, 64
// positions wide, for depthwise convolutions (one channel per filter).
TEXT ·sgemmKernel1x64IndirectAVX2(SB), NOSPLIT, $0-40
	MOVQ   kc+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DI
	MOVQ   offs+24(FP), R9
	MOVQ   c+32(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  CX, CX
	JE     dwstore

dwloop:
	MOVQ         (R9), R10
	LEAQ         (DI)(R10*4), R11
	VBROADCASTSS (SI), Y8
	VFMADD231PS  (R11), Y8, Y0
	VFMADD231PS  32(R11), Y8, Y1
	VFMADD231PS  64(R11), Y8, Y2
	VFMADD231PS  96(R11), Y8, Y3
	VFMADD231PS  128(R11), Y8, Y4
	VFMADD231PS  160(R11), Y8, Y5
	VFMADD231PS  192(R11), Y8, Y6
	VFMADD231PS  224(R11), Y8, Y7
	ADDQ         $4, SI
	ADDQ         $8, R9
	DECQ         CX
	JNZ          dwloop

dwstore:
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DX)
	VADDPS  32(DX), Y1, Y1
	VMOVUPS Y1, 32(DX)
	VADDPS  64(DX), Y2, Y2
	VMOVUPS Y2, 64(DX)
	VADDPS  96(DX), Y3, Y3
	VMOVUPS Y3, 96(DX)
	VADDPS  128(DX), Y4, Y4
	VMOVUPS Y4, 128(DX)
	VADDPS  160(DX), Y5, Y5
	VMOVUPS Y5, 160(DX)
	VADDPS  192(DX), Y6, Y6
	VMOVUPS Y6, 192(DX)
	VADDPS  224(DX), Y7, Y7
	VMOVUPS Y7, 224(DX)
	VZEROUPPER
	RET

// func maxIntoAVX2(n int, x, y *float32)
// y[i] = max(x[i], y[i]) (where either is NaN, y[i] is kept).
TEXT ·maxIntoAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI

max8:
	CMPQ    CX, $8
	JLT     maxtail
	VMOVUPS (SI), Y0
	VMAXPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     max8

maxtail:
	TESTQ  CX, CX
	JE     maxdone
	VMOVSS (SI), X0
	VMAXSS (DI), X0, X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, DI
	DECQ   CX
	JMP    maxtail

maxdone:
	VZEROUPPER
	RET

// func addScalarAVX2(n int, b float32, src, dst *float32)
// dst[i] = src[i] + b (one rounding, as in Go).
TEXT ·addScalarAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS b+8(FP), Y0
	MOVQ         src+16(FP), SI
	MOVQ         dst+24(FP), DI

adds32:
	CMPQ    CX, $32
	JLT     adds8
	VADDPS  (SI), Y0, Y4
	VADDPS  32(SI), Y0, Y5
	VADDPS  64(SI), Y0, Y6
	VADDPS  96(SI), Y0, Y7
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, 64(DI)
	VMOVUPS Y7, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     adds32

adds8:
	CMPQ    CX, $8
	JLT     addstail
	VADDPS  (SI), Y0, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     adds8

addstail:
	TESTQ   CX, CX
	JE      addsdone
	VADDSS  (SI), X0, X4
	VMOVSS  X4, (DI)
	ADDQ    $4, SI
	ADDQ    $4, DI
	DECQ    CX
	JMP     addstail

addsdone:
	VZEROUPPER
	RET

DATA quarter<>+0(SB)/4, $0x3e800000
GLOBL quarter<>(SB), RODATA|NOPTR, $4

// func maxPool2x2AVX2(n int, r0, r1, out *float32); n a multiple of 8.
// out[i] = the maximum of r0[2i], r0[2i+1], r1[2i], r1[2i+1].
TEXT ·maxPool2x2AVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ out+24(FP), DI
	SHRQ $3, CX
	JZ maxPool2x2AVX2done
maxPool2x2AVX2loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMAXPS (DX), Y0, Y0
	VMAXPS 32(DX), Y1, Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VMAXPS Y3, Y2, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $32, DI
	DECQ CX
	JNZ maxPool2x2AVX2loop
maxPool2x2AVX2done:
	VZEROUPPER
	RET

// func avgPool2x2AVX2(n int, r0, r1, out *float32); n a multiple of 8.
// out[i] = the mean of r0[2i], r0[2i+1], r1[2i], r1[2i+1]: the two rows are added first, then the pair, then scaled by 1/4 (exact).
TEXT ·avgPool2x2AVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ out+24(FP), DI
	SHRQ $3, CX
	JZ avgPool2x2AVX2done
	VBROADCASTSS quarter<>(SB), Y8
avgPool2x2AVX2loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VADDPS (DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VADDPS Y3, Y2, Y2
	VMULPS Y8, Y2, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $32, DI
	DECQ CX
	JNZ avgPool2x2AVX2loop
avgPool2x2AVX2done:
	VZEROUPPER
	RET

// func maxPool3s2AVX2(n int, acc, out *float32); n a multiple of 8.
// out[i] = max(acc[2i], acc[2i+1], acc[2i+2]); reads acc[0 : 2n+2].
TEXT ·maxPool3s2AVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ acc+8(FP), SI
	MOVQ out+16(FP), DI
	SHRQ $3, CX
	JZ maxPool3s2AVX2done
maxPool3s2AVX2loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 8(SI), Y2
	VMOVUPS 40(SI), Y3
	VSHUFPS $0x88, Y1, Y0, Y4
	VSHUFPS $0xDD, Y1, Y0, Y5
	VSHUFPS $0x88, Y3, Y2, Y6
	VMAXPS Y5, Y4, Y4
	VMAXPS Y6, Y4, Y4
	VPERMPD $0xD8, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ maxPool3s2AVX2loop
maxPool3s2AVX2done:
	VZEROUPPER
	RET

// func avgPool3s2AVX2(n int, acc, out *float32, div float32); n a multiple of 8.
// out[i] = (acc[2i] + acc[2i+1] + acc[2i+2]) / div, summed left to right; reads acc[0 : 2n+2].
TEXT ·avgPool3s2AVX2(SB), NOSPLIT, $0-28
	MOVQ n+0(FP), CX
	MOVQ acc+8(FP), SI
	MOVQ out+16(FP), DI
	SHRQ $3, CX
	JZ avgPool3s2AVX2done
	VBROADCASTSS div+24(FP), Y8
avgPool3s2AVX2loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 8(SI), Y2
	VMOVUPS 40(SI), Y3
	VSHUFPS $0x88, Y1, Y0, Y4
	VSHUFPS $0xDD, Y1, Y0, Y5
	VSHUFPS $0x88, Y3, Y2, Y6
	VADDPS Y5, Y4, Y4
	VADDPS Y6, Y4, Y4
	VDIVPS Y8, Y4, Y4
	VPERMPD $0xD8, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ avgPool3s2AVX2loop
avgPool3s2AVX2done:
	VZEROUPPER
	RET
