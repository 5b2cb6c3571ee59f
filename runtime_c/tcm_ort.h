/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_ort.h: onnxruntime's int8 requantization ("ort_float"), bit for bit, and the kernels that
 * use it (runtime_c/tcm_ort.c): convolution (any groups: depthwise too), fully connected, and
 * QuantizeLinear at the model's float edges.
 *
 * onnxruntime (CPU execution provider; onnxruntime/core/mlas/lib/quantize.cpp
 * MlasRequantizeOutput, qlinearconv.cc, quantize_linear_matmul.cc) computes each output as
 *     y = clamp(RNE(float32(acc) * m), qmin - zp, qmax - zp) + zp,   m = float32 x_s * w_s / y_s
 * with acc the int32 sum of (x - x_zp) * (w - w_zp) plus the int32 bias, RNE = round half to
 * even, every float operation in IEEE single precision. tinycc_ml/quant_ort.py is the Python
 * spec; it also splits m into mant * 2^-shift (mant < 2^24, 1 <= shift <= 62).
 *
 * tcm_ort_requant_int: integer-only and exact: float32(acc) is acc rounded (RNE) to 24
 * significant bits, the float32 product is acc' * mant (one 32x32->64 multiply) rounded to 24
 * bits again, and the result is that rounded to an integer. No FPU needed.
 * tcm_ort_requant_f32: the same in float, where single precision is evaluated exactly
 * (FLT_EVAL_METHOD 0) and cannot be contracted into a fused multiply-add (the clamp sits between
 * the product and the rounding add). tcm_ort_requant_channel uses the float form on targets with
 * an FPU (Arm with __ARM_FP single precision, RISC-V with F, x86-64, AArch64) and the integer
 * form elsewhere; tests check that both give the same values.
 */
#ifndef TCM_ORT_H
#define TCM_ORT_H

#include <float.h>
#include <stdint.h>

#include "tcm_window.h"

#if defined(__GNUC__) || defined(__clang__)
#define TCM_ORT_INLINE static inline __attribute__((always_inline))
#else
#define TCM_ORT_INLINE static inline
#endif

/* The storage class of a loop body that a DSP / Helium kernel file shares between its TFLite
 * entry point and its `_ort` twin: one static copy for the two where the output has layers of
 * both (TCM_WITH_ORT, tcm_names.h), else inlined into the one entry point compiled, as gcc
 * compiled the file before it had two (measured: fewer instructions on Cortex-M4). */
#ifdef TCM_WITH_ORT
#define TCM_ORT_SHARED static
#else
#define TCM_ORT_SHARED TCM_ORT_INLINE
#endif

/* round(v / 2^k) half to even; v >= 0, 1 <= k <= 63 */
TCM_ORT_INLINE uint64_t tcm_ort_rne_shift(uint64_t v, int k)
{
    const uint64_t q = v >> k;
    const uint64_t r = v & (((uint64_t)1 << k) - 1u);
    const uint64_t half = (uint64_t)1 << (k - 1);
    return q + (uint64_t)(r > half || (r == half && (q & 1u)));
}

/* number of significant bits of v (0 for 0) */
TCM_ORT_INLINE int tcm_ort_bits(uint64_t v)
{
#if defined(__GNUC__) || defined(__clang__)
    return v ? 64 - __builtin_clzll(v) : 0;
#else
    int n = 0;
    while (v) {
        v >>= 1;
        n++;
    }
    return n;
#endif
}

/* v rounded half to even to 24 significant bits; *e += the bits dropped */
TCM_ORT_INLINE uint64_t tcm_ort_round24(uint64_t v, int *e)
{
    const int k = tcm_ort_bits(v) - 24;
    if (k <= 0) {
        return v;
    }
    *e += k;
    return tcm_ort_rne_shift(v, k);
}

/* y = clamp(RNE(float32(acc) * mant * 2^-shift)) + zp, in integers only (see above) */
TCM_ORT_INLINE int32_t tcm_ort_requant_int(int32_t acc, int32_t mant, int32_t shift, int32_t zp,
                                           int32_t act_min, int32_t act_max)
{
    int e = 0;
    uint64_t a = acc < 0 ? (uint64_t)0 - (uint64_t)(int64_t)acc : (uint64_t)acc;
    uint64_t p;
    int s;
    int64_t q;
    a = tcm_ort_round24(a, &e);                         /* float32(acc) = a * 2^e */
    p = tcm_ort_round24(a * (uint64_t)(uint32_t)mant, &e); /* a < 2^31, mant < 2^24 */
    s = (int)shift - e;
    if (p == 0 || s >= 64) {
        q = 0;
    } else if (s <= 0) {
        q = (s <= -11 || p > 1024u) ? 1024 : (int64_t)(p << -s);   /* 1024: saturates below */
    } else {
        q = (int64_t)tcm_ort_rne_shift(p, s);
        if (q > 1024) {
            q = 1024;
        }
    }
    if (acc < 0) {
        q = -q;
    }
    if (q < (int64_t)act_min - zp) {
        q = (int64_t)act_min - zp;
    }
    if (q > (int64_t)act_max - zp) {
        q = (int64_t)act_max - zp;
    }
    return (int32_t)q + zp;
}

