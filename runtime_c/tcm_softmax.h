/* tcm_softmax.h: int8 SOFTMAX, bit-exact with TFLite's reference kernel (reference_ops::Softmax). */
#ifndef TCM_SOFTMAX_H
#define TCM_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t rows;              /* product of all dimensions but the last */
    int32_t depth;             /* the softmax axis (last dimension) */
    int32_t input_multiplier;  /* beta * input_scale * 2^26, QuantizeMultiplierGreaterThanOne */
    int32_t input_left_shift;
    int32_t diff_min;          /* inputs more than this below the row max give exp = 0 */
} tcm_softmax_params;

/* input [rows, depth] int8; output [rows, depth] int8 with scale 1/256, zero point -128.
 * Output may alias the input (each row is read fully before it is written). */
void tcm_softmax_s8(const tcm_softmax_params *p, const int8_t *input, int8_t *output);

#endif /* TCM_SOFTMAX_H */
