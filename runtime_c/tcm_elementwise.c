/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_elementwise.c: int8 ADD, SUB and MUL with broadcasting.
 *
 * Numerics (TensorFlow 2.21, BUILTIN_REF):
 * - ADD: tensorflow/lite/kernels/internal/reference/integer_ops/add.h AddFunc: each input
 *   offset, shifted left by left_shift (20), rescaled to the common scale
 *   (MultiplyByQuantizedMultiplierSmallerThanOneExp), summed, rescaled to the output
 *   (same function), + output_offset, clamped. Broadcasting: BroadcastAdd6DSlow.
 * - SUB: tensorflow/lite/kernels/internal/reference/sub.h SubElementwise /
 *   BroadcastQuantSubSlow: the same with the scaled second input subtracted (negate = 1).
 * - MUL: tensorflow/lite/kernels/internal/reference/integer_ops/mul.h MulElementwise /
 *   BroadcastMul6DSlow: (x1 + offset1) * (x2 + offset2), MultiplyByQuantizedMultiplier,
 *   + output_offset, clamped.
 * - SQUARED_DIFFERENCE: tensorflow/lite/kernels/squared_difference.cc SquaredDifference: ADD's
 *   operand scaling with left_shift 7, the difference squared, rescaled to the output
 *   (MultiplyByQuantizedMultiplierSmallerThanOneExp), + output_offset, clamped.
 * Multipliers and shifts come from tinycc_ml/ops/add.py and mul.py (add.cc, sub.cc, mul.cc
 * Prepare). The loop visits the output in order, one contiguous run at a time (tcm_broadcast).
 */
#include "tcm_elementwise.h"

#include <stddef.h>

#include "tcm_math.h"

/* ---- ADD, SUB ---------------------------------------------------------------------------- */

/* The ADD/SUB arithmetic, hoisted into plain locals so that gcc and clang vectorize the loops
 * below (no per-element branches, no 64-bit shift by a variable, no reads through `p`).
 *
 * An operand's scaled value is RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(
 * v << left_shift, m), e) with v = x + offset, |v| <= 255. Since v << L is v * 2^L, the high
 * multiply floor((v * 2^L * m + 2^30) / 2^31) equals floor((v * m + 2^(k-1)) / 2^k) with
 * k = 31 - L, and with m = mh * 2^k + ml (0 <= ml < 2^k) that is
 * v * mh + floor((v * ml + 2^(k-1)) / 2^k): all in 32 bits (|v * mh| < 2^(8+L), v * ml < 2^(8+k)),
 * exact, and never the saturating case (v << L > INT32_MIN). Needs both below 2^31, i.e.
 * 8 <= left_shift <= 23 (int8 ADD uses 20; tinycc_ml/ops/add.py LEFT_SHIFT). The output rescale acts on any int32 sum, so it keeps
 * the 64-bit product (tcm_srdhm's form; |sum| < 2^30 is never INT32_MIN). RoundingDivideByPOT
 * is gemmlowp's 32-bit form: (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)). */
typedef struct {
    int32_t offset, mh, ml, round, k, e, mask, half, neg;
} add_operand_consts;

typedef struct {
    add_operand_consts in1, in2;
    int32_t out_mult, out_e, out_mask, out_half, out_offset, act_min, act_max;
} add_consts;

static add_operand_consts operand_consts(const tcm_add_operand *o, int32_t left_shift)
{
    add_operand_consts c;
    c.offset = o->offset;
    c.k = 31 - left_shift;
    c.mh = o->multiplier >> c.k;
    c.ml = o->multiplier & (((int32_t)1 << c.k) - 1);
    c.round = (int32_t)1 << (c.k - 1);
    c.e = -o->shift;
    c.mask = (int32_t)(((uint32_t)1 << c.e) - 1u);
    c.half = c.mask >> 1;
    c.neg = o->negate ? -1 : 0;
    return c;
}

