#include "textflag.h"

// Vector float32 activations (8 lanes): the same formulas as the Go rows in
// activations.go and fastmath.go (Cephes expf, Abramowitz & Stegun erf),
// evaluated with FMA, so results may differ from the Go path in the last
// bit or two. Constants are 8-lane vectors so they can be memory operands.

DATA expLo<>+0(SB)/4, $0xc2b0c0a5
DATA expLo<>+4(SB)/4, $0xc2b0c0a5
DATA expLo<>+8(SB)/4, $0xc2b0c0a5
DATA expLo<>+12(SB)/4, $0xc2b0c0a5
DATA expLo<>+16(SB)/4, $0xc2b0c0a5
DATA expLo<>+20(SB)/4, $0xc2b0c0a5
DATA expLo<>+24(SB)/4, $0xc2b0c0a5
DATA expLo<>+28(SB)/4, $0xc2b0c0a5
GLOBL expLo<>(SB), RODATA|NOPTR, $32
DATA expHi<>+0(SB)/4, $0x42b0c0a6
DATA expHi<>+4(SB)/4, $0x42b0c0a6
DATA expHi<>+8(SB)/4, $0x42b0c0a6
DATA expHi<>+12(SB)/4, $0x42b0c0a6
DATA expHi<>+16(SB)/4, $0x42b0c0a6
DATA expHi<>+20(SB)/4, $0x42b0c0a6
DATA expHi<>+24(SB)/4, $0x42b0c0a6
DATA expHi<>+28(SB)/4, $0x42b0c0a6
GLOBL expHi<>(SB), RODATA|NOPTR, $32
DATA one<>+0(SB)/4, $0x3f800000
DATA one<>+4(SB)/4, $0x3f800000
DATA one<>+8(SB)/4, $0x3f800000
DATA one<>+12(SB)/4, $0x3f800000
DATA one<>+16(SB)/4, $0x3f800000
DATA one<>+20(SB)/4, $0x3f800000
DATA one<>+24(SB)/4, $0x3f800000
DATA one<>+28(SB)/4, $0x3f800000
GLOBL one<>(SB), RODATA|NOPTR, $32
DATA log2e<>+0(SB)/4, $0x3fb8aa3b
DATA log2e<>+4(SB)/4, $0x3fb8aa3b
DATA log2e<>+8(SB)/4, $0x3fb8aa3b
DATA log2e<>+12(SB)/4, $0x3fb8aa3b
DATA log2e<>+16(SB)/4, $0x3fb8aa3b
DATA log2e<>+20(SB)/4, $0x3fb8aa3b
DATA log2e<>+24(SB)/4, $0x3fb8aa3b
DATA log2e<>+28(SB)/4, $0x3fb8aa3b
GLOBL log2e<>(SB), RODATA|NOPTR, $32
DATA half<>+0(SB)/4, $0x3f000000
DATA half<>+4(SB)/4, $0x3f000000
DATA half<>+8(SB)/4, $0x3f000000
DATA half<>+12(SB)/4, $0x3f000000
DATA half<>+16(SB)/4, $0x3f000000
DATA half<>+20(SB)/4, $0x3f000000
DATA half<>+24(SB)/4, $0x3f000000
DATA half<>+28(SB)/4, $0x3f000000
GLOBL half<>(SB), RODATA|NOPTR, $32
DATA c1<>+0(SB)/4, $0x3f318000
DATA c1<>+4(SB)/4, $0x3f318000
DATA c1<>+8(SB)/4, $0x3f318000
DATA c1<>+12(SB)/4, $0x3f318000
DATA c1<>+16(SB)/4, $0x3f318000
DATA c1<>+20(SB)/4, $0x3f318000
DATA c1<>+24(SB)/4, $0x3f318000
DATA c1<>+28(SB)/4, $0x3f318000
GLOBL c1<>(SB), RODATA|NOPTR, $32
DATA c2<>+0(SB)/4, $0xb95e8083
DATA c2<>+4(SB)/4, $0xb95e8083
DATA c2<>+8(SB)/4, $0xb95e8083
DATA c2<>+12(SB)/4, $0xb95e8083
DATA c2<>+16(SB)/4, $0xb95e8083
DATA c2<>+20(SB)/4, $0xb95e8083
DATA c2<>+24(SB)/4, $0xb95e8083
DATA c2<>+28(SB)/4, $0xb95e8083
GLOBL c2<>(SB), RODATA|NOPTR, $32
DATA p0<>+0(SB)/4, $0x39506967
DATA p0<>+4(SB)/4, $0x39506967
DATA p0<>+8(SB)/4, $0x39506967
DATA p0<>+12(SB)/4, $0x39506967
DATA p0<>+16(SB)/4, $0x39506967
DATA p0<>+20(SB)/4, $0x39506967
DATA p0<>+24(SB)/4, $0x39506967
DATA p0<>+28(SB)/4, $0x39506967
GLOBL p0<>(SB), RODATA|NOPTR, $32
DATA p1<>+0(SB)/4, $0x3ab743ce
DATA p1<>+4(SB)/4, $0x3ab743ce
DATA p1<>+8(SB)/4, $0x3ab743ce
DATA p1<>+12(SB)/4, $0x3ab743ce
DATA p1<>+16(SB)/4, $0x3ab743ce
DATA p1<>+20(SB)/4, $0x3ab743ce
DATA p1<>+24(SB)/4, $0x3ab743ce
DATA p1<>+28(SB)/4, $0x3ab743ce
GLOBL p1<>(SB), RODATA|NOPTR, $32
DATA p2<>+0(SB)/4, $0x3c088908
DATA p2<>+4(SB)/4, $0x3c088908
DATA p2<>+8(SB)/4, $0x3c088908
DATA p2<>+12(SB)/4, $0x3c088908
DATA p2<>+16(SB)/4, $0x3c088908
DATA p2<>+20(SB)/4, $0x3c088908
DATA p2<>+24(SB)/4, $0x3c088908
DATA p2<>+28(SB)/4, $0x3c088908
GLOBL p2<>(SB), RODATA|NOPTR, $32
DATA p3<>+0(SB)/4, $0x3d2aa9c1
DATA p3<>+4(SB)/4, $0x3d2aa9c1
DATA p3<>+8(SB)/4, $0x3d2aa9c1
DATA p3<>+12(SB)/4, $0x3d2aa9c1
DATA p3<>+16(SB)/4, $0x3d2aa9c1
DATA p3<>+20(SB)/4, $0x3d2aa9c1
DATA p3<>+24(SB)/4, $0x3d2aa9c1
DATA p3<>+28(SB)/4, $0x3d2aa9c1
GLOBL p3<>(SB), RODATA|NOPTR, $32
DATA p4<>+0(SB)/4, $0x3e2aaaaa
DATA p4<>+4(SB)/4, $0x3e2aaaaa
DATA p4<>+8(SB)/4, $0x3e2aaaaa
DATA p4<>+12(SB)/4, $0x3e2aaaaa
DATA p4<>+16(SB)/4, $0x3e2aaaaa
DATA p4<>+20(SB)/4, $0x3e2aaaaa
DATA p4<>+24(SB)/4, $0x3e2aaaaa
DATA p4<>+28(SB)/4, $0x3e2aaaaa
GLOBL p4<>(SB), RODATA|NOPTR, $32
DATA p5<>+0(SB)/4, $0x3f000000
DATA p5<>+4(SB)/4, $0x3f000000
DATA p5<>+8(SB)/4, $0x3f000000
DATA p5<>+12(SB)/4, $0x3f000000
DATA p5<>+16(SB)/4, $0x3f000000
DATA p5<>+20(SB)/4, $0x3f000000
DATA p5<>+24(SB)/4, $0x3f000000
DATA p5<>+28(SB)/4, $0x3f000000
GLOBL p5<>(SB), RODATA|NOPTR, $32
DATA three<>+0(SB)/4, $0x40400000
DATA three<>+4(SB)/4, $0x40400000
DATA three<>+8(SB)/4, $0x40400000
DATA three<>+12(SB)/4, $0x40400000
DATA three<>+16(SB)/4, $0x40400000
DATA three<>+20(SB)/4, $0x40400000
DATA three<>+24(SB)/4, $0x40400000
DATA three<>+28(SB)/4, $0x40400000
GLOBL three<>(SB), RODATA|NOPTR, $32
DATA six<>+0(SB)/4, $0x40c00000
DATA six<>+4(SB)/4, $0x40c00000
DATA six<>+8(SB)/4, $0x40c00000
DATA six<>+12(SB)/4, $0x40c00000
DATA six<>+16(SB)/4, $0x40c00000
DATA six<>+20(SB)/4, $0x40c00000
DATA six<>+24(SB)/4, $0x40c00000
DATA six<>+28(SB)/4, $0x40c00000
GLOBL six<>(SB), RODATA|NOPTR, $32
DATA sixth<>+0(SB)/4, $0x3e2aaaab
DATA sixth<>+4(SB)/4, $0x3e2aaaab
DATA sixth<>+8(SB)/4, $0x3e2aaaab
DATA sixth<>+12(SB)/4, $0x3e2aaaab
DATA sixth<>+16(SB)/4, $0x3e2aaaab
DATA sixth<>+20(SB)/4, $0x3e2aaaab
DATA sixth<>+24(SB)/4, $0x3e2aaaab
DATA sixth<>+28(SB)/4, $0x3e2aaaab
GLOBL sixth<>(SB), RODATA|NOPTR, $32
DATA erfP<>+0(SB)/4, $0x3ea7ba05
DATA erfP<>+4(SB)/4, $0x3ea7ba05
DATA erfP<>+8(SB)/4, $0x3ea7ba05
DATA erfP<>+12(SB)/4, $0x3ea7ba05
DATA erfP<>+16(SB)/4, $0x3ea7ba05
DATA erfP<>+20(SB)/4, $0x3ea7ba05
DATA erfP<>+24(SB)/4, $0x3ea7ba05
DATA erfP<>+28(SB)/4, $0x3ea7ba05
GLOBL erfP<>(SB), RODATA|NOPTR, $32
DATA a1<>+0(SB)/4, $0x3e827906
DATA a1<>+4(SB)/4, $0x3e827906
DATA a1<>+8(SB)/4, $0x3e827906
DATA a1<>+12(SB)/4, $0x3e827906
DATA a1<>+16(SB)/4, $0x3e827906
DATA a1<>+20(SB)/4, $0x3e827906
DATA a1<>+24(SB)/4, $0x3e827906
DATA a1<>+28(SB)/4, $0x3e827906
GLOBL a1<>(SB), RODATA|NOPTR, $32
DATA a2<>+0(SB)/4, $0xbe91a98e
DATA a2<>+4(SB)/4, $0xbe91a98e
DATA a2<>+8(SB)/4, $0xbe91a98e
DATA a2<>+12(SB)/4, $0xbe91a98e
DATA a2<>+16(SB)/4, $0xbe91a98e
DATA a2<>+20(SB)/4, $0xbe91a98e
DATA a2<>+24(SB)/4, $0xbe91a98e
DATA a2<>+28(SB)/4, $0xbe91a98e
GLOBL a2<>(SB), RODATA|NOPTR, $32
DATA a3<>+0(SB)/4, $0x3fb5f0e3
DATA a3<>+4(SB)/4, $0x3fb5f0e3
DATA a3<>+8(SB)/4, $0x3fb5f0e3
DATA a3<>+12(SB)/4, $0x3fb5f0e3
DATA a3<>+16(SB)/4, $0x3fb5f0e3
DATA a3<>+20(SB)/4, $0x3fb5f0e3
DATA a3<>+24(SB)/4, $0x3fb5f0e3
DATA a3<>+28(SB)/4, $0x3fb5f0e3
GLOBL a3<>(SB), RODATA|NOPTR, $32
DATA a4<>+0(SB)/4, $0xbfba00e3
DATA a4<>+4(SB)/4, $0xbfba00e3
DATA a4<>+8(SB)/4, $0xbfba00e3
DATA a4<>+12(SB)/4, $0xbfba00e3
DATA a4<>+16(SB)/4, $0xbfba00e3
DATA a4<>+20(SB)/4, $0xbfba00e3
DATA a4<>+24(SB)/4, $0xbfba00e3
DATA a4<>+28(SB)/4, $0xbfba00e3
GLOBL a4<>(SB), RODATA|NOPTR, $32
DATA a5<>+0(SB)/4, $0x3f87dc22
DATA a5<>+4(SB)/4, $0x3f87dc22
DATA a5<>+8(SB)/4, $0x3f87dc22
DATA a5<>+12(SB)/4, $0x3f87dc22
DATA a5<>+16(SB)/4, $0x3f87dc22
DATA a5<>+20(SB)/4, $0x3f87dc22
DATA a5<>+24(SB)/4, $0x3f87dc22
DATA a5<>+28(SB)/4, $0x3f87dc22
GLOBL a5<>(SB), RODATA|NOPTR, $32
DATA invSqrt2<>+0(SB)/4, $0x3f3504f3
DATA invSqrt2<>+4(SB)/4, $0x3f3504f3
DATA invSqrt2<>+8(SB)/4, $0x3f3504f3
DATA invSqrt2<>+12(SB)/4, $0x3f3504f3
DATA invSqrt2<>+16(SB)/4, $0x3f3504f3
DATA invSqrt2<>+20(SB)/4, $0x3f3504f3
DATA invSqrt2<>+24(SB)/4, $0x3f3504f3
DATA invSqrt2<>+28(SB)/4, $0x3f3504f3
GLOBL invSqrt2<>(SB), RODATA|NOPTR, $32
DATA bias127<>+0(SB)/4, $0x0000007f
DATA bias127<>+4(SB)/4, $0x0000007f
DATA bias127<>+8(SB)/4, $0x0000007f
DATA bias127<>+12(SB)/4, $0x0000007f
DATA bias127<>+16(SB)/4, $0x0000007f
DATA bias127<>+20(SB)/4, $0x0000007f
DATA bias127<>+24(SB)/4, $0x0000007f
DATA bias127<>+28(SB)/4, $0x0000007f
GLOBL bias127<>(SB), RODATA|NOPTR, $32
DATA signMask<>+0(SB)/4, $0x80000000
DATA signMask<>+4(SB)/4, $0x80000000
DATA signMask<>+8(SB)/4, $0x80000000
DATA signMask<>+12(SB)/4, $0x80000000
DATA signMask<>+16(SB)/4, $0x80000000
DATA signMask<>+20(SB)/4, $0x80000000
DATA signMask<>+24(SB)/4, $0x80000000
DATA signMask<>+28(SB)/4, $0x80000000
GLOBL signMask<>(SB), RODATA|NOPTR, $32
DATA absMask<>+0(SB)/4, $0x7fffffff
DATA absMask<>+4(SB)/4, $0x7fffffff
DATA absMask<>+8(SB)/4, $0x7fffffff
DATA absMask<>+12(SB)/4, $0x7fffffff
DATA absMask<>+16(SB)/4, $0x7fffffff
DATA absMask<>+20(SB)/4, $0x7fffffff
DATA absMask<>+24(SB)/4, $0x7fffffff
DATA absMask<>+28(SB)/4, $0x7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $32

