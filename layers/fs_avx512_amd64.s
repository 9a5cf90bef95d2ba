#include "textflag.h"

// SPIKES_RET stores the sum of the lane spike counts in Z8 as the result
// and returns (the end of every kernel here).
#define SPIKES_RET \
	VEXTRACTI64X4 $1, Z8, Y9 \
	VPADDD        Y9, Y8, Y8 \
	VEXTRACTI128  $1, Y8, X9 \
	VPADDD        X9, X8, X8 \
	VPSHUFD       $0x4e, X8, X9 \
	VPADDD        X9, X8, X8 \
	VPSHUFD       $0xb1, X8, X9 \
	VPADDD        X9, X8, X8 \
	VMOVD         X8, AX \
	MOVQ          AX, spikes+56(FP) \
	VZEROUPPER \
	RET

// TAIL_STEP is one time step of one masked chain: K = (v > T) under the
// chain's lane mask m; under K, o += d, v -= h and the count grows.
#define TAIL_STEP(v, o, m, k) \
	VCMPPS $0x1e, Z9, v, m, k \
	VADDPS Z11, o, k, o \
	VSUBPS Z10, v, k, v \
	VPSUBD Z15, Z8, k, Z8


// func fsAVX512(n int, src, dst, h, th, d *float32, k int) (spikes int64)
// Runs the FS neuron on n elements (n a multiple of 64): 64 neurons at a
// time as four independent 16-lane chains, one time step after another.
// Per step: K = v > T[t] (ordered compare, false for NaN); under the mask
// K, o += d[t], v -= h[t] and count += 1. Lanes without a spike are left
// as they are, which is what FSForward's (and fsAVX2's) adding of +0 does
// (o starts at +0 and never becomes -0; v - (+0) = v): bit-identical.
TEXT ·fsAVX512(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI
	MOVQ h+24(FP), R8
	MOVQ th+32(FP), R9
	MOVQ d+40(FP), R10
	MOVQ k+48(FP), R11
	VPXORD      Z8, Z8, Z8              // spike counts per lane
	VPTERNLOGD  $0xff, Z15, Z15, Z15    // -1 in every lane
	SHRQ $6, CX
	JZ   done

block:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VPXORD  Z4, Z4, Z4
	VPXORD  Z5, Z5, Z5
	VPXORD  Z6, Z6, Z6
	VPXORD  Z7, Z7, Z7
	XORQ    AX, AX

step:
	VBROADCASTSS (R9)(AX*4), Z9
	VBROADCASTSS (R8)(AX*4), Z10
	VBROADCASTSS (R10)(AX*4), Z11

	VCMPPS $0x1e, Z9, Z0, K1
	VCMPPS $0x1e, Z9, Z1, K2
	VCMPPS $0x1e, Z9, Z2, K3
	VCMPPS $0x1e, Z9, Z3, K4

	VADDPS Z11, Z4, K1, Z4
	VADDPS Z11, Z5, K2, Z5
	VADDPS Z11, Z6, K3, Z6
	VADDPS Z11, Z7, K4, Z7

	VSUBPS Z10, Z0, K1, Z0
	VSUBPS Z10, Z1, K2, Z1
	VSUBPS Z10, Z2, K3, Z2
	VSUBPS Z10, Z3, K4, Z3

	VPSUBD Z15, Z8, K1, Z8
	VPSUBD Z15, Z8, K2, Z8
	VPSUBD Z15, Z8, K3, Z8
	VPSUBD Z15, Z8, K4, Z8

	INCQ AX
	CMPQ AX, R11
	JLT  step

	VMOVUPS Z4, (DI)
	VMOVUPS Z5, 64(DI)
	VMOVUPS Z6, 128(DI)
	VMOVUPS Z7, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	DECQ    CX
	JNZ     block

done:
	SPIKES_RET

// TAILMASK sets mask register k to the min(16, max(0, R12)) low lanes
// (clobbers BX, CX, DX).
#define TAILMASK(k) \
	MOVQ   R12, CX    \
	XORQ   DX, DX     \
	CMPQ   CX, $0     \
	CMOVQLT DX, CX    \
	MOVQ   $16, DX    \
	CMPQ   CX, DX     \
	CMOVQGT DX, CX    \
	MOVL   $1, BX     \
	SHLL   CX, BX     \
	DECL   BX         \
	KMOVW  BX, k

// func fsAVX512Tail(n int, src, dst, h, th, d *float32, k int) (spikes int64)
// Runs the FS neuron on the n elements (0 < n < 64) that fsAVX512's blocks
// of 64 leave, as fsAVX512 does a block: four independent 16-lane chains,
// here each under a mask of the lanes below n (K4-K7), so that a small
// plane (7x7: 49 elements) costs one pass of the K steps, not one per
// sixteen elements. The same per-lane operations as fsAVX512
// (bit-identical). Masked-off lanes load as zero and may cross a
// threshold: the compares are masked too, so they neither count nor get
// stored, and masked loads do not touch memory past n.
TEXT ·fsAVX512Tail(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), R12
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI
	MOVQ h+24(FP), R8
	MOVQ th+32(FP), R9
	MOVQ d+40(FP), R10
	MOVQ k+48(FP), R11
	VPXORD      Z8, Z8, Z8              // spike counts per lane
	VPTERNLOGD  $0xff, Z15, Z15, Z15    // -1 in every lane
	TESTQ R12, R12
	JLE   tdone

	// Chain c covers lanes [16c, 16c+16): its mask has min(16, max(0,
	// n-16c)) low bits set.
	TAILMASK(K4)
	SUBQ  $16, R12
	TAILMASK(K5)
	SUBQ  $16, R12
	TAILMASK(K6)
	SUBQ  $16, R12
	TAILMASK(K7)

	VMOVUPS.Z (SI), K4, Z0
	VMOVUPS.Z 64(SI), K5, Z1
	VMOVUPS.Z 128(SI), K6, Z2
	VMOVUPS.Z 192(SI), K7, Z3
	VPXORD  Z4, Z4, Z4
	VPXORD  Z5, Z5, Z5
	VPXORD  Z6, Z6, Z6
	VPXORD  Z7, Z7, Z7
	XORQ    AX, AX

tstep:
	VBROADCASTSS (R9)(AX*4), Z9
	VBROADCASTSS (R8)(AX*4), Z10
	VBROADCASTSS (R10)(AX*4), Z11

	TAIL_STEP(Z0, Z4, K4, K1)
	TAIL_STEP(Z1, Z5, K5, K2)
	TAIL_STEP(Z2, Z6, K6, K3)
	TAIL_STEP(Z3, Z7, K7, K1)

	INCQ AX
	CMPQ AX, R11
	JLT  tstep

	VMOVUPS Z4, K4, (DI)
	VMOVUPS Z5, K5, 64(DI)
	VMOVUPS Z6, K6, 128(DI)
	VMOVUPS Z7, K7, 192(DI)

tdone:
	SPIKES_RET

// func fsAVX512Tail1(n int, src, dst, h, th, d *float32, k int) (spikes int64)
// Runs the FS neuron on n elements (0 < n < 64) sixteen at a time in one
// chain, the last sixteen under a mask: for a tail of at most sixteen it
// is quicker than fsAVX512Tail's four chains. The same per-lane operations
// as fsAVX512 (bit-identical).
// Masked-off lanes are loaded as zero and may cross a threshold: the
// compare is masked too, so they neither count nor get stored.
TEXT ·fsAVX512Tail1(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), R12
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI
	MOVQ h+24(FP), R8
	MOVQ th+32(FP), R9
	MOVQ d+40(FP), R10
	MOVQ k+48(FP), R11
	VPXORD      Z8, Z8, Z8              // spike counts per lane
	VPTERNLOGD  $0xff, Z15, Z15, Z15    // -1 in every lane
	TESTQ R12, R12
	JLE   stdone

stvec:
	MOVQ R12, CX
	CMPQ CX, $16
	JLE  stmask
	MOVQ $16, CX

stmask:
	MOVL  $1, BX
	SHLL  CX, BX
	DECL  BX
	KMOVW BX, K5
	VMOVUPS.Z (SI), K5, Z0
	VPXORD    Z4, Z4, Z4
	XORQ      AX, AX

ststep:
	VBROADCASTSS (R9)(AX*4), Z9
	VBROADCASTSS (R8)(AX*4), Z10
	VBROADCASTSS (R10)(AX*4), Z11
	TAIL_STEP(Z0, Z4, K5, K1)
	INCQ AX
	CMPQ AX, R11
	JLT  ststep

	VMOVUPS Z4, K5, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, R12
	JG   stvec

stdone:
	SPIKES_RET