static add_consts add_consts_of(const tcm_add_params *p)
{
    add_consts c;
    c.in1 = operand_consts(&p->input1, p->left_shift);
    c.in2 = operand_consts(&p->input2, p->left_shift);
    c.out_mult = p->output_multiplier;
    c.out_e = -p->output_shift;
    c.out_mask = (int32_t)(((uint32_t)1 << c.out_e) - 1u);
    c.out_half = c.out_mask >> 1;
    c.out_offset = p->output_offset;
    c.act_min = p->act_min;
    c.act_max = p->act_max;
    return c;
}

/* One operand rescaled to the common scale (negated for SUB's second input). */
TCM_INLINE int32_t add_scale(int32_t x, int32_t offset, int32_t mh, int32_t ml, int32_t round,
                             int32_t k, int32_t e, int32_t mask, int32_t half, int32_t neg)
{
    const int32_t v = x + offset;
    const int32_t high = v * mh + ((v * ml + round) >> k);
    const int32_t scaled = (high >> e) + ((high & mask) > half + (high < 0 ? 1 : 0) ? 1 : 0);
    return (scaled ^ neg) - neg;
}

TCM_INLINE int8_t add_finish(int32_t raw_sum, int32_t mult, int32_t e, int32_t mask,
                             int32_t half, int32_t offset, int32_t act_min, int32_t act_max)
{
    const int32_t high = (int32_t)(((int64_t)raw_sum * (int64_t)mult + ((int64_t)1 << 30)) >> 31);
    const int32_t v =
        (high >> e) + ((high & mask) > half + (high < 0 ? 1 : 0) ? 1 : 0) + offset;
    return (int8_t)(v < act_min ? act_min : (v > act_max ? act_max : v));
}

#define TCM_ADD_BLOCK 64

/* n (<= TCM_ADD_BLOCK) outputs of one run. in1 advances by step1 (0: broadcast), in2 by step2.
 * The whole block is read into `sum` before any output is written (in-place safe). */
static void add_block(const add_consts *c, const int8_t *in1, int32_t step1, const int8_t *in2,
                      int32_t step2, int8_t *out, int32_t n)
{
    int32_t sum[TCM_ADD_BLOCK];
    const int32_t off1 = c->in1.offset, mh1 = c->in1.mh, ml1 = c->in1.ml, r1 = c->in1.round;
    const int32_t k1 = c->in1.k, e1 = c->in1.e, mask1 = c->in1.mask, half1 = c->in1.half;
    const int32_t neg1 = c->in1.neg;
    const int32_t off2 = c->in2.offset, mh2 = c->in2.mh, ml2 = c->in2.ml, r2 = c->in2.round;
    const int32_t k2 = c->in2.k, e2 = c->in2.e, mask2 = c->in2.mask, half2 = c->in2.half;
    const int32_t neg2 = c->in2.neg;
    const int32_t om = c->out_mult, oe = c->out_e, omask = c->out_mask, ohalf = c->out_half;
    const int32_t ooff = c->out_offset, lo = c->act_min, hi = c->act_max;
    int32_t i;
    if (step1) {
        for (i = 0; i < n; ++i) {
            sum[i] = add_scale(in1[i], off1, mh1, ml1, r1, k1, e1, mask1, half1, neg1);
        }
    } else {
        const int32_t s = add_scale(in1[0], off1, mh1, ml1, r1, k1, e1, mask1, half1, neg1);
        for (i = 0; i < n; ++i) {
            sum[i] = s;
        }
    }
    if (step2) {
        for (i = 0; i < n; ++i) {
            sum[i] += add_scale(in2[i], off2, mh2, ml2, r2, k2, e2, mask2, half2, neg2);
        }
    } else {
        const int32_t s = add_scale(in2[0], off2, mh2, ml2, r2, k2, e2, mask2, half2, neg2);
        for (i = 0; i < n; ++i) {
            sum[i] += s;
        }
    }
    for (i = 0; i < n; ++i) {
        out[i] = add_finish(sum[i], om, oe, omask, ohalf, ooff, lo, hi);
    }
}