/* the float form; m = mant * 2^-shift as a float32 (tinycc_ml/quant_ort.py) */
TCM_ORT_INLINE int32_t tcm_ort_requant_f32(int32_t acc, float m, int32_t zp, int32_t act_min,
                                           int32_t act_max)
{
    float v = (float)acc * m;
    const float lo = (float)(act_min - zp);
    const float hi = (float)(act_max - zp);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    /* |v| <= 383 < 2^22: adding and removing 1.5 * 2^23 rounds to an integer, half to even */
    v = (v + 12582912.0f) - 12582912.0f;
    return (int32_t)v + zp;
}

/* A layer's requantization: per output channel (or one entry, per_channel 0) the multiplier
 * in both forms; the output zero point and clamp range (the fused Relu/Clip, in output units). */
typedef struct {
    const float *m;         /* float32 x_scale * w_scale / y_scale */
    const int32_t *mant;    /* m = mant * 2^-shift exactly */
    const int32_t *shift;
    int32_t per_channel;
    int32_t zp, act_min, act_max;
} tcm_ort_requant;

/* float where single precision is evaluated exactly (FLT_EVAL_METHOD 0) in hardware: 32-bit Arm
 * with a single-precision FPU, RISC-V with F, other targets (x86-64, AArch64) always; the
 * integer form on Arm and RISC-V cores without one, or with TCM_ORT_INTEGER_ONLY. */
#if defined(__arm__) && !(defined(__ARM_FP) && (__ARM_FP & 4))
#define TCM_ORT_HW_FLOAT 0
#elif defined(__riscv) && !defined(__riscv_flen)
#define TCM_ORT_HW_FLOAT 0
#else
#define TCM_ORT_HW_FLOAT 1
#endif
#if FLT_EVAL_METHOD == 0 && TCM_ORT_HW_FLOAT && !defined(TCM_ORT_INTEGER_ONLY)
#define TCM_ORT_USE_FLOAT 1
#else
#define TCM_ORT_USE_FLOAT 0
#endif

/* entry k of rq's multipliers (the per-output step of every kernel of the "ort_float" form: the
 * portable ones here and the DSP / Helium MAC loops of tcm_conv_smlad.c, tcm_conv_mve.c,
 * tcm_depthwise_smlad.c, tcm_depthwise_mve.c, tcm_fc.c and tcm_fc_mve.c) */
TCM_ORT_INLINE int32_t tcm_ort_requant_at(int32_t acc, const tcm_ort_requant *rq, int32_t k)
{
#if TCM_ORT_USE_FLOAT
    return tcm_ort_requant_f32(acc, rq->m[k], rq->zp, rq->act_min, rq->act_max);
#else
    return tcm_ort_requant_int(acc, rq->mant[k], rq->shift[k], rq->zp, rq->act_min, rq->act_max);
#endif
}

/* output channel c of layer rq */
TCM_ORT_INLINE int32_t tcm_ort_requant_channel(int32_t acc, const tcm_ort_requant *rq, int32_t c)
{
    return tcm_ort_requant_at(acc, rq, rq->per_channel ? c : 0);
}

/* Convolution, NHWC, any group count (depthwise: groups == in_c).
 *   input   [batches, in_h, in_w, in_c] int8, zero point p->input_zp
 *   filter  [out_c, k_h, k_w, in_c / groups] int8, zero point filter_zp
 *   bias    [out_c] int32 (the model's, scale x_s * w_s) or NULL
 *   output  [batches, out_h, out_w, out_c] int8; must not alias input
 * p->pad_h / pad_w: padding before the image; taps outside the image are skipped (onnxruntime
 * pads with the input zero point, so a padded tap adds (x_zp - x_zp) * (w - w_zp) = 0).
 * The other tcm_window fields except dilation, strides and sizes are unused. */
void tcm_ort_conv_s8(const tcm_window *p, int32_t groups, const int8_t *input,
                     const int8_t *filter, int32_t filter_zp, const int32_t *bias,
                     const tcm_ort_requant *rq, int8_t *output);

/* Fully connected: output[b][o] = requant(sum_i (x[b][i] - x_zp) * (w[o][i] - w_zp) + bias[o]).
 *   input [batches][depth] int8, filter [units][depth] int8, bias [units] int32 or NULL. */
