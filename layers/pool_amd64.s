#include "textflag.h"

// func maxRowsAVX2(n, nrows int, r0, r1, r2, dst *float32)
// dst[i] = max over the first nrows (1 to 3) of r0[i], r1[i], r2[i], in
// that order; where a row holds NaN the running maximum is kept, as
// maxInto does.
TEXT ·maxRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ nrows+8(FP), BX
	MOVQ r0+16(FP), SI
	MOVQ r1+24(FP), R8
	MOVQ r2+32(FP), R9
	MOVQ dst+40(FP), DI
	CMPQ BX, $2
	JLT  max1
	JEQ  max2

max3loop8:
	CMPQ    CX, $8
	JLT     max3tail
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS (R9), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     max3loop8

max3tail:
	TESTQ  CX, CX
	JE     maxdone
	VMOVSS (SI), X0
	VMOVSS (R8), X1
	VMAXSS X0, X1, X0
	VMOVSS (R9), X1
	VMAXSS X0, X1, X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, R8
	ADDQ   $4, R9
	ADDQ   $4, DI
	DECQ   CX
	JMP    max3tail

max2:
max2loop8:
	CMPQ    CX, $8
	JLT     max2tail
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     max2loop8

max2tail:
	TESTQ  CX, CX
	JE     maxdone
	VMOVSS (SI), X0
	VMOVSS (R8), X1
	VMAXSS X0, X1, X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, R8
	ADDQ   $4, DI
	DECQ   CX
	JMP    max2tail

max1:
max1loop8:
	CMPQ    CX, $8
	JLT     max1tail
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     max1loop8

max1tail:
	TESTQ  CX, CX
	JE     maxdone
	VMOVSS (SI), X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, DI
	DECQ   CX
	JMP    max1tail

maxdone:
	VZEROUPPER
	RET

// func sumRowsAVX2(n, nrows int, r0, r1, r2, dst *float32)
// dst[i] = (r0[i] + r1[i]) + r2[i] over the first nrows (1 to 3) rows.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ nrows+8(FP), BX
	MOVQ r0+16(FP), SI
	MOVQ r1+24(FP), R8
	MOVQ r2+32(FP), R9
	MOVQ dst+40(FP), DI
	CMPQ BX, $2
	JLT  sum1
	JEQ  sum2

sum3loop8:
	CMPQ    CX, $8
	JLT     sum3tail
	VMOVUPS (SI), Y0
	VADDPS  (R8), Y0, Y0
	VADDPS  (R9), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     sum3loop8

sum3tail:
	TESTQ  CX, CX
	JE     sumdone
	VMOVSS (SI), X0
	VADDSS (R8), X0, X0
	VADDSS (R9), X0, X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, R8
	ADDQ   $4, R9
	ADDQ   $4, DI
	DECQ   CX
	JMP    sum3tail

sum2:
sum2loop8:
	CMPQ    CX, $8
	JLT     sum2tail
	VMOVUPS (SI), Y0
	VADDPS  (R8), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     sum2loop8

sum2tail:
	TESTQ  CX, CX
	JE     sumdone
	VMOVSS (SI), X0
	VADDSS (R8), X0, X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, R8
	ADDQ   $4, DI
	DECQ   CX
	JMP    sum2tail

sum1:
sum1loop8:
	CMPQ    CX, $8
	JLT     sum1tail
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     sum1loop8

sum1tail:
	TESTQ  CX, CX
	JE     sumdone
	VMOVSS (SI), X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, DI
	DECQ   CX
	JMP    sum1tail

sumdone:
	VZEROUPPER
	RET