// EXP8 replaces Y0 by exp(Y0). Clobbers Y1-Y3. Needs Y15 = expLo,
// Y14 = expHi, Y13 = 1. x is the second operand of VMAXPS/VMINPS so that a
// NaN passes through.
#define EXP8 \
	VMAXPS       Y0, Y15, Y0 \
	VMINPS       Y0, Y14, Y0 \
	VMULPS       log2e<>(SB), Y0, Y1 \
	VADDPS       half<>(SB), Y1, Y1 \
	VROUNDPS     $1, Y1, Y1 \
	VMOVAPS      Y0, Y2 \
	VFNMADD231PS c1<>(SB), Y1, Y2 \
	VFNMADD231PS c2<>(SB), Y1, Y2 \
	VMOVUPS      p0<>(SB), Y3 \
	VFMADD213PS  p1<>(SB), Y2, Y3 \
	VFMADD213PS  p2<>(SB), Y2, Y3 \
	VFMADD213PS  p3<>(SB), Y2, Y3 \
	VFMADD213PS  p4<>(SB), Y2, Y3 \
	VFMADD213PS  p5<>(SB), Y2, Y3 \
	VMULPS       Y2, Y2, Y0 \
	VFMADD213PS  Y2, Y0, Y3 \
	VADDPS       Y13, Y3, Y3 \
	VCVTPS2DQ    Y1, Y1 \
	VPADDD       bias127<>(SB), Y1, Y1 \
	VPSLLD       $23, Y1, Y1 \
	VMULPS       Y1, Y3, Y0

