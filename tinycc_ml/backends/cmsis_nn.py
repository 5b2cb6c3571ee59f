"""The CMSIS-NN backend's shared pieces: argument structs, scratch sizes, eligibility.

Each op module's CMSIS-NN kernel object (ops/conv2d.py `ConvCmsisNN`, ...) says in `why_not`
whether its layer may call CMSIS-NN (the call must be bit-exact with TFLite's BUILTIN_REF,
otherwise the layer keeps tinycc-ml's kernel) and builds the call with these helpers. CMSIS-NN itself is the user's (public ARM-software/CMSIS-NN or a
vendor SDK copy): tinycc-ml only emits `#include "arm_nnfunctions.h"` and the calls.

Scratch sizes mirror CMSIS-NN's `*_get_buffer_size_dsp` / `*_get_buffer_size_mve`
(Source/ConvolutionFunctions/arm_convolve_get_buffer_sizes_s8.c,
arm_depthwise_conv_get_buffer_sizes_s8.c, FullyConnectedFunctions/
arm_fully_connected_get_buffer_sizes_s8.c, PoolingFunctions/arm_avgpool_get_buffer_sizes_s8.c),
chosen by the target core: Helium (MVE) on cortex-m55, the DSP extension on cortex-m4/m7/m33,
the pure-C path elsewhere. Built with `-DTCM_CHECK_CMSIS_NN_BUFFERS`, the generated code checks
them against CMSIS-NN's own `*_get_buffer_size` before each call (NAME_invoke returns -2 on a
difference, as it does when a CMSIS-NN call reports an argument error).

Which calls are bit-exact with BUILTIN_REF, read from CMSIS-NN's sources (DSP, Helium and C
paths), for a CMSIS-NN built without CMSIS_NN_USE_SINGLE_ROUNDING (its default):
- arm_convolve_wrapper_s8, arm_depthwise_conv_wrapper_s8: arm_nn_requantize is
  MultiplyByQuantizedMultiplier (doubling high-multiply rounding half away from zero, then a
  rounding divide by 2^n), as ConvPerChannel / DepthwiseConvPerChannel.
- arm_avgpool_s8: sums the taps inside the image only, divides by their count with
  `sum > 0 ? (sum + count/2) / count : (sum - count/2) / count`, clamps: reference_integer_ops::
  AveragePool line for line. arm_max_pool_s8: maximum over the taps inside the image, clamped.
- arm_elementwise_add_s8: (x + offset) << left_shift, arm_nn_requantize per input (shift <= 0:
  MultiplyByQuantizedMultiplierSmallerThanOneExp), sum, requantize, offset, clamp: AddElementwise.
  Its DSP path shifts the low 16 bits of each offset input, exact for left_shift >= 16 only
  (TFLite's int8 ADD uses 20). Same shapes only: it has no broadcasting.
- arm_softmax_s8: arm_nn_exp_on_negative_values, arm_nn_one_over_one_plus_x_for_x_in_0_1 and
  MUL_SAT are gemmlowp's exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1 and
  SaturatingRoundingDoublingHighMul step for step (the Helium variant's VQRDMULH rounds the same);
  `diff * (1 << shift)` then MUL_SAT is MultiplyByQuantizedMultiplierGreaterThanOne, entries below
  diff_min give -128, the output shift is 12 - headroom + 23: reference_ops::Softmax<int8, int8>.
- arm_fully_connected_s8 is NOT bit-exact: it rounds twice (arm_nn_requantize), BUILTIN_REF's int8
  FULLY_CONNECTED once. It is used only on request (Options.cmsis_nn_inexact).
"""

from __future__ import annotations

from .calls import render_call
from .targets import has_dsp, has_mve

HEADER = "arm_nnfunctions.h"
CHECK_BUFFERS = "TCM_CHECK_CMSIS_NN_BUFFERS"

CH_IN_BLOCK_MVE = 124
# CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD (arm_nnsupportfunctions.h, MVE):
# 8 under armclang, 1 under gcc (CMSIS-NN since "Treat DW conv with 1 input ch as a regular conv
# op", November 2024, so also TFLM's pinned 4ab83cc3)
DW_ONE_IN_CH_THRESHOLD_MVE = 1


def isa(target: str) -> str:
    """Which CMSIS-NN code path the target compiles: 'mve', 'dsp' or plain 'c'."""
    if has_mve(target):
        return "mve"
    if has_dsp(target):
        return "dsp"
    return "c"