// Permutation indices for poolPlane3s2AVX512: the even and odd elements of
// a 32-float pair of registers, and elements 1..16 of a pair (the window
// starts one even element further on).
DATA pool3s2idx<>+0(SB)/4, $0
DATA pool3s2idx<>+4(SB)/4, $2
DATA pool3s2idx<>+8(SB)/4, $4
DATA pool3s2idx<>+12(SB)/4, $6
DATA pool3s2idx<>+16(SB)/4, $8
DATA pool3s2idx<>+20(SB)/4, $10
DATA pool3s2idx<>+24(SB)/4, $12
DATA pool3s2idx<>+28(SB)/4, $14
DATA pool3s2idx<>+32(SB)/4, $16
DATA pool3s2idx<>+36(SB)/4, $18
DATA pool3s2idx<>+40(SB)/4, $20
DATA pool3s2idx<>+44(SB)/4, $22
DATA pool3s2idx<>+48(SB)/4, $24
DATA pool3s2idx<>+52(SB)/4, $26
DATA pool3s2idx<>+56(SB)/4, $28
DATA pool3s2idx<>+60(SB)/4, $30
DATA pool3s2idx<>+64(SB)/4, $1
DATA pool3s2idx<>+68(SB)/4, $3
DATA pool3s2idx<>+72(SB)/4, $5
DATA pool3s2idx<>+76(SB)/4, $7
DATA pool3s2idx<>+80(SB)/4, $9
DATA pool3s2idx<>+84(SB)/4, $11
DATA pool3s2idx<>+88(SB)/4, $13
DATA pool3s2idx<>+92(SB)/4, $15
DATA pool3s2idx<>+96(SB)/4, $17
DATA pool3s2idx<>+100(SB)/4, $19
DATA pool3s2idx<>+104(SB)/4, $21
DATA pool3s2idx<>+108(SB)/4, $23
DATA pool3s2idx<>+112(SB)/4, $25
DATA pool3s2idx<>+116(SB)/4, $27
DATA pool3s2idx<>+120(SB)/4, $29
DATA pool3s2idx<>+124(SB)/4, $31
DATA pool3s2idx<>+128(SB)/4, $1
DATA pool3s2idx<>+132(SB)/4, $2
DATA pool3s2idx<>+136(SB)/4, $3
DATA pool3s2idx<>+140(SB)/4, $4
DATA pool3s2idx<>+144(SB)/4, $5
DATA pool3s2idx<>+148(SB)/4, $6
DATA pool3s2idx<>+152(SB)/4, $7
DATA pool3s2idx<>+156(SB)/4, $8
DATA pool3s2idx<>+160(SB)/4, $9
DATA pool3s2idx<>+164(SB)/4, $10
DATA pool3s2idx<>+168(SB)/4, $11
DATA pool3s2idx<>+172(SB)/4, $12
DATA pool3s2idx<>+176(SB)/4, $13
DATA pool3s2idx<>+180(SB)/4, $14
DATA pool3s2idx<>+184(SB)/4, $15
DATA pool3s2idx<>+188(SB)/4, $16
GLOBL pool3s2idx<>(SB), RODATA|NOPTR, $192

// func poolPlane3s2AVX512(a *pool3s2Args)
// One plane of 3-wide, stride-2 pooling (see pool3s2Args in pool_amd64.go).
// For output row oy, input rows rows[2oy] .. rows[2oy]+rows[2oy+1]-1 are
// reduced (max, or summed in order), each as 33 columns per 16 outputs
// loaded under masks (masked-off columns take the pad value), then every
// window's three columns are combined: max(max(e, o), e2) or
// ((e + o) + e2) / divs[oy]. Rows with no input row are skipped.
TEXT ·poolPlane3s2AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), AX
	VMOVUPS pool3s2idx<>+0(SB), Z30
	VMOVUPS pool3s2idx<>+64(SB), Z29
	VMOVUPS pool3s2idx<>+128(SB), Z28
	VBROADCASTSS 80(AX), Z31   // pad
	MOVQ 40(AX), R12           // iw, in bytes
	SHLQ $2, R12
	XORQ R10, R10              // oy

rowloop:
	CMPQ R10, 16(AX)           // oh
	JGE  done
	MOVQ 48(AX), BX            // rows
	MOVQ R10, R14
	SHLQ $1, R14
	MOVQ (BX)(R14*8), R13      // first input row
	MOVQ 8(BX)(R14*8), R15     // number of rows
	TESTQ R15, R15
	JE   nextrow
	MOVQ 56(AX), BX            // divs
	VBROADCASTSS (BX)(R10*4), Z27
	// SI = src + (row*iw - padLeft)*4
	MOVQ R13, SI
	IMULQ R12, SI
	ADDQ 0(AX), SI
	MOVQ 72(AX), BX            // padLeft
	SHLQ $2, BX
	SUBQ BX, SI
	// DI = out + oy*ow*4
	MOVQ R10, DI
	IMULQ 24(AX), DI
	SHLQ $2, DI
	ADDQ 8(AX), DI
	MOVQ 64(AX), R9            // masks
	XORQ R11, R11              // chunk

chunkloop:
	CMPQ R11, 32(AX)           // chunks
	JGE  nextrow
	KMOVW 0(R9), K1
	KMOVW 2(R9), K2
	KMOVW 4(R9), K3
	KMOVW 6(R9), K4
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVUPS 0(SI), K1, Z0
	VMOVUPS 64(SI), K2, Z1
	VMOVUPS 128(SI), K3, Z2
	MOVQ SI, DX
	MOVQ R15, CX

vloop:
	DECQ CX
	JE   vdone
	ADDQ R12, DX
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4
	VMOVAPS Z31, Z5
	VMOVUPS 0(DX), K1, Z3
	VMOVUPS 64(DX), K2, Z4
	VMOVUPS 128(DX), K3, Z5
	CMPB 84(AX), $0
	JE   vsum
	VMAXPS Z0, Z3, Z0
	VMAXPS Z1, Z4, Z1
	VMAXPS Z2, Z5, Z2
	JMP  vloop

vsum:
	VADDPS Z3, Z0, Z0
	VADDPS Z4, Z1, Z1
	VADDPS Z5, Z2, Z2
	JMP  vloop