#define PROLOGUE \
	MOVQ    n+0(FP), CX \
	MOVQ    src+8(FP), SI \
	MOVQ    dst+16(FP), DI \
	VMOVUPS expLo<>(SB), Y15 \
	VMOVUPS expHi<>(SB), Y14 \
	VMOVUPS one<>(SB), Y13 \
	SHRQ    $3, CX \
	JZ      done

// func sigmoidAVX2(n int, src, dst *float32); n a multiple of 8.
// 1 / (1 + exp(-x)).
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	PROLOGUE

loop:
	VMOVUPS (SI), Y4
	VXORPS  signMask<>(SB), Y4, Y0
	EXP8
	VADDPS  Y13, Y0, Y0
	VDIVPS  Y0, Y13, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func siluAVX2(n int, src, dst *float32); n a multiple of 8.
// x / (1 + exp(-x)).
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	PROLOGUE

loop:
	VMOVUPS (SI), Y4
	VXORPS  signMask<>(SB), Y4, Y0
	EXP8
	VADDPS  Y13, Y0, Y0
	VDIVPS  Y0, Y4, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func geluAVX2(n int, src, dst *float32); n a multiple of 8.
// 0.5·x·(1 + erf(x/√2)) with erf from Abramowitz & Stegun 7.1.26:
// erf(a) = sign(a)·(1 - poly(t)·exp(-a²)), t = 1/(1 + p|a|).
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	PROLOGUE