def dims(n: int, h: int, w: int, c: int) -> str:
    return f"{{ .n = {n}, .h = {h}, .w = {w}, .c = {c} }}"


def tile(w: int, h: int) -> str:
    return f"{{ .w = {w}, .h = {h} }}"


def activation(lo: int, hi: int) -> str:
    return f"{{ .min = {lo}, .max = {hi} }}"


def context(scratch: str | None, size: int) -> str:
    """A cmsis_nn_context compound literal for the call."""
    if scratch is None or size <= 0:
        return "&(cmsis_nn_context){ NULL, 0 }"
    return f"&(cmsis_nn_context){{ (void *){scratch}, {size} }}"


# --- scratch sizes (bytes), per CMSIS-NN's get_buffer_size functions -------------------------

def _align4(x: int) -> int:
    return x + (4 - x % 4) % 4


def conv_is_1x1(pad_w, pad_h, k_w, k_h, dil_w, dil_h) -> bool:
    """arm_nn_is_convolve_1x1 (input and filter channels are equal in a TFLite CONV_2D)."""
    return pad_w == 0 and pad_h == 0 and k_w == 1 and k_h == 1 and dil_w == 1 and dil_h == 1


def conv_is_1_x_n(in_h, in_c, k_h, stride_w, dil_w) -> bool:
    """arm_nn_is_convolve_1_x_n."""
    return in_h == 1 and dil_w == 1 and k_h == 1 and (stride_w * in_c) % 4 == 0


def conv_buffer_size(target: str, *, in_h, in_w, in_c, k_h, k_w, out_w, stride_w, stride_h,
                     pad_w, pad_h, dil_w, dil_h) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size(_dsp|_mve) for gcc (not armclang)."""
    kind = isa(target)
    if conv_is_1x1(pad_w, pad_h, k_w, k_h, dil_w, dil_h):
        return 0   # 1x1: the fast path needs a buffer only under armclang
    if kind == "mve":
        def generic():
            col = (in_c * k_w * k_h + 15) // 16
            return 4 * col * 16
        if conv_is_1_x_n(in_h, in_c, k_h, stride_w, dil_w):
            total_pad = (out_w - 1) * stride_w + k_w - in_w
            asym = total_pad % 2
            right = max(1, (pad_w + asym + stride_w - 1) // stride_w) if pad_w + asym else 0
            left = max(1, (pad_w + stride_w - 1) // stride_w) if pad_w else 0
            no_pad = max(out_w - (right + left), 0)
            if right + no_pad + left != out_w:
                return generic()
            pad_left = pad_w * in_c
            pad_right = right * in_c if asym else pad_left
            n_left = k_w * in_c
            n_right = n_left - in_c
            return max(n_left + pad_left, n_right + pad_right)
        return generic()
    return 2 * _align4(k_w * k_h * in_c) * 2   # (2 * aligned_rhs_cols) * sizeof(int16_t)


def depthwise_buffer_size(target: str, *, batches, in_c, out_c, k_h, k_w, pad_h, pad_w,
                          dil_h, dil_w, conv_equivalent: int = 0) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size(_dsp|_mve).

    `conv_equivalent`: on MVE a depthwise with one input channel and more than 8 outputs runs
    as a convolution; the caller gives that convolution's buffer size.
    """
    kind = isa(target)
    size = 0
    if kind == "mve" and in_c == 1 and out_c > DW_ONE_IN_CH_THRESHOLD_MVE:
        return conv_equivalent + out_c * k_h * k_w
    if in_c == out_c and batches == 1 and dil_w == 1 and dil_h == 1:
        if kind == "mve":
            return 4 * CH_IN_BLOCK_MVE * k_w * k_h
        if k_w == 3 and k_h == 3 and pad_h <= 1 and pad_w <= 1:
            return 0
        if kind == "dsp":
            size = in_c * k_w * k_h * 2
    return size


def fully_connected_buffer_size(target: str, units: int) -> int:
    """arm_fully_connected_s8_get_buffer_size: MVE needs the per-row kernel sums (int32)."""
    return units * 4 if isa(target) == "mve" else 0


def avgpool_buffer_size(target: str, channels: int) -> int:
    """arm_avgpool_s8_get_buffer_size: an int32 sum per channel on the DSP path only."""
    return channels * 4 if isa(target) == "dsp" else 0


