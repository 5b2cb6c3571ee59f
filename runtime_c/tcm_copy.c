/* tcm_copy.c: PAD / PADV2 and CONCATENATION.
 * Numerics (none: copies): tensorflow/lite/kernels/internal/reference/pad.h PadImpl and
 * reference/concatenation.h Concatenation (TensorFlow 2.21). PadImpl walks the 5-D output in
 * order, taking the next input value inside the input box and pad_value outside; here the
 * innermost axis is one memset / memcpy / memset per row, the same bytes.
 */
#include "tcm_copy.h"

#include <stddef.h>
#include <string.h>

/* 1 if index i of an axis with `before` padding and `n` input entries lies in the input. */
static int inside(int32_t i, int32_t before, int32_t n)
{
    return i >= before && i < before + n;
}

void tcm_pad_s8(const tcm_pad_params *p, const int8_t *input, int8_t *output)
{
    const int32_t *in = p->in_dims;
    int32_t out[TCM_PAD_RANK];
    int32_t d0, d1, d2, d3, axis;
    const int pad = (int)(uint8_t)(int8_t)p->pad_value;
    size_t row;
    for (axis = 0; axis < TCM_PAD_RANK; ++axis) {
        out[axis] = p->before[axis] + in[axis] + p->after[axis];
    }
    row = (size_t)out[4];
    for (d0 = 0; d0 < out[0]; ++d0) {
        for (d1 = 0; d1 < out[1]; ++d1) {
            for (d2 = 0; d2 < out[2]; ++d2) {
                for (d3 = 0; d3 < out[3]; ++d3) {
                    if (inside(d0, p->before[0], in[0]) && inside(d1, p->before[1], in[1]) &&
                        inside(d2, p->before[2], in[2]) && inside(d3, p->before[3], in[3])) {
                        memset(output, pad, (size_t)p->before[4]);
                        memcpy(output + p->before[4], input, (size_t)in[4]);
                        memset(output + p->before[4] + in[4], pad, (size_t)p->after[4]);
                        input += in[4];
                    } else {
                        memset(output, pad, row);
                    }
                    output += row;
                }
            }
        }
    }
}

void tcm_concat(const void *const *inputs, const int32_t *bytes, int32_t n_inputs,
                int32_t outer, void *output)
{
    uint8_t *out = (uint8_t *)output;
    int32_t slice, k;
    for (slice = 0; slice < outer; ++slice) {
        for (k = 0; k < n_inputs; ++k) {
            const size_t n = (size_t)bytes[k];
            memcpy(out, (const uint8_t *)inputs[k] + (size_t)slice * n, n);
            out += n;
        }
    }
}