loop:
	VMOVUPS     (SI), Y4
	VMULPS      invSqrt2<>(SB), Y4, Y5
	VANDPS      absMask<>(SB), Y5, Y6
	VANDPS      signMask<>(SB), Y5, Y5
	VMULPS      Y6, Y6, Y0
	VXORPS      signMask<>(SB), Y0, Y0
	EXP8
	VMOVAPS     Y13, Y7
	VFMADD231PS erfP<>(SB), Y6, Y7
	VDIVPS      Y7, Y13, Y7
	VMOVUPS     a5<>(SB), Y8
	VFMADD213PS a4<>(SB), Y7, Y8
	VFMADD213PS a3<>(SB), Y7, Y8
	VFMADD213PS a2<>(SB), Y7, Y8
	VFMADD213PS a1<>(SB), Y7, Y8
	VMULPS      Y7, Y8, Y8
	VMULPS      Y0, Y8, Y8
	VSUBPS      Y8, Y13, Y8
	VXORPS      Y5, Y8, Y8
	VADDPS      Y13, Y8, Y8
	VMULPS      half<>(SB), Y4, Y4
	VMULPS      Y8, Y4, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JNZ         loop

done:
	VZEROUPPER
	RET

// func hardSwishAVX2(n int, src, dst *float32); n a multiple of 8.
// x · min(max(x + 3, 0), 6) / 6.
TEXT ·hardSwishAVX2(SB), NOSPLIT, $0-24
	MOVQ    n+0(FP), CX
	MOVQ    src+8(FP), SI
	MOVQ    dst+16(FP), DI
	VXORPS  Y15, Y15, Y15
	VMOVUPS six<>(SB), Y14
	SHRQ    $3, CX
	JZ      hdone

