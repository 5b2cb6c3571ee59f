/* tcm_elementwise.h: int8 binary elementwise ops with broadcasting (ADD), bit-exact with TFLite. */
#ifndef TCM_ELEMENTWISE_H
#define TCM_ELEMENTWISE_H

#include <stdint.h>

#define TCM_MAX_RANK 6

typedef struct {
    int32_t input1_offset, input1_multiplier, input1_shift;
    int32_t input2_offset, input2_multiplier, input2_shift;
    int32_t left_shift;
    int32_t output_multiplier, output_shift, output_offset;
    int32_t act_min, act_max;
    int32_t size;                       /* elements of the output */
    int32_t rank;                       /* 0: no broadcast, both inputs have `size` elements */
    int32_t dims[TCM_MAX_RANK];         /* output shape, when broadcasting */
    int32_t stride1[TCM_MAX_RANK];      /* element strides of input 1 (0 on broadcast axes) */
    int32_t stride2[TCM_MAX_RANK];
} tcm_add_params;

/* output = input1 + input2 (quantized); without broadcast the output may alias either input
 * (element i is written after both inputs' element i are read). */
void tcm_add_s8(const tcm_add_params *p, const int8_t *input1, const int8_t *input2,
                int8_t *output);

#endif /* TCM_ELEMENTWISE_H */
