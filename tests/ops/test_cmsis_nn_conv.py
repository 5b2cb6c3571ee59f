"""--kernels cmsis-nn for CONV_2D and DEPTHWISE_CONV_2D: the scratch formulas and the calls.

The expected buffer sizes are computed here by hand from CMSIS-NN's sources (ARM-software/
CMSIS-NN, Source/ConvolutionFunctions/arm_convolve_get_buffer_sizes_s8.c and
arm_depthwise_conv_get_buffer_sizes_s8.c, Include/arm_nnsupportfunctions.h), for a gcc build:
- arm_convolve_wrapper_s8_get_buffer_size(_dsp|_mve): a 1x1 convolution (no padding, no
  dilation; arm_nn_is_convolve_1x1) needs 0 bytes, at any stride (the fast 1x1's
  2 * c * sizeof(int16_t) is armclang's only); a 1xN one (input height 1, filter height 1,
  dilation_w 1, stride_w * in_c a multiple of 4) takes arm_convolve_1_x_n_s8_get_buffer_size,
  which is the generic size on DSP and C, and on Helium
  max(k_w * c + pad_w * c, (k_w - 1) * c + pad_right) (pad_right = right_pad_num * c when the
  total padding is odd, else pad_w * c) unless the pad counts do not add up to out_w; the generic
  size is 2 * align4(k_w * k_h * c) * sizeof(int16_t) on DSP and C and 4 * ceil(k_w * k_h * c
  / 16) * 16 on Helium.
- arm_depthwise_conv_wrapper_s8_get_buffer_size: on Helium, one input channel and more output
  channels than CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD (1 under gcc)
  runs as a convolution: its buffer plus the filter's out_c * k_h * k_w bytes; otherwise, with
  in_c == out_c, batch 1 and no dilation: DSP and C 0 for 3x3 with padding <= 1, DSP
  in_c * k_w * k_h * sizeof(int16_t), C 0, Helium 4 * CH_IN_BLOCK_MVE (124) * k_w * k_h;
  any other layer 0.
The call tests compare the emitted arguments with the model as TFLite's interpreter reads it.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.test_cmsis_nn_emit import (_layer, calls, const_array, context, one_line_calls,
                                          struct)
from tests.util import int8_tflite, keras, tf, write_model
from tinycc_ml.backends import cmsis_nn
from tinycc_ml.compiler import Options, compile_file

TARGET_ISA = {"generic": "c", "cortex-m4": "dsp", "cortex-m7": "dsp", "cortex-m33": "dsp",
              "cortex-m55": "mve"}


def _conv_size(target, **kw):
    g = dict(in_h=8, in_w=8, in_c=3, k_h=3, k_w=3, out_w=8, stride_w=1, stride_h=1, pad_w=1,
             pad_h=1, dil_w=1, dil_h=1)
    g.update(kw)
    return cmsis_nn.conv_buffer_size(target, **g)


# --- arm_convolve_wrapper_s8_get_buffer_size ------------------------------------------------

@pytest.mark.parametrize("target", list(TARGET_ISA))
def test_conv_1x1_needs_no_buffer(target):
    one = dict(k_h=1, k_w=1, pad_w=0, pad_h=0, in_c=16)
    assert _conv_size(target, **one) == 0
    assert _conv_size(target, **one, stride_w=2, stride_h=2, out_w=4) == 0   # not the fast 1x1
    # padding or dilation makes it a generic convolution: 2 * align4(16) * 2 = 64, Helium 64
    assert _conv_size(target, **{**one, "pad_w": 1}) == 64


@pytest.mark.parametrize("target,want", [
    ("generic", 2 * 28 * 2),      # 3 * 3 * 3 = 27 taps, aligned to 28, int16, two columns
    ("cortex-m4", 2 * 28 * 2),
    ("cortex-m55", 4 * 2 * 16),   # ceil(27 / 16) = 2 vectors of 16, four im2col buffers
])
def test_conv_generic(target, want):
    assert _conv_size(target) == want


@pytest.mark.parametrize("in_c,k,want_dsp,want_mve", [
    (5, 3, 2 * 48 * 2, 4 * 3 * 16),     # 45 taps: align4 48; ceil(45 / 16) = 3
    (16, 1, 2 * 16 * 2, 4 * 1 * 16),
])
def test_conv_generic_sizes_by_taps(in_c, k, want_dsp, want_mve):
    kw = dict(in_c=in_c, k_h=k, k_w=k, pad_w=1, pad_h=1)
    assert _conv_size("cortex-m4", **kw) == _conv_size("generic", **kw) == want_dsp
    assert _conv_size("cortex-m55", **kw) == want_mve


def test_conv_1xn():
    # in 1 x 16 x 4, filter 1 x 5, stride 1, SAME: out_w 16, total padding 4, pad_w 2, even
    row = dict(in_h=1, in_w=16, in_c=4, k_h=1, k_w=5, out_w=16, pad_w=2, pad_h=0)
    # DSP and C: arm_convolve_s8_get_buffer_size, 2 * align4(20) * 2
    assert _conv_size("cortex-m4", **row) == _conv_size("generic", **row) == 80
    # Helium: right_pad_num = left_pad_num = max(1, (2 + 0) / 1) = 2, no_pad 12, sums to 16;
    # pad_size_left = pad_size_right = 2 * 4 = 8, num_elem_left 20, right 16: max(28, 24)
    assert _conv_size("cortex-m55", **row) == 28
    # odd total padding (filter 1 x 4, SAME: total 3, pad_w 1, one more on the right):
    # right_pad_num = max(1, (1 + 1 + 0) / 1) = 2, left 1, no_pad 13: pad right = 2 * 4 = 8,
    # left = 4; num_elem_left 16, right 12: max(16 + 4, 12 + 8) = 20
    assert _conv_size("cortex-m55", **{**row, "k_w": 4, "pad_w": 1}) == 20
    # stride 2, filter 1 x 3, SAME over 15: out 8, total 2, pad_w 1; right_pad_num =
    # max(1, (1 + 0 + 1) / 2) = 1, left = max(1, (1 + 1) / 2) = 1, no_pad 6: sums to 8;
    # left 4, right 4: max(12 + 4, 8 + 4) = 16
    assert _conv_size("cortex-m55", **{**row, "in_w": 15, "k_w": 3, "out_w": 8, "pad_w": 1,
                                       "stride_w": 2}) == 16
    # not 1xN when stride_w * in_c is not a multiple of 4 (in_c 3): generic, ceil(15 / 16) = 1
    assert _conv_size("cortex-m55", **{**row, "in_c": 3}) == 4 * 16
    # ... nor with dilation_w 2: generic again
    assert _conv_size("cortex-m55", **{**row, "dil_w": 2}) == 4 * 2 * 16


# --- arm_depthwise_conv_wrapper_s8_get_buffer_size ------------------------------------------

def _dw_size(target, **kw):
    g = dict(batches=1, in_c=8, out_c=8, k_h=3, k_w=3, pad_h=1, pad_w=1, dil_h=1, dil_w=1)
    g.update(kw)
    conv_eq = 0
    if g["in_c"] == 1:
        conv_eq = cmsis_nn.conv_buffer_size(target, in_h=8, in_w=8, in_c=1, k_h=g["k_h"],
                                            k_w=g["k_w"], out_w=8, stride_w=1, stride_h=1,
                                            pad_w=g["pad_w"], pad_h=g["pad_h"], dil_w=g["dil_w"],
                                            dil_h=g["dil_h"])
    return cmsis_nn.depthwise_buffer_size(target, conv_equivalent=conv_eq, **g)


def test_depthwise_3x3_small_padding():
    assert _dw_size("cortex-m4") == _dw_size("generic") == 0       # arm_depthwise_conv_3x3_s8
    assert _dw_size("cortex-m55") == 4 * 124 * 9                   # no 3x3 kernel on Helium


def test_depthwise_opt():
    five = dict(k_h=5, k_w=5, pad_h=2, pad_w=2)
    assert _dw_size("cortex-m4", **five) == 8 * 25 * 2             # in_c * k_w * k_h * int16
    assert _dw_size("cortex-m7", **five) == 8 * 25 * 2
    assert _dw_size("generic", **five) == 0                        # the C path needs none
    assert _dw_size("cortex-m55", **five) == 4 * 124 * 25
    assert _dw_size("cortex-m4", pad_h=2) == 8 * 9 * 2             # 3x3 with padding 2


@pytest.mark.parametrize("target", list(TARGET_ISA))
def test_depthwise_generic_needs_no_buffer(target):
    assert _dw_size(target, out_c=16) == 0                         # depth multiplier 2
    assert _dw_size(target, dil_h=2, dil_w=2) == 0
    assert _dw_size(target, batches=2) == 0


def test_depthwise_one_input_channel_on_helium():
    # gcc's threshold is 1: out_c 4 runs as a convolution: conv buffer (3 * 3 * 1 = 9 taps:
    # 4 * 1 * 16 = 64) + out_c * k_h * k_w = 36 bytes of repacked filter
    assert _dw_size("cortex-m55", in_c=1, out_c=4) == 64 + 36
    assert _dw_size("cortex-m55", in_c=1, out_c=2) == 64 + 18
    # out_c 1: not above the threshold; in_c == out_c: the opt kernel
    assert _dw_size("cortex-m55", in_c=1, out_c=1) == 4 * 124 * 9
    # DSP: no conversion; in_c != out_c: generic, 0
    assert _dw_size("cortex-m4", in_c=1, out_c=4) == 0


# --- the emitted calls -------------------------------------------------------------------------

IN_SHAPE = (9, 8, 4)


def _build():
    k = keras()
    x = k.Input(IN_SHAPE, name="x")
    y = k.layers.Conv2D(8, 3, strides=(1, 2), padding="same", activation="relu")(x)
    y = k.layers.DepthwiseConv2D(5, padding="same")(y)                 # opt kernel on DSP
    y = k.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="valid")(y)
    return k.Model(x, k.layers.Conv2D(12, 1)(y))                       # 1x1


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    data = int8_tflite(_build, [IN_SHAPE], seed=5, n_calib=8)
    return write_model(data, tmp_path_factory.mktemp("cmsis_conv"))


@pytest.fixture(scope="module")
def reference(model):
    """The model's ops and tensors as TFLite's interpreter reads them."""
    it = tf().lite.Interpreter(model_path=str(model))
    it.allocate_tensors()
    tensors = {d["index"]: d for d in it.get_tensor_details()}
    ops = [op for op in it._get_ops_details() if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D")]

    def data(i):
        return it.get_tensor(i)
    return ops, tensors, data


def _qp(detail):
    q = detail["quantization_parameters"]
    return q["scales"], q["zero_points"]


def _check_requant(text, quant_ref, scales_in, scales_w, scale_out):
    """The cmsis_nn_per_channel_quant_params struct: const tables cast to non-const pointers,
    holding QuantizeMultiplier of input * filter / output scale per channel."""
    ctype, q = struct(text, quant_ref)
    assert ctype == "cmsis_nn_per_channel_quant_params"
    assert q["multiplier"].startswith("(int32_t *)") and q["shift"].startswith("(int32_t *)")
    mult = const_array(text, q["multiplier"][len("(int32_t *)"):])
    shift = const_array(text, q["shift"][len("(int32_t *)"):])
    real = scales_in * scales_w.astype(np.float64) / scale_out
    assert len(mult) == len(shift) == len(real)
    assert np.all((mult >= 2**30) & (mult < 2**31))
    np.testing.assert_allclose(mult * 2.0 ** (shift - 31), real, rtol=2**-29)


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
def test_conv_and_depthwise_calls(model, reference, target):
    ops, tensors, data = reference
    c = compile_file(model, Options(name="m", target=target, kernels="cmsis-nn"))
    text = c.files["m.c"]
    conv_calls = calls(text, "arm_convolve_wrapper_s8")
    dw_calls = calls(text, "arm_depthwise_conv_wrapper_s8")
    assert len(conv_calls) == 2 and len(dw_calls) == 2
    layers = [layer for layer in c.layers if layer.kind in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    assert [layer.backend for layer in layers] == ["cmsis-nn"] * 4
    got = {"CONV_2D": iter(conv_calls), "DEPTHWISE_CONV_2D": iter(dw_calls)}
    previous_output = None
    for op, layer in zip(ops, layers):
        kind = op["op_name"]
        args = next(got[kind])
        x, w, b = (tensors[i] for i in op["inputs"])
        y = tensors[op["outputs"][0]]
        (s_in,), (zp_in,) = _qp(x)
        (s_out,), (zp_out,) = _qp(y)
        s_w = _qp(w)[0]
        n, in_h, in_w, in_c = x["shape"]
        _, out_h, out_w, out_c = y["shape"]
        f_shape = tuple(int(v) for v in w["shape"])
        k_h, k_w = f_shape[1], f_shape[2]
        stride = {"w": 2 if (in_w, out_w) == (8, 4) else 1, "h": 1}
        pad = {"w": max((out_w - 1) * stride["w"] + k_w - in_w, 0) // 2,
               "h": max((out_h - 1) * stride["h"] + k_h - in_h, 0) // 2}
        # context: the scratch the layer reserved, in the arena, with CMSIS-NN's size
        buf, size = context(args[0])
        if kind == "CONV_2D":
            want = cmsis_nn.conv_buffer_size(target, in_h=in_h, in_w=in_w, in_c=in_c, k_h=k_h,
                                             k_w=k_w, out_w=out_w, stride_w=stride["w"],
                                             stride_h=1, pad_w=pad["w"], pad_h=pad["h"],
                                             dil_w=1, dil_h=1)
        else:
            want = {("cortex-m4", 5): in_c * 25 * 2, ("cortex-m55", 5): 4 * 124 * 25,
                    ("cortex-m4", 3): 0, ("cortex-m55", 3): 0}[(target, k_h)]
        assert size == layer.scratch_bytes == want, (kind, k_h)
        if size:
            assert buf == f"(arena + {c.plan.scratch[layer.position]})"
        else:
            assert buf == "NULL"
        ctype, params = struct(text, args[1])
        assert ctype == ("cmsis_nn_conv_params" if kind == "CONV_2D" else "cmsis_nn_dw_conv_params")
        assert params["input_offset"] == -zp_in and params["output_offset"] == zp_out
        assert params["stride"] == stride and params["padding"] == pad
        assert params["dilation"] == {"w": 1, "h": 1}
        lo = zp_out if op is ops[0] else -128                          # ReLU: 0 real = zp
        assert params["activation"] == {"min": lo, "max": 127}
        if kind == "DEPTHWISE_CONV_2D":
            assert params["ch_mult"] == out_c // in_c
        _check_requant(text, args[2], s_in, s_w, s_out)
        assert struct(text, args[3])[1] == {"n": n, "h": in_h, "w": in_w, "c": in_c}
        if previous_output is not None:                                # layers chain
            assert args[4] == previous_output
        previous_output = args[10]
        assert struct(text, args[5])[1] == dict(zip("nhwc", f_shape))
        np.testing.assert_array_equal(const_array(text, args[6]), data(w["index"]).reshape(-1))
        assert struct(text, args[7])[1] == {"n": 1, "h": 1, "w": 1, "c": out_c}
        np.testing.assert_array_equal(const_array(text, args[8]), data(b["index"]))
        assert struct(text, args[9])[1] == {"n": n, "h": out_h, "w": out_w, "c": out_c}
        check = (f"arm_{'convolve' if kind == 'CONV_2D' else 'depthwise_conv'}_wrapper_s8_get_"
                 f"buffer_size({args[1]}, {args[3]}, {args[5]}, {args[9]}) != {want}")
        assert check in one_line_calls(text)
