/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_scalar.c: int8 CONV_2D and FULLY_CONNECTED for cores without SIMD (Cortex-M0+,
 * Cortex-M3, RV32IMC). Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h
 * ConvPerChannel and fully_connected.h (BUILTIN_REF's single rounding), with
 * -input_zp * sum(filter row) folded into the bias at compile time.
 * Per TCM_SCALAR_PIXELS output pixels, their patches are copied to scratch interleaved tap by
 * tap ([taps][pixels]; out-of-image taps read the input zero point, so they add 0) and summed;
 * then each block of 4 output channels walks its filter block ([taps][4], weights + 128 as
 * uint8) once, with the pixels x 4 accumulators in registers, starting from
 * bias - 128 * sum(patch): per tap, one load per pixel, 4 filter loads and pixels x 4
 * multiply-accumulates (MLA on ARMv7-M, MULS + ADDS on ARMv6-M, MUL + ADD on RV32).
 */
#include "tcm_conv_scalar.h"

#include <stddef.h>

#include "tcm_math.h"
#include "tcm_requant_scalar.h"

enum { CH = TCM_SCALAR_CHANNELS, PIX = TCM_SCALAR_PIXELS };

/* Accumulator range: every partial sum is within |bias| + 128 * 128 * taps (the start) +
 * 128 * 255 * taps < |bias| + 2^16 * taps, below 2^31 (ops/_scalar.py acc_fits checks it at
 * compile time, else the layer keeps the portable kernel). Signed, so that gcc keeps the
 * multiply-accumulates in order (it reassociates unsigned sums and runs out of registers). */

/* acc[0..3] += sum over n taps of x[k] * (w[4k + j] - 128), less the 128 * sum(x) the caller
 * folded into acc: per tap one x load, 4 uint8 loads with an immediate offset (ldrb, the load
 * ARMv6-M has for them), 4 multiplies and 4 adds; 4 taps per iteration. The 8 values live are
 * ARMv6-M's 8 low registers. */
#define TCM_SCALAR_DOT_1X4(NAME, XT)                                                     \
    static void NAME(const XT *x, const uint8_t *w, int32_t n, int32_t *acc)            \
    {                                                                                    \
        int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];                      \
        const uint8_t *end4 = w + (size_t)(n & ~3) * CH, *end = w + (size_t)n * CH;      \
        for (; w != end4; w += 4 * CH, x += 4) {                                         \
            TAP1(0); TAP1(1); TAP1(2); TAP1(3);                                          \
        }                                                                                \
        for (; w != end; w += CH, ++x) {                                                 \
            TAP1(0);                                                                     \
        }                                                                                \
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;                              \
    }
#define TAP1(o)                                                                          \
    do {                                                                                 \
        const int32_t v = x[o];                                                          \
        a0 += v * w[CH * (o)];                                                           \
        a1 += v * w[CH * (o) + 1];                                                       \
        a2 += v * w[CH * (o) + 2];                                                       \
        a3 += v * w[CH * (o) + 3];                                                       \
    } while (0)

#if defined(__ARM_ARCH_6M__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(TCM_SCALAR_NO_ASM)
/* The loop of TCM_SCALAR_DOT_1X4 as ARMv6-M needs it: gcc reorders the multiplies of an
 * unrolled loop and runs out of low registers (68 instructions for 16 MACs); this is 56 (60
 * with int8 x: ldrb + sxtb): per tap the x load, then per channel ldrb, muls, adds. The tail
 * runs the C loop. gcc passes Thumb-1 inline assembly in divided syntax: the block switches
 * to unified and back. */
#define TCM_ASM_CH(o, j)                                                                   \
    "ldrb %[t], [%[w], #" #o "*4+" #j "]\n\tmuls %[t], %[v], %[t]\n\t"                     \
    "adds %[a" #j "], %[a" #j "], %[t]\n\t"
#define TCM_ASM_TAP(o, LOADX)                                                              \
    LOADX(o) TCM_ASM_CH(o, 0) TCM_ASM_CH(o, 1) TCM_ASM_CH(o, 2) TCM_ASM_CH(o, 3)