vdone:
	VMOVAPS Z30, Z6
	VPERMI2PS Z1, Z0, Z6       // even columns
	VMOVAPS Z29, Z7
	VPERMI2PS Z1, Z0, Z7       // odd columns
	VMOVAPS Z28, Z8
	VPERMI2PS Z2, Z6, Z8       // even columns shifted by one
	CMPB 84(AX), $0
	JE   hsum
	VMAXPS Z7, Z6, Z6
	VMAXPS Z8, Z6, Z6
	JMP  store

hsum:
	VADDPS Z7, Z6, Z6
	VADDPS Z8, Z6, Z6
	VDIVPS Z27, Z6, Z6

store:
	VMOVUPS Z6, K4, (DI)
	ADDQ $128, SI
	ADDQ $64, DI
	ADDQ $8, R9
	INCQ R11
	JMP  chunkloop

nextrow:
	INCQ R10
	JMP  rowloop

done:
	VZEROUPPER
	RET

// func meanPlanesAVX512(n, planes int, src, dst *float32)
// dst[p] = (sum of src[p*n : p*n+n] in float64) / n, rounded to float32:
// sixteen floats per step widened into two 8-lane float64 accumulators,
// the last partial step read under a mask.
TEXT ·meanPlanesAVX512(SB), NOSPLIT, $0-32
	MOVQ      n+0(FP), R8
	MOVQ      planes+8(FP), R9
	MOVQ      src+16(FP), SI
	MOVQ      dst+24(FP), DI
	CVTSQ2SD  R8, X15               // n as float64
	MOVQ      R8, CX
	ANDQ      $15, CX
	MOVL      $1, R10
	SHLL      CX, R10
	DECL      R10
	KMOVW     R10, K1               // mask of the last partial step

planeloop:
	TESTQ     R9, R9
	JE        meandone
	VPXORQ    Z0, Z0, Z0
	VPXORQ    Z1, Z1, Z1
	MOVQ      R8, CX

sumloop:
	CMPQ      CX, $16
	JLT       sumtail
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, SI
	SUBQ      $16, CX
	JMP       sumloop

sumtail:
	TESTQ     CX, CX
	JE        reduce
	VMOVUPS.Z (SI), K1, Z4
	VCVTPS2PD Y4, Z2
	VEXTRACTF64X4 $1, Z4, Y5
	VCVTPS2PD Y5, Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	LEAQ      (SI)(CX*4), SI

reduce:
	VADDPD    Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD    Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD    X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD    X1, X0, X0
	VDIVSD    X15, X0, X0
	VCVTSD2SS X0, X0, X0
	VMOVSS    X0, (DI)
	ADDQ      $4, DI
	DECQ      R9
	JMP       planeloop

meandone:
	VZEROUPPER
	RET

// func rowsScalarAVX512(rows, l int, a *float32, lda int, s, dst *float32, ldd int, add bool)
// dst[r*ldd+i] = a[r*lda+i] * s[r] (or + s[r] when add) for r < rows,
// i < l: a per-row scalar (squeeze-excitation gates, per-channel biases)
// in one call, sixteen lanes, each row's tail under a mask.
TEXT ·rowsScalarAVX512(SB), NOSPLIT, $0-57
	MOVQ  rows+0(FP), R8
	MOVQ  l+8(FP), R9
	MOVQ  a+16(FP), SI
	MOVQ  lda+24(FP), R12
	MOVQ  s+32(FP), BX
	MOVQ  dst+40(FP), DI
	MOVQ  ldd+48(FP), R13
	MOVBQZX add+56(FP), R11
	SHLQ  $2, R12
	SHLQ  $2, R13
	MOVQ  R9, CX
	ANDQ  $15, CX
	MOVL  $1, R10
	SHLL  CX, R10
	DECL  R10
	KMOVW R10, K1

rsrow:
	TESTQ R8, R8
	JE    rsdone
	VBROADCASTSS (BX), Z1
	MOVQ  R9, CX
	MOVQ  SI, R14
	MOVQ  DI, R15

rs16:
	CMPQ  CX, $16
	JLT   rstail
	VMOVUPS (SI), Z0
	TESTQ R11, R11
	JNE   rs16add
	VMULPS Z1, Z0, Z0
	JMP   rs16store

rs16add:
	VADDPS Z1, Z0, Z0

rs16store:
	VMOVUPS Z0, (DI)
	ADDQ  $64, SI
	ADDQ  $64, DI
	SUBQ  $16, CX
	JMP   rs16

rstail:
	TESTQ CX, CX
	JE    rsnext
	VMOVUPS.Z (SI), K1, Z0
	TESTQ R11, R11
	JNE   rstailadd
	VMULPS Z1, Z0, Z0
	JMP   rstailstore

rstailadd:
	VADDPS Z1, Z0, Z0

rstailstore:
	VMOVUPS Z0, K1, (DI)
	LEAQ  (SI)(CX*4), SI
	LEAQ  (DI)(CX*4), DI

rsnext:
	LEAQ  (R14)(R12*1), SI
	LEAQ  (R15)(R13*1), DI
	ADDQ  $4, BX
	DECQ  R8
	JMP   rsrow

rsdone:
	VZEROUPPER
	RET