hloop:
	VMOVUPS (SI), Y4
	VADDPS  three<>(SB), Y4, Y0
	VMAXPS  Y0, Y15, Y0
	VMINPS  Y0, Y14, Y0
	VMULPS  Y0, Y4, Y0
	VMULPS  sixth<>(SB), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     hloop

hdone:
	VZEROUPPER
	RET


// func reluAVX2(n int, src, dst *float32); n a multiple of 8.
// max(0, x), x second so that NaN passes through.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ   n+0(FP), CX
	MOVQ   src+8(FP), SI
	MOVQ   dst+16(FP), DI
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     rdone

rloop:
	VMOVUPS (SI), Y0
	VMAXPS  Y0, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rloop

rdone:
	VZEROUPPER
	RET


// tanh: Cephes tanhf polynomial below |x| = 0.625, else (1-e)/(1+e) with
// e = exp(-2|x|) and the sign of x.
DATA tanhC0<>+0(SB)/4, $0xbbbaf0ea
DATA tanhC0<>+4(SB)/4, $0xbbbaf0ea
DATA tanhC0<>+8(SB)/4, $0xbbbaf0ea
DATA tanhC0<>+12(SB)/4, $0xbbbaf0ea
DATA tanhC0<>+16(SB)/4, $0xbbbaf0ea
DATA tanhC0<>+20(SB)/4, $0xbbbaf0ea
DATA tanhC0<>+24(SB)/4, $0xbbbaf0ea
DATA tanhC0<>+28(SB)/4, $0xbbbaf0ea
GLOBL tanhC0<>(SB), RODATA|NOPTR, $32
DATA tanhC1<>+0(SB)/4, $0x3ca9134e
DATA tanhC1<>+4(SB)/4, $0x3ca9134e
DATA tanhC1<>+8(SB)/4, $0x3ca9134e
DATA tanhC1<>+12(SB)/4, $0x3ca9134e
DATA tanhC1<>+16(SB)/4, $0x3ca9134e
DATA tanhC1<>+20(SB)/4, $0x3ca9134e
DATA tanhC1<>+24(SB)/4, $0x3ca9134e
DATA tanhC1<>+28(SB)/4, $0x3ca9134e
GLOBL tanhC1<>(SB), RODATA|NOPTR, $32
DATA tanhC2<>+0(SB)/4, $0xbd5c1e2d
DATA tanhC2<>+4(SB)/4, $0xbd5c1e2d
DATA tanhC2<>+8(SB)/4, $0xbd5c1e2d
DATA tanhC2<>+12(SB)/4, $0xbd5c1e2d
DATA tanhC2<>+16(SB)/4, $0xbd5c1e2d
DATA tanhC2<>+20(SB)/4, $0xbd5c1e2d
DATA tanhC2<>+24(SB)/4, $0xbd5c1e2d
DATA tanhC2<>+28(SB)/4, $0xbd5c1e2d
GLOBL tanhC2<>(SB), RODATA|NOPTR, $32
DATA tanhC3<>+0(SB)/4, $0x3e088393
DATA tanhC3<>+4(SB)/4, $0x3e088393
DATA tanhC3<>+8(SB)/4, $0x3e088393
DATA tanhC3<>+12(SB)/4, $0x3e088393
DATA tanhC3<>+16(SB)/4, $0x3e088393
DATA tanhC3<>+20(SB)/4, $0x3e088393
DATA tanhC3<>+24(SB)/4, $0x3e088393
DATA tanhC3<>+28(SB)/4, $0x3e088393
GLOBL tanhC3<>(SB), RODATA|NOPTR, $32
DATA tanhC4<>+0(SB)/4, $0xbeaaaa99
DATA tanhC4<>+4(SB)/4, $0xbeaaaa99
DATA tanhC4<>+8(SB)/4, $0xbeaaaa99
DATA tanhC4<>+12(SB)/4, $0xbeaaaa99
DATA tanhC4<>+16(SB)/4, $0xbeaaaa99
DATA tanhC4<>+20(SB)/4, $0xbeaaaa99
DATA tanhC4<>+24(SB)/4, $0xbeaaaa99
DATA tanhC4<>+28(SB)/4, $0xbeaaaa99
GLOBL tanhC4<>(SB), RODATA|NOPTR, $32
DATA tanhLim<>+0(SB)/4, $0x3f200000
DATA tanhLim<>+4(SB)/4, $0x3f200000
DATA tanhLim<>+8(SB)/4, $0x3f200000
DATA tanhLim<>+12(SB)/4, $0x3f200000
DATA tanhLim<>+16(SB)/4, $0x3f200000
DATA tanhLim<>+20(SB)/4, $0x3f200000
DATA tanhLim<>+24(SB)/4, $0x3f200000
DATA tanhLim<>+28(SB)/4, $0x3f200000
GLOBL tanhLim<>(SB), RODATA|NOPTR, $32
DATA negTwo<>+0(SB)/4, $0xc0000000
DATA negTwo<>+4(SB)/4, $0xc0000000
DATA negTwo<>+8(SB)/4, $0xc0000000
DATA negTwo<>+12(SB)/4, $0xc0000000
DATA negTwo<>+16(SB)/4, $0xc0000000
DATA negTwo<>+20(SB)/4, $0xc0000000
DATA negTwo<>+24(SB)/4, $0xc0000000
DATA negTwo<>+28(SB)/4, $0xc0000000
GLOBL negTwo<>(SB), RODATA|NOPTR, $32

// func tanhAVX2(n int, src, dst *float32); n a multiple of 8.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	PROLOGUE

loop:
	VMOVUPS      (SI), Y4
	VANDPS       absMask<>(SB), Y4, Y5
	VMULPS       negTwo<>(SB), Y5, Y0
	EXP8
	VSUBPS       Y0, Y13, Y6
	VADDPS       Y13, Y0, Y0
	VDIVPS       Y0, Y6, Y6
	VANDPS       signMask<>(SB), Y4, Y7
	VORPS        Y7, Y6, Y6
	VMULPS       Y4, Y4, Y8
	VMOVUPS      tanhC0<>(SB), Y9
	VFMADD213PS  tanhC1<>(SB), Y8, Y9
	VFMADD213PS  tanhC2<>(SB), Y8, Y9
	VFMADD213PS  tanhC3<>(SB), Y8, Y9
	VFMADD213PS  tanhC4<>(SB), Y8, Y9
	VMULPS       Y8, Y4, Y10
	VFMADD213PS  Y4, Y10, Y9
	VCMPPS       $1, tanhLim<>(SB), Y5, Y11
	VBLENDVPS    Y11, Y9, Y6, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          loop

done:
	VZEROUPPER
	RET