#define TCM_ASM_LOAD32(o) "ldr %[v], [%[x], #" #o "*4]\n\t"
#define TCM_ASM_LOAD8(o) "ldrb %[v], [%[x], #" #o "]\n\tsxtb %[v], %[v]\n\t"
#define TCM_SCALAR_DOT_1X4_ASM(NAME, XT, LOADX)                                            \
    static void NAME(const XT *x, const uint8_t *w, int32_t n, int32_t *acc)              \
    {                                                                                      \
        int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], v, t;                  \
        const uint8_t *end4 = w + (size_t)(n & ~3) * CH, *end = w + (size_t)n * CH;        \
        if (w != end4) {                                                                   \
            __asm__(".syntax unified\n1:\n\t" TCM_ASM_TAP(0, LOADX) TCM_ASM_TAP(1, LOADX)   \
                    TCM_ASM_TAP(2, LOADX) TCM_ASM_TAP(3, LOADX)                            \
                    "adds %[x], #4*%c[size]\n\tadds %[w], #16\n\tcmp %[w], %[e]\n\t"      \
                    "bne 1b\n\t.syntax divided"                                            \
                    : [a0] "+l"(a0), [a1] "+l"(a1), [a2] "+l"(a2), [a3] "+l"(a3),          \
                      [x] "+l"(x), [w] "+l"(w), [v] "=&l"(v), [t] "=&l"(t)                 \
                    : [e] "h"(end4), [size] "i"(sizeof(XT))                                \
                    : "cc", "memory");                                                     \
        }                                                                                  \
        for (; w != end; w += CH, ++x) {                                                   \
            const int32_t xv = x[0];                                                       \
            a0 += xv * w[0];                                                               \
            a1 += xv * w[1];                                                               \
            a2 += xv * w[2];                                                               \
            a3 += xv * w[3];                                                               \
        }                                                                                  \
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;                                \
    }
TCM_SCALAR_DOT_1X4_ASM(dot_1x4, int8_t, TCM_ASM_LOAD8)      /* FULLY_CONNECTED's input row */
#else
TCM_SCALAR_DOT_1X4(dot_1x4, int8_t)
#endif

#if TCM_SCALAR_PIXELS == 1
/* ARMv6-M's conv patch holds int32 (ldr with an immediate offset; ldrsb has none). */
typedef int32_t tcm_patch_t;
#ifdef TCM_SCALAR_DOT_1X4_ASM
TCM_SCALAR_DOT_1X4_ASM(dot_patch, int32_t, TCM_ASM_LOAD32)
#else
TCM_SCALAR_DOT_1X4(dot_patch, int32_t)
#endif
#else
typedef int8_t tcm_patch_t;
#endif

#if TCM_SCALAR_PIXELS == 2
/* Tap o of a pair: 2 pixels x 4 channels. */
#define TAP2(o)                                                                    \
    do {                                                                           \
        const int32_t v0 = x[2 * (o)], v1 = x[2 * (o) + 1];                        \
        int32_t f = w[CH * (o)];                                                   \
        a00 += v0 * f;                                                             \
        a10 += v1 * f;                                                             \
        f = w[CH * (o) + 1];                                                       \
        a01 += v0 * f;                                                             \
        a11 += v1 * f;                                                             \
        f = w[CH * (o) + 2];                                                       \
        a02 += v0 * f;                                                             \
        a12 += v1 * f;                                                             \
        f = w[CH * (o) + 3];                                                       \
        a03 += v0 * f;                                                             \
        a13 += v1 * f;                                                             \
    } while (0)

/* 2 pixels x 4 channels; x is [n][2]. Two taps per iteration (8 accumulators, 2 inputs and a
 * filter value live: the 13 registers of ARMv7-M). */