# --- calls ---------------------------------------------------------------------------------
# Each returns the C statement; a CMSIS-NN argument error makes NAME_invoke return -2.

def _checked(function: str, *args) -> str:
    call = render_call(function, args, end="")
    return f"if ({call} != ARM_CMSIS_NN_SUCCESS) {{\n    return -2;\n}}"


def _buffer_checked(required: tuple, size: int, call: str) -> str:
    """`call`, preceded under TCM_CHECK_CMSIS_NN_BUFFERS by a comparison of the `size` bytes
    reserved at compile time with CMSIS-NN's own answer (`required`: its get_buffer_size
    function and arguments)."""
    asked = render_call(required[0], required[1:], end="")
    return (f"#ifdef {CHECK_BUFFERS}\nif ({asked} != {size}) {{\n    return -2;\n}}\n#endif\n"
            f"{call}")


def _per_channel(em, mult, shift) -> str:
    m, s = em.const("mult", mult), em.const("shift", shift)
    # CMSIS-NN's quant struct holds non-const pointers; the tables stay in flash (read only)
    return em.struct("cmsis_quant", "cmsis_nn_per_channel_quant_params",
                     {"multiplier": f"(int32_t *){m}", "shift": f"(int32_t *){s}"})


def _dims(em, hint, n, h, w, c) -> str:
    return em.struct(hint, "cmsis_nn_dims", {"n": n, "h": h, "w": w, "c": c})


def conv2d(em, *, x, y, win, input_zp, output_zp, act_min, act_max, mult, shift, filt, bias,
           scratch_size) -> str:
    """arm_convolve_wrapper_s8: CONV_2D, per-channel, double rounding (arm_nn_requantize)."""
    em.use(HEADER)
    params = em.struct("cmsis_conv", "cmsis_nn_conv_params", {
        "input_offset": -input_zp, "output_offset": output_zp,
        "stride": tile(win.stride_w, win.stride_h), "padding": tile(win.pad_w, win.pad_h),
        "dilation": tile(win.dil_w, win.dil_h), "activation": activation(act_min, act_max)})
    return _conv_family(em, "arm_convolve_wrapper_s8", params, win, win.batches,
                        (win.out_c, win.k_h, win.k_w, win.in_c), x, y, mult, shift, filt, bias,
                        scratch_size)


def depthwise_conv2d(em, *, x, y, win, multiplier, input_zp, output_zp, act_min, act_max, mult,
                     shift, filt, bias, scratch_size) -> str:
    """arm_depthwise_conv_wrapper_s8 (batch 1)."""
    em.use(HEADER)
    params = em.struct("cmsis_dw", "cmsis_nn_dw_conv_params", {
        "input_offset": -input_zp, "output_offset": output_zp, "ch_mult": multiplier,
        "stride": tile(win.stride_w, win.stride_h), "padding": tile(win.pad_w, win.pad_h),
        "dilation": tile(win.dil_w, win.dil_h), "activation": activation(act_min, act_max)})
    return _conv_family(em, "arm_depthwise_conv_wrapper_s8", params, win, 1,
                        (1, win.k_h, win.k_w, win.out_c), x, y, mult, shift, filt, bias,
                        scratch_size)


def _conv_family(em, function, params, win, batches, filter_nhwc, x, y, mult, shift, filt, bias,
                 scratch_size) -> str:
    """The call of a convolve or depthwise wrapper (`params` its conv params struct): the
    per-channel quantization, the dims, filter and bias constants, the context, and the
    buffer-size check before it."""
    quant = _per_channel(em, mult, shift)
    d_in = _dims(em, "in_dims", batches, win.in_h, win.in_w, win.in_c)
    d_f = _dims(em, "filter_dims", *filter_nhwc)
    d_b = _dims(em, "bias_dims", 1, 1, 1, win.out_c)
    d_out = _dims(em, "out_dims", batches, win.out_h, win.out_w, win.out_c)
    w = em.const("filter", filt)
    b = em.const("bias", bias)
    ctx = context(em.scratch if scratch_size else None, scratch_size)
    return _buffer_checked(
        (f"{function}_get_buffer_size", f"&{params}", f"&{d_in}", f"&{d_f}", f"&{d_out}"),
        scratch_size,
        _checked(function, ctx, f"&{params}", f"&{quant}", f"&{d_in}", x, f"&{d_f}", w,
                 f"&{d_b}", b, f"&{d_out}", y))


