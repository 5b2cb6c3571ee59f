/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_elementwise_mve.c: int8 ADD and SUB with Helium (MVE) intrinsics; tcm_add_s8 where MVE is
 * absent.
 * Numerics (TensorFlow 2.21, BUILTIN_REF): tensorflow/lite/kernels/internal/reference/
 * integer_ops/add.h AddFunc / BroadcastAdd6DSlow and reference/sub.h SubElementwise /
 * BroadcastQuantSubSlow: each input offset, shifted left by left_shift, rescaled by
 * MultiplyByQuantizedMultiplierSmallerThanOneExp (SaturatingRoundingDoublingHighMul = VQRDMULH,
 * exact here: its operand is never INT32_MIN; RoundingDivideByPOT = tcm_mve_rdbpot_n), summed
 * (the second subtracted for SUB), rescaled to the output the same way, + output offset,
 * clamped to the fused activation's range. */
#include "tcm_elementwise_mve.h"

#include <stddef.h>

#include "tcm_math.h"
#include "tcm_mve.h"

#if TCM_MVE

/* One operand's constants: v << L computed as x * 2^L + offset * 2^L (one VMLAS). */
typedef struct {
    int32_t base, mult, neg_right;
} operand_mve;

typedef struct {
    operand_mve in1, in2;
    int32_t pow2;                               /* 2^left_shift */
    int32_t out_mult, out_neg_right, out_offset, act_min, act_max;
} add_mve_consts;

static operand_mve operand_of(const tcm_add_operand *o, int32_t left_shift)
{
    operand_mve c;
    c.base = (int32_t)((uint32_t)o->offset << left_shift);
    c.mult = o->multiplier;
    c.neg_right = o->shift;                     /* <= 0 */
    return c;
}

/* The scaled value of one broadcast element (scalar; negated for SUB's second input). */
static int32_t scaled_scalar(const tcm_add_operand *o, int32_t left_shift, int8_t x)
{
    const int32_t v = (int32_t)((uint32_t)(x + o->offset) << left_shift);
    const int32_t s = tcm_mbqm_small(v, o->multiplier, o->shift);
    return o->negate ? -s : s;
}

/* 4 int8 values (widened) rescaled to the common scale. */
TCM_INLINE int32x4_t rescale4(int32x4_t x, int32x4_t pow2, const operand_mve *o)
{
    return tcm_mve_rdbpot_n(vqrdmulhq_n_s32(vmlasq_n_s32(x, pow2, o->base), o->mult),
                            o->neg_right);
}

/* The output step of 4 sums: rescale, + output offset, clamp. */
TCM_INLINE int32x4_t finish4(int32x4_t sum, const add_mve_consts *c)
{
    const int32x4_t v = vaddq_n_s32(
        tcm_mve_rdbpot_n(vqrdmulhq_n_s32(sum, c->out_mult), c->out_neg_right), c->out_offset);
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(c->act_min)), vdupq_n_s32(c->act_max));
}

/* A run over which both inputs step: out[i] = finish(s1[i] +- s2[i]); `subtract` is a constant
 * at each call (the compiler specializes the loop). */
TCM_INLINE void run_both(const add_mve_consts *c, const int8_t *in1, const int8_t *in2,
                         int8_t *out, int32_t n, int subtract)
{
    const int32x4_t pow2 = vdupq_n_s32(c->pow2);
    int32_t i;
    for (i = 0; i + 4 <= n; i += 4) {
        const int32x4_t s1 = rescale4(vldrbq_s32(in1 + i), pow2, &c->in1);
        const int32x4_t s2 = rescale4(vldrbq_s32(in2 + i), pow2, &c->in2);
        vstrbq_s32(out + i, finish4(subtract ? vsubq_s32(s1, s2) : vaddq_s32(s1, s2), c));
    }
    if (i < n) {
        const mve_pred16_t tail = vctp32q((uint32_t)(n - i));
        const int32x4_t s1 = rescale4(vldrbq_z_s32(in1 + i, tail), pow2, &c->in1);
        const int32x4_t s2 = rescale4(vldrbq_z_s32(in2 + i, tail), pow2, &c->in2);
        vstrbq_p_s32(out + i, finish4(subtract ? vsubq_s32(s1, s2) : vaddq_s32(s1, s2), c),
                     tail);
    }
}

/* A run over which one input steps (`o`, entering with sign `sign`: +1, or -1 when it is SUB's
 * second input) and the other is the constant `fixed` (already scaled and signed). */
static void run_one(const add_mve_consts *c, const operand_mve *o, int32_t sign, const int8_t *in,
                    int32_t fixed, int8_t *out, int32_t n)
{
    const int32x4_t pow2 = vdupq_n_s32(c->pow2);
    int32_t i;
    for (i = 0; i < n; i += 4) {
        const mve_pred16_t tail = vctp32q((uint32_t)(n - i));
        int32x4_t s = rescale4(vldrbq_z_s32(in + i, tail), pow2, o);
        s = sign < 0 ? vsubq_s32(vdupq_n_s32(fixed), s) : vaddq_n_s32(s, fixed);
        vstrbq_p_s32(out + i, finish4(s, c), tail);
    }
}

void tcm_add_s8_mve(const tcm_add_params *p, const tcm_broadcast *loop, const int8_t *input1,
                    const int8_t *input2, int8_t *output)
{
    add_mve_consts c;
    tcm_broadcast_at at = TCM_BROADCAST_START;
    int8_t *out = output;
    const int32_t n = loop->inner;
    if (p->input1.negate || (!loop->step1 && !loop->step2)) {
        /* not emitted (tinycc_ml/ops/add.py): runs of 1 element, or input 1 subtracted */
        tcm_add_s8(p, loop, input1, input2, output);
        return;
    }
    c.in1 = operand_of(&p->input1, p->left_shift);
    c.in2 = operand_of(&p->input2, p->left_shift);
    c.pow2 = (int32_t)1 << p->left_shift;
    c.out_mult = p->output_multiplier;
    c.out_neg_right = p->output_shift;
    c.out_offset = p->output_offset;
    c.act_min = p->act_min;
    c.act_max = p->act_max;
    do {
        const int8_t *in1 = input1 + at.off1;
        const int8_t *in2 = input2 + at.off2;
        if (loop->step1 && loop->step2) {
            if (p->input2.negate) {
                run_both(&c, in1, in2, out, n, 1);
            } else {
                run_both(&c, in1, in2, out, n, 0);
            }
        } else if (loop->step1) {
            run_one(&c, &c.in1, 1, in1, scaled_scalar(&p->input2, p->left_shift, in2[0]), out, n);
        } else {
            run_one(&c, &c.in2, p->input2.negate ? -1 : 1, in2,
                    scaled_scalar(&p->input1, p->left_shift, in1[0]), out, n);
        }
        out += n;
    } while (tcm_broadcast_next(loop, &at));
}

#else

void tcm_add_s8_mve(const tcm_add_params *p, const tcm_broadcast *loop, const int8_t *input1,
                    const int8_t *input2, int8_t *output)
{
    tcm_add_s8(p, loop, input1, input2, output);
}

#endif