static void dot_block(const int8_t *x, const uint8_t *w, int32_t n, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a02 = acc[2], a03 = acc[3];
    int32_t a10 = acc[4], a11 = acc[5], a12 = acc[6], a13 = acc[7];
    const uint8_t *end = w + (size_t)(n & ~1) * CH;
    for (; w != end; w += 2 * CH, x += 4) {
        TAP2(0);
        TAP2(1);
    }
    if (n & 1) {
        TAP2(0);
    }
    acc[0] = a00; acc[1] = a01; acc[2] = a02; acc[3] = a03;
    acc[4] = a10; acc[5] = a11; acc[6] = a12; acc[7] = a13;
}
#elif TCM_SCALAR_PIXELS == 4
/* 4 pixels x 4 channels; x is [n][4]. */
static void dot_block(const int8_t *x, const uint8_t *w, int32_t n, int32_t *acc)
{
    int32_t a[16];
    int32_t i;
    const uint8_t *end = w + (size_t)n * CH;
    for (i = 0; i < 16; ++i) {
        a[i] = acc[i];
    }
    for (; w != end; w += CH, x += 4) {
        const int32_t v0 = x[0], v1 = x[1], v2 = x[2], v3 = x[3];
        const int32_t f0 = w[0], f1 = w[1], f2 = w[2], f3 = w[3];
        a[0] += v0 * f0; a[1] += v0 * f1; a[2] += v0 * f2; a[3] += v0 * f3;
        a[4] += v1 * f0; a[5] += v1 * f1; a[6] += v1 * f2; a[7] += v1 * f3;
        a[8] += v2 * f0; a[9] += v2 * f1; a[10] += v2 * f2; a[11] += v2 * f3;
        a[12] += v3 * f0; a[13] += v3 * f1; a[14] += v3 * f2; a[15] += v3 * f3;
    }
    for (i = 0; i < 16; ++i) {
        acc[i] = a[i];
    }
}
#endif

/* Copy output pixel `pixel`'s taps (NHWC order) into patch[k * pix + slot] (T: the patch's
 * element type, pix its pixels, SC the function's storage class); return their sum. The
 * window's fields are read into locals first: the patch stores (int32 on ARMv6-M) could alias
 * them, which would make the compiler reload them per tap. */