def pool(em, function: str, *, x, y, win, act_min, act_max, scratch_size) -> str:
    """arm_avgpool_s8 / arm_max_pool_s8 (any batch count: both loop over input_dims->n)."""
    em.use(HEADER)
    params = em.struct("cmsis_pool", "cmsis_nn_pool_params", {
        "stride": tile(win.stride_w, win.stride_h), "padding": tile(win.pad_w, win.pad_h),
        "activation": activation(act_min, act_max)})
    d_in = _dims(em, "in_dims", win.batches, win.in_h, win.in_w, win.in_c)
    d_f = _dims(em, "filter_dims", 1, win.k_h, win.k_w, 1)
    d_out = _dims(em, "out_dims", win.batches, win.out_h, win.out_w, win.out_c)
    ctx = context(em.scratch if scratch_size else None, scratch_size)
    call = _checked(function, ctx, f"&{params}", f"&{d_in}", x, f"&{d_f}", f"&{d_out}", y)
    if function != "arm_avgpool_s8":
        return call               # arm_max_pool_s8 needs no buffer
    return _buffer_checked(("arm_avgpool_s8_get_buffer_size", win.out_w, win.in_c),
                           scratch_size, call)


def elementwise_add(em, *, a, b, y, f: dict) -> str:
    """arm_elementwise_add_s8, same shapes only: TFLite's int8 ADD arithmetic."""
    em.use(HEADER)
    return _checked(
        "arm_elementwise_add_s8", a, b, f["input1_offset"], f["input1_multiplier"],
        f["input1_shift"], f["input2_offset"], f["input2_multiplier"], f["input2_shift"],
        f["left_shift"], y, f["output_offset"], f["output_multiplier"], f["output_shift"],
        f["act_min"], f["act_max"], f["size"])


def softmax(em, *, x, y, rows, depth, mult, left_shift, diff_min) -> str:
    """arm_softmax_s8 (void: no status)."""
    em.use(HEADER)
    return render_call("arm_softmax_s8", (x, rows, depth, mult, left_shift, diff_min, y))


def fully_connected(em, *, x, y, batches, depth, units, input_zp, output_zp, act_min, act_max,
                    multiplier, shift, weights, bias, kernel_sums) -> str:
    """arm_fully_connected_s8, per-tensor. NOT bit-exact with BUILTIN_REF: double rounding.

    `weights` int8 [units][depth]; `bias` int32 [units] as in the model, or None. On Helium the
    call reads per-row kernel sums from its context buffer (arm_fully_connected_s8_get_buffer_size
    = units * 4 bytes) instead of the bias: `kernel_sums` is that array, arm_vector_sum_s8's
    result computed at compile time (bias + input_offset * sum of the row, int32 wrapping), and is
    passed as a flash constant (CMSIS-NN only reads it). The DSP and C paths need no buffer."""
    em.use(HEADER)
    params = em.struct("cmsis_fc", "cmsis_nn_fc_params", {
        "input_offset": -input_zp, "filter_offset": 0, "output_offset": output_zp,
        "activation": activation(act_min, act_max)})
    quant = em.struct("cmsis_quant", "cmsis_nn_per_tensor_quant_params",
                      {"multiplier": multiplier, "shift": shift})
    d_in = _dims(em, "in_dims", batches, 1, 1, depth)
    d_f = _dims(em, "filter_dims", depth, 1, 1, units)     # [N = accumulation depth, C = units]
    d_b = _dims(em, "bias_dims", 1, 1, 1, units)
    d_out = _dims(em, "out_dims", batches, 1, 1, units)
    w = em.const("weights", weights)
    b = em.const("bias", bias) if bias is not None else "NULL"
    if isa(em.target) == "mve":
        sums = em.const("kernel_sums", kernel_sums,
                        comment="arm_vector_sum_s8: bias + input_offset * sum(weights row)")
        ctx = context(sums, fully_connected_buffer_size(em.target, units))
    else:
        ctx = context(None, 0)
    return _buffer_checked(
        ("arm_fully_connected_s8_get_buffer_size", f"&{d_f}"),
        fully_connected_buffer_size(em.target, units),
        _checked("arm_fully_connected_s8", ctx, f"&{params}", f"&{quant}", f"&{d_in}", x,
                 f"&{d_f}", w, f"&{d_b}", b, f"&{d_out}", y))
