/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_resize.h: int8 RESIZE_BILINEAR, bit-exact with TensorFlow Lite's BUILTIN_REF kernel
 * (TensorFlow 2.21, tensorflow/lite/kernels/resize_bilinear.cc). RESIZE_NEAREST_NEIGHBOR, a
 * pure copy, is tcm_copy.h's tcm_resize_nearest_s8.
 *
 * Layouts: input [batches, in_h, in_w, depth] and output [batches, out_h, out_w, depth], NHWC,
 * dense int8. The source rows and columns of each output row and column and their weights
 * depend only on the sizes and the options align_corners / half_pixel_centers, so
 * tinycc_ml/ops/resize.py computes them at compile time as two small per-axis tables; the
 * kernel only blends. Values are not rescaled: TFLite's int8 kernel reads and writes raw
 * values, whatever the two tensors' quantization.
 *
 * Aliasing: output must not overlap input. No scratch memory.
 */
#ifndef TCM_RESIZE_H
#define TCM_RESIZE_H

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_h, in_w;
    int32_t out_h, out_w;
    int32_t depth;
} tcm_bilinear_params;

/* RESIZE_BILINEAR: mirrors reference_ops::ResizeBilinearInteger (reference/resize_bilinear.h).
 * Each axis table holds, per output row (column), three int16: lo, hi (source rows, in
 * [0, in - 1]) and w = scaled - 1024 * lo, the weight of `hi` in 1/1024 (ComputeInterpolation
 * ValuesInteger; w may be negative, down to -512, with half_pixel_centers, where lo == hi).
 * out = sum(input * weight_y * weight_x) over the 4 taps, divided by 2^20 rounding half away
 * from zero. Accumulator bound: |input| <= 128 and |1024 - w| + |w| <= 2048 on each axis, so
 * |sum| <= 2^7 * 2^11 * 2^11 = 2^29 fits int32 (TFLite sums in int64: same value).
 * y_taps  [out_h * 3] int16
 * x_taps  [out_w * 3] int16 */
void tcm_resize_bilinear_s8(const tcm_bilinear_params *p, const int16_t *y_taps,
                            const int16_t *x_taps, const int8_t *input, int8_t *output);

/* RESIZE_BILINEAR as onnxruntime computes an ONNX Resize (mode linear) of an int8 or uint8
 * tensor, with either of its two kernels (onnxruntime/core/providers/cpu/tensor/upsample.h;
 * tinycc_ml/ops/resize_bilinear_ort.py says which runs where and makes the tables as
 * SetupUpsampleBilinear / SetupUpsampleBilinearInteger do). Per output row (column) the taps
 * hold the source rows lo, hi and w, the weight of hi in 1/1024 (tcm_resize_bilinear_s8's
 * layout). Values are those of onnxruntime's type T: input + offset (offset 128 for a uint8
 * model tensor, 0 for int8); the result - offset is written.
 * - y_weights and x_weights NULL: NhwcUpsampleBilinearInteger (NHWC): out = the sum of the
 *   four (1024 - w or w)_y * (1024 - w or w)_x * value, / 2^20, C division (truncating toward
 *   zero; onnxruntime's >> 20 on uint8 is the same, the sum being >= 0). |sum| <= 2^20 * 255.
 * - otherwise UpsampleBilinear<T> (NCHW), in float32 with the float weights of lo and hi per
 *   output row (column), [out * 2]: out = (T)(((c_ll * v_ll + c_lr * v_lr) + c_ul * v_ul) +
 *   c_ur * v_ur), c_ll = wx_lo * wy_lo and so on, the cast truncating toward zero. Each
 *   product is stored to a volatile float, so that no multiply-add can be contracted
 *   (whatever -ffp-contract says): IEEE single precision as written (FLT_EVAL_METHOD 0).
 * y_taps [out_h * 3], x_taps [out_w * 3] int16. */
void tcm_resize_bilinear_ort_s8(const tcm_bilinear_params *p, const int16_t *y_taps,
                                const int16_t *x_taps, const float *y_weights,
                                const float *x_weights, int32_t offset, const int8_t *input,
                                int8_t *output);

#endif /* TCM_RESIZE_H */