void tcm_ort_fc_s8(int32_t batches, int32_t depth, int32_t units, const int8_t *input,
                   int32_t input_zp, const int8_t *filter, int32_t filter_zp, const int32_t *bias,
                   const tcm_ort_requant *rq, int8_t *output);

/* AveragePool as onnxruntime's QLinearAveragePool (contrib_ops/cpu/quantization/qlinear_pool.cc)
 * computes it when the window is not the whole image: each tap dequantized to float32
 * x_scale * (x - x_zp) (x_table[x + 128], made at compile time, so that no multiply-add can be
 * contracted), summed in float32 in row order, divided by the tap count (the taps
 * inside the image, or k_h * k_w with count_include_pad), then
 * clamp(nearbyintf(avg / y_scale + y_zp)) (round half to even, the zero point added first;
 * zp_offset 128 where the model's type is uint8: its zero point is output_offset + 128, and
 * the float sum rounds differently).
 * p: geometry as for tcm_ort_conv_s8 (out_c == in_c); input_zp and output_offset are used. */
void tcm_ort_avg_pool_s8(const tcm_window *p, const float *x_table, float y_scale,
                         int32_t count_include_pad, int32_t zp_offset, const int8_t *input,
                         int8_t *output);

/* A whole-image average (QLinearGlobalAveragePool, and QLinearAveragePool whose window covers
 * the image without padding): acc = sum(x) - x_zp * n, requantized by rq with
 * m = x_scale / (y_scale * n) (onnxruntime/core/mlas/lib/qlgavgpool.cpp, x86 path).
 *   input [batches, n, channels] int8, output [batches, channels] int8. */
void tcm_ort_global_avg_pool_s8(int32_t batches, int32_t n, int32_t channels, int32_t input_zp,
                                const tcm_ort_requant *rq, const int8_t *input, int8_t *output);

/* QLinearAdd as onnxruntime's x86-64 AVX2 kernel computes it (core/mlas/lib/x86_64/
 * QLinearBinaryOpKernelAvx2.S): y = clamp(RNE((float(a - za) * sa + float(b - zb) * sb) / sc))
 * + zc. The two products come from 256-entry float32 tables made at compile time (a_table[a +
 * 128] = float32(a - za) * sa), so only an addition and a division run here: nothing can be
 * contracted into a fused multiply-add. Broadcasting: 4-D index with element strides (0 on a
 * broadcast axis) per operand. */
typedef struct {
    int32_t dims[4];            /* output shape, NHWC (rank padded with leading 1s) */
    int32_t a_strides[4], b_strides[4];
    const float *a_table, *b_table;
    float c_scale;
    int32_t zp, act_min, act_max;
} tcm_ort_add;

void tcm_ort_add_s8(const tcm_ort_add *p, const int8_t *a, const int8_t *b, int8_t *output);

/* QLinearMul as onnxruntime's x86-64 kernel computes it (core/mlas/lib/qlmul.cpp, SSE2):
 * y = sat(RNE(float((a - za) * (b - zb)) * ratio + (zc + zp_offset))) - zp_offset, ratio =
 * float32(float32(sa * sb) / sc), the zero point added in float before rounding, in the type
 * onnxruntime runs (zp_offset 128: uint8). Broadcasting as tcm_ort_add. */
typedef struct {
    int32_t dims[4];            /* output shape, NHWC (rank padded with leading 1s) */
    int32_t a_strides[4], b_strides[4];
    int32_t a_zp, b_zp;
    float ratio;
    int32_t zp, zp_offset, act_min, act_max;
} tcm_ort_mul;

void tcm_ort_mul_s8(const tcm_ort_mul *p, const int8_t *a, const int8_t *b, int8_t *output);

/* QuantizeLinear float32 -> int8: clamp(RNE(x / scale)) + zp (MlasQuantizeLinear), NaN -> zp. */
void tcm_ort_quantize_f32_s8(int32_t size, float scale, int32_t zp, const float *input,
                             int8_t *output);

/* QLinearSoftmax (com.microsoft; contrib_ops/cpu/quantization/qlinear_softmax.cc), `rows` rows
 * of `depth` int8 values (a uint8 model's codes minus 128). table[d] = float32 exp table at
 * d = row max - x (tinycc_ml/quant_ort.py softmax_table); per row the float32 sum of table[d]
 * in order, then y = nearbyintf(table[d] * y_scale_floor / sum) + zp with y_scale_floor =
 * floor(1 / y_scale) and zp in the model's type, saturated at 255 (unsigned: y - 128 is
 * written) or 127 (int8). output may be input (each value is written after its last read). */
void tcm_ort_softmax_s8(int32_t rows, int32_t depth, const float *table, float y_scale_floor,
                        int32_t zp, int32_t is_unsigned, const int8_t *input, int8_t *output);

#endif /* TCM_ORT_H */