void tcm_add_s8(const tcm_add_params *p, const tcm_broadcast *loop, const int8_t *input1,
                const int8_t *input2, int8_t *output)
{
    const add_consts c = add_consts_of(p);
    tcm_broadcast_at at = TCM_BROADCAST_START;
    int32_t i;
    do {
        for (i = 0; i < loop->inner; i += TCM_ADD_BLOCK) {
            const int32_t n =
                loop->inner - i < TCM_ADD_BLOCK ? loop->inner - i : TCM_ADD_BLOCK;
            add_block(&c, input1 + at.off1 + (size_t)(i * loop->step1), loop->step1,
                      input2 + at.off2 + (size_t)(i * loop->step2), loop->step2, output + i, n);
        }
        output += loop->inner;
    } while (tcm_broadcast_next(loop, &at));
}

/* ---- MUL --------------------------------------------------------------------------------- */

TCM_INLINE int8_t mul_finish(const tcm_mul_params *p, int32_t product)
{
    const int32_t raw_output =
        tcm_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
    return (int8_t)tcm_clamp(raw_output, p->act_min, p->act_max);
}

/* A run over which one input is broadcast: `other` is its offset value (the product commutes). */
static void mul_run_broadcast(const tcm_mul_params *p, int32_t offset, const int8_t *input,
                              int32_t other, int8_t *output, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        output[i] = mul_finish(p, (input[i] + offset) * other);
    }
}

void tcm_mul_s8(const tcm_mul_params *p, const tcm_broadcast *loop, const int8_t *input1,
                const int8_t *input2, int8_t *output)
{
    tcm_broadcast_at at = TCM_BROADCAST_START;
    int8_t *out = output;
    int32_t i;
    do {
        const int8_t *in1 = input1 + at.off1;
        const int8_t *in2 = input2 + at.off2;
        if (loop->step1 && loop->step2) {
            for (i = 0; i < loop->inner; ++i) {
                out[i] = mul_finish(p, (in1[i] + p->input1_offset) * (in2[i] + p->input2_offset));
            }
        } else if (loop->step1) {
            mul_run_broadcast(p, p->input1_offset, in1, in2[0] + p->input2_offset, out,
                              loop->inner);
        } else {
            mul_run_broadcast(p, p->input2_offset, in2, in1[0] + p->input1_offset, out,
                              loop->inner);
        }
        out += loop->inner;
    } while (tcm_broadcast_next(loop, &at));
}

/* ---- SQUARED_DIFFERENCE ------------------------------------------------------------------ */

/* One operand as squared_difference.cc scales it: ((x + offset) << left_shift) rescaled,
 * negated for the second (its negate field), so that the two scaled values add up to the
 * difference. */
TCM_INLINE int32_t sqdiff_scale(const tcm_add_operand *o, int32_t left_shift, int32_t x)
{
    const int32_t v = tcm_mbqm_small((x + o->offset) * ((int32_t)1 << left_shift), o->multiplier,
                                     o->shift);
    return o->negate ? -v : v;
}

void tcm_squared_difference_s8(const tcm_add_params *p, const tcm_broadcast *loop,
                               const int8_t *input1, const int8_t *input2, int8_t *output)
{
    tcm_broadcast_at at = TCM_BROADCAST_START;
    int32_t i;
    do {
        for (i = 0; i < loop->inner; ++i) {
            const int8_t x1 = input1[at.off1 + (size_t)(i * loop->step1)];
            const int8_t x2 = input2[at.off2 + (size_t)(i * loop->step2)];
            const int32_t diff = sqdiff_scale(&p->input1, p->left_shift, x1) +
                                 sqdiff_scale(&p->input2, p->left_shift, x2);
            /* |diff| <= 2 * 256 * 2^7 / 2: diff * diff < 2^31 */
            const int32_t raw = tcm_mbqm_small(diff * diff, p->output_multiplier, p->output_shift) +
                                p->output_offset;
            output[i] = (int8_t)tcm_clamp(raw, p->act_min, p->act_max);
        }
        output += loop->inner;
    } while (tcm_broadcast_next(loop, &at));
}
