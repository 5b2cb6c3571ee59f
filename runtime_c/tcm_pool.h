/* tcm_pool.h: int8 AVERAGE_POOL_2D and MAX_POOL_2D, bit-exact with TFLite's reference kernels. */
#ifndef TCM_POOL_H
#define TCM_POOL_H

#include <stdint.h>

#include "tcm_window.h"

/* input [batches, in_h, in_w, c] int8 NHWC; output [batches, out_h, out_w, c] int8 with the
 * input's scale and zero point; must not alias. Only the part of a window inside the image
 * counts (TFLite's filter_count). act_min/act_max clamp the result. */
void tcm_avg_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output);
void tcm_max_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output);

#endif /* TCM_POOL_H */