#define TCM_SCALAR_GATHER(SC, NAME, T, pix)                                                        \
SC int32_t NAME(const tcm_window *p, const int8_t *input, int32_t pixel, int32_t slot,             \
                T *patch)                                                                          \
{                                                                                                  \
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, k_h = p->k_h, k_w = p->k_w;      \
    const int32_t dil_h = p->dil_h, dil_w = p->dil_w;                                              \
    const int32_t ow = pixel % p->out_w, oh = (pixel / p->out_w) % p->out_h;                       \
    const int32_t batch = pixel / (p->out_w * p->out_h);                                           \
    const int32_t in_y0 = oh * p->stride_h - p->pad_h, in_x0 = ow * p->stride_w - p->pad_w;        \
    const int8_t *image = input + (size_t)batch * (size_t)in_h * (size_t)in_w * (size_t)in_c;      \
    const int8_t zp = (int8_t)p->input_zp;                                                         \
    T *dst = patch + slot;                                                                         \
    int32_t fy, fx, c, sum = 0;                                                                    \
    for (fy = 0; fy < k_h; ++fy) {                                                                 \
        const int32_t y = in_y0 + fy * dil_h;                                                      \
        for (fx = 0; fx < k_w; ++fx) {                                                             \
            const int32_t x = in_x0 + fx * dil_w;                                                  \
            if (y < 0 || y >= in_h || x < 0 || x >= in_w) {                                        \
                for (c = 0; c < in_c; ++c, dst += pix) {                                           \
                    *dst = zp;                                                                     \
                }                                                                                  \
                sum += zp * in_c;                                                                  \
            } else {                                                                               \
                const int8_t *src = image + ((size_t)y * (size_t)in_w + (size_t)x) * (size_t)in_c; \
                for (c = 0; c + 4 <= in_c; c += 4, src += 4, dst += 4 * pix) {                     \
                    const int32_t v0 = src[0], v1 = src[1], v2 = src[2], v3 = src[3];              \
                    dst[0] = (T)v0;                                                                \
                    dst[pix] = (T)v1;                                                              \
                    dst[2 * pix] = (T)v2;                                                          \
                    dst[3 * pix] = (T)v3;                                                          \
                    sum += v0 + v1 + v2 + v3;                                                      \
                }                                                                                  \
                for (; c < in_c; ++c, ++src, dst += pix) {                                         \
                    *dst = *src;                                                                   \
                    sum += *src;                                                                   \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    return sum;                                                                                    \
}
TCM_SCALAR_GATHER(TCM_INLINE, gather, tcm_patch_t, PIX)
TCM_SCALAR_GATHER(TCM_NOINLINE, gather_s8, int8_t, 4)   /* the 4-pixel patch of tcm_conv2d_s8_pairs */

/* bias - 128 * sum(x): where the accumulators of offset weights start. */
static int32_t start(int32_t bias, int32_t sum)
{
    return bias - sum * 128;
}

void tcm_conv2d_s8_scalar(const tcm_window *p, const int8_t *input, const uint8_t *filter,
                          const int32_t *requant, tcm_scalar_requant mode, int8_t *output,
                          int8_t *scratch)
{
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    const int32_t pixels = p->batches * p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    int32_t first, slot, c;
    for (first = 0; first < pixels; first += PIX) {
        const int32_t n_pix = pixels - first < PIX ? pixels - first : PIX;
        int8_t *out[PIX];
        int32_t sum[PIX];
        for (slot = 0; slot < PIX; ++slot) {   /* a short last group repeats its last pixel */
            const int32_t pixel = first + (slot < n_pix ? slot : n_pix - 1);
            sum[slot] = gather(p, input, pixel, slot, (tcm_patch_t *)(void *)scratch);
            out[slot] = output + (size_t)pixel * (size_t)out_c;
        }
        for (c = 0; c < out_c; c += CH) {
            const int32_t n_ch = out_c - c < CH ? out_c - c : CH;
            const uint8_t *w = filter + (size_t)c * (size_t)taps;
            int32_t acc[PIX * CH];
            int8_t *dst[PIX];
            int32_t i, j;
            for (i = 0; i < PIX; ++i) {
                for (j = 0; j < CH; ++j) {
                    acc[i * CH + j] = j < n_ch ? start(requant[3 * (c + j)], sum[i]) : 0;
                }
                dst[i] = out[i] + c;
            }
#if TCM_SCALAR_PIXELS == 1
            dot_patch((const int32_t *)(void *)scratch, w, taps, acc);
            tcm_scalar_store_pixel(acc, n_ch, requant + 3 * c + 1, 3, mode, p->output_offset,
                                   p->act_min, p->act_max, dst[0]);
#else
            dot_block(scratch, w, taps, acc);
            tcm_scalar_store(acc, n_pix, n_ch, requant + 3 * c + 1, 3, mode, p->output_offset,
                             p->act_min, p->act_max, dst);
#endif
        }
    }
}

/* ---- Pairs in one 64-bit accumulator (ARMv7-M without DSP: SMLAL, 1 instruction for 2 MACs).
 * t = sum x * w of two int32 lanes a + b * 2^K (the low lane a signed, |sum of a| < 2^(K-1)
 * proven at compile time, ops/_scalar.py pairs_fit) holds sum(a) + 2^K * sum(b) exactly;
 * split() gives both sums back. */
static void split(int64_t t, int32_t k, int32_t *low, int32_t *high)
{
    const int32_t h = (int32_t)((t + ((int64_t)1 << (k - 1))) >> k);   /* floor */
    *high = h;
    *low = (int32_t)((uint32_t)t - ((uint32_t)h << k));
}

enum { PAIR_K = 23 };   /* tcm_conv2d_s8_pairs: the patch's second pixel at bit 23 */

/* t[j][q] += sum over n taps of x[k][q] * w[k][j] (q: a pair of pixels packed in an int32,
 * j: 2 channels); 4 taps per iteration (per tap an LDRD, 2 LDRSB and 4 SMLAL on ARMv7-M). */
static void dot_pairs(const int32_t *x, const int8_t *w, int32_t n, int64_t *t)
{
    int64_t t00 = 0, t01 = 0, t10 = 0, t11 = 0;
    const int8_t *end4 = w + 2 * (size_t)(n & ~3), *end = w + 2 * (size_t)n;
#define TCM_PAIRS_TAP(o)                                                          \
    do {                                                                          \
        const int32_t x01 = x[2 * (o)], x23 = x[2 * (o) + 1];                     \
        const int32_t f0 = w[2 * (o)], f1 = w[2 * (o) + 1];                       \
        t00 += (int64_t)x01 * f0;                                                 \
        t01 += (int64_t)x23 * f0;                                                 \
        t10 += (int64_t)x01 * f1;                                                 \
        t11 += (int64_t)x23 * f1;                                                 \
    } while (0)
    for (; w != end4; w += 8, x += 8) {
        TCM_PAIRS_TAP(0);
        TCM_PAIRS_TAP(1);
        TCM_PAIRS_TAP(2);
        TCM_PAIRS_TAP(3);
    }
    for (; w != end; w += 2, x += 2) {
        TCM_PAIRS_TAP(0);
    }
#undef TCM_PAIRS_TAP
    t[0] = t00; t[1] = t01; t[2] = t10; t[3] = t11;
}

/* The common case of tcm_conv2d_s8_pairs' blocks: 4 pixels, the short double rounding; t as
 * dot_pairs leaves it, rq the channels' [bias, multiplier, shift] rows, out[slot] + c. */
static void store_pairs(const int64_t *t, int32_t n_ch, const int32_t *rq, const tcm_window *p,
                        int8_t *const *out, int32_t c)
{
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t j, q, a[2];
    for (j = 0; j < n_ch; ++j, rq += 3) {
        const int32_t bias = rq[0], mult = rq[1], right = -rq[2];
        for (q = 0; q < 2; ++q) {
            split(t[2 * j + q], PAIR_K, &a[0], &a[1]);
            out[2 * q][c + j] = (int8_t)tcm_clamp(
                tcm_scalar_double_right(a[0] + bias, mult, right) + offset, lo, hi);
            out[2 * q + 1][c + j] = (int8_t)tcm_clamp(
                tcm_scalar_double_right(a[1] + bias, mult, right) + offset, lo, hi);
        }
    }
}

void tcm_conv2d_s8_pairs(const tcm_window *p, const int8_t *input, const int8_t *filter,
                         const int32_t *requant, tcm_scalar_requant mode, int8_t *output,
                         int8_t *scratch)
{
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    const int32_t pixels = p->batches * p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    int32_t *patch = (int32_t *)(void *)scratch;
    int32_t first, slot, c, k;
    for (first = 0; first < pixels; first += 4) {
        const int32_t n_pix = pixels - first < 4 ? pixels - first : 4;
        int8_t *out[4];
        for (slot = 0; slot < 4; ++slot) {   /* a short last group repeats its last pixel */
            const int32_t pixel = first + (slot < n_pix ? slot : n_pix - 1);
            (void)gather_s8(p, input, pixel, slot, scratch);
            out[slot] = output + (size_t)pixel * (size_t)out_c;
        }
        /* [taps][4] int8 -> [taps][2] int32 pairs x0 + x1 * 2^23, x2 + x3 * 2^23, in place from
         * the last tap (tap k's pair overwrites bytes 8k.., past the bytes 4k.. of every tap
         * still unread) */
        for (k = taps - 1; k >= 0; --k) {
            const int8_t *v = scratch + 4 * k;
            const int32_t x0 = v[0], x1 = v[1], x2 = v[2], x3 = v[3];
            patch[2 * k] = x0 + (int32_t)((uint32_t)x1 << PAIR_K);
            patch[2 * k + 1] = x2 + (int32_t)((uint32_t)x3 << PAIR_K);
        }
        for (c = 0; c < out_c; c += 2) {
            const int32_t n_ch = out_c - c < 2 ? out_c - c : 2;
            int64_t t[4];
            int32_t acc[4 * 4], j;
            int8_t *dst[4];
            dot_pairs(patch, filter + (size_t)c * (size_t)taps, taps, t);
            if (mode == TCM_SCALAR_RQ_DOUBLE_RIGHT && n_pix == 4) {
                store_pairs(t, n_ch, requant + 3 * c, p, out, c);
                continue;
            }
            for (j = 0; j < 2; ++j) {
                const int32_t bias = j < n_ch ? requant[3 * (c + j)] : 0;
                split(t[2 * j], PAIR_K, &acc[0 * 4 + j], &acc[1 * 4 + j]);
                split(t[2 * j + 1], PAIR_K, &acc[2 * 4 + j], &acc[3 * 4 + j]);
                for (slot = 0; slot < 4; ++slot) {
                    acc[slot * 4 + j] += bias;
                }
            }
            for (slot = 0; slot < 4; ++slot) {
                dst[slot] = out[slot] + c;
            }
            tcm_scalar_store(acc, n_pix, n_ch, requant + 3 * c + 1, 3, mode, p->output_offset,
                             p->act_min, p->act_max, dst);
        }
    }
}

/* acc[0..3] = sum over n taps of x[k] * w[k][j] for weight words [u0, w3, u2, w1] (u: w + 128):
 * the word AND 0xff0000ff is u0 + w1 * 2^24, rotated by 16 and ANDed u2 + w3 * 2^24; the
 * accumulators start from -128 * sum(x) (xsum), which takes the 128s back out of the low lanes. */
static void dot_fc_pairs(const int8_t *x, const uint8_t *w, int32_t n, int32_t xsum,
                         int32_t *acc)
{
    const uint32_t mask = 0xff0000ffu;
    int64_t t01 = -128 * (int64_t)xsum, t23 = t01;
    const uint8_t *end4 = w + 4 * (size_t)(n & ~3), *end = w + 4 * (size_t)n;
#define TCM_FC_PAIRS_TAP(o)                                                       \
    do {                                                                          \
        const uint32_t word = (uint32_t)w[4 * (o)] | (uint32_t)w[4 * (o) + 1] << 8 | \
                              (uint32_t)w[4 * (o) + 2] << 16 |                    \
                              (uint32_t)w[4 * (o) + 3] << 24;                     \
        const int32_t v = x[o];                                                   \
        t01 += (int64_t)v * (int32_t)(word & mask);                               \
        t23 += (int64_t)v * (int32_t)(((word >> 16) | (word << 16)) & mask);      \
    } while (0)
    for (; w != end4; w += 16, x += 4) {
        TCM_FC_PAIRS_TAP(0);
        TCM_FC_PAIRS_TAP(1);
        TCM_FC_PAIRS_TAP(2);
        TCM_FC_PAIRS_TAP(3);
    }
    for (; w != end; w += 4, ++x) {
        TCM_FC_PAIRS_TAP(0);
    }
#undef TCM_FC_PAIRS_TAP
    split(t01, 24, &acc[0], &acc[1]);
    split(t23, 24, &acc[2], &acc[3]);
}

/* FULLY_CONNECTED's loop over batches and blocks of 4 units, with either dot product:
 * tcm_fully_connected_s8_pairs' (pairs) or tcm_fully_connected_s8_scalar's (inlined into
 * each, so that the test on pairs is gone from the code). */
TCM_INLINE void fc_walk(int32_t batches, int32_t depth, int32_t units, const int8_t *input,
                    const uint8_t *filter, const int32_t *bias, const int32_t *mult_shift,
                    int32_t per_channel, tcm_scalar_requant mode, int32_t output_offset,
                    int32_t act_min, int32_t act_max, int8_t *output, int pairs)
{
    int32_t b, c, j, k;
    for (b = 0; b < batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *row = output + (size_t)b * (size_t)units;
        int32_t sum = 0;
        for (k = 0; k < depth; ++k) {
            sum += x[k];
        }
        for (c = 0; c < units; c += CH) {
            const int32_t n_ch = units - c < CH ? units - c : CH;
            int32_t acc[CH];
            if (pairs) {
                dot_fc_pairs(x, filter + (size_t)c * (size_t)depth, depth, sum, acc);
                for (j = 0; j < n_ch; ++j) {
                    acc[j] += bias[c + j];
                }
            } else {
                for (j = 0; j < CH; ++j) {
                    acc[j] = j < n_ch ? start(bias[c + j], sum) : 0;
                }
                dot_1x4(x, filter + (size_t)c * (size_t)depth, depth, acc);
            }
            tcm_scalar_store_pixel(acc, n_ch, mult_shift + (per_channel ? 2 * c : 0),
                                   per_channel ? 2 : 0, mode, output_offset, act_min, act_max,
                                   row + c);
        }
    }
}

void tcm_fully_connected_s8_scalar(TCM_FC_SCALAR_ARGS)
{
    fc_walk(batches, depth, units, input, filter, bias, mult_shift, per_channel, mode,
            output_offset, act_min, act_max, output, 0);
}

void tcm_fully_connected_s8_pairs(TCM_FC_SCALAR_ARGS)
{
    fc_walk(batches, depth, units, input, filter, bias, mult_shift, per_channel, mode,
            output_offset, act_min, act_max, output, 1);
}
