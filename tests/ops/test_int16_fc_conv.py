"""16x8 FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D (int16 activations, int8 weights, int64
bias; ops/_int16.py) against TFLite BUILTIN_REF: hypothesis over shapes, attributes, bias,
per-channel and per-tensor weights and the calibration range (which sets the scales), plus
quantization written into the model; kernel selection on every target; the C contract; bad
input. The requantization forms are measured here: BUILTIN_REF's 16x8 FULLY_CONNECTED rounds
once on its int64 accumulator (tflite_single_int64), CONV_2D and DEPTHWISE_CONV_2D use the
reduced-multiplier MultiplyByQuantizedMultiplier of an int64 (tflite_int64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import chosen_kernels, x16_tflite
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_quants
from tests.util import single_layer, write_model

ACTS = [None, "relu", "relu6"]
# the portable kernels, and the plain C of the Cortex-M ones (SMLAD, Helium) built on the host
TARGETS = ["generic", "cortex-m4", "cortex-m55"]


def _dense(shape, units, act, use_bias):
    return single_layer(shape, lambda k, x: k.layers.Dense(
        units, activation=act, use_bias=use_bias, bias_initializer="random_normal")(x))


@MODELS
@given(rows=st.integers(1, 3), depth=st.integers(1, 70), units=st.integers(1, 17),
       act=st.sampled_from(ACTS), use_bias=st.booleans(), per_channel=st.booleans(),
       scale=st.sampled_from([0.05, 1.0, 40.0]), target=st.sampled_from(TARGETS))
def test_int16_fully_connected(rows, depth, units, act, use_bias, per_channel, scale, target):
    shape = (depth,) if rows == 1 else (rows, depth)
    data = x16_tflite(_dense(shape, units, act, use_bias), [shape], per_channel=per_channel,
                      low=-scale, high=scale)
    assert_model_bitexact(data, ["FULLY_CONNECTED"], n=6, target=target)


def _conv(shape, filters, kernel, strides, padding, act, use_bias, depthwise=False, mult=1):
    def layer(k, x):
        if depthwise:
            return k.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding,
                                            depth_multiplier=mult, activation=act,
                                            use_bias=use_bias,
                                            bias_initializer="random_normal")(x)
        return k.layers.Conv2D(filters, kernel, strides=strides, padding=padding,
                               activation=act, use_bias=use_bias,
                               bias_initializer="random_normal")(x)
    return single_layer(shape, layer)


@MODELS
@given(h=st.integers(1, 8), w=st.integers(1, 8), c=st.integers(1, 5), filters=st.integers(1, 6),
       k_h=st.integers(1, 3), k_w=st.integers(1, 3), stride=st.integers(1, 2),
       padding=st.sampled_from(["same", "valid"]), act=st.sampled_from(ACTS),
       use_bias=st.booleans(), per_channel=st.booleans(), target=st.sampled_from(TARGETS))
def test_int16_conv2d(h, w, c, filters, k_h, k_w, stride, padding, act, use_bias, per_channel,
                      target):
    if padding == "valid" and (k_h > h or k_w > w):
        k_h, k_w = min(k_h, h), min(k_w, w)
    shape = (h, w, c)
    data = x16_tflite(_conv(shape, filters, (k_h, k_w), stride, padding, act, use_bias), [shape],
                      per_channel=per_channel)
    assert_model_bitexact(data, ["CONV_2D"], n=4, target=target)


@MODELS
@given(h=st.integers(1, 8), w=st.integers(1, 8), c=st.integers(1, 6), mult=st.integers(1, 2),
       k_h=st.integers(1, 3), k_w=st.integers(1, 3), stride=st.integers(1, 2),
       padding=st.sampled_from(["same", "valid"]), act=st.sampled_from(ACTS),
       use_bias=st.booleans(), target=st.sampled_from(TARGETS))
def test_int16_depthwise_conv2d(h, w, c, mult, k_h, k_w, stride, padding, act, use_bias,
                                target):
    """Per-channel filters only: TensorFlow 2.21's 16x8 calibrator fails on a per-tensor
    depthwise filter ("Quantized dimension for tensor property and quantization parameters do
    not match"); per-tensor scales reach DEPTHWISE_CONV_2D through test_int16_quantization's
    edits of the activations and the per-tensor path of CONV_2D's shared requantization."""
    if padding == "valid" and (k_h > h or k_w > w):
        k_h, k_w = min(k_h, h), min(k_w, w)
    shape = (h, w, c)
    data = x16_tflite(_conv(shape, 0, (k_h, k_w), stride, padding, act, use_bias, True, mult),
                      [shape])
    assert_model_bitexact(data, ["DEPTHWISE_CONV_2D"], n=4, target=target)


@MODELS
@given(kind=st.sampled_from(["FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"]),
       in_scale=st.floats(1e-5, 1e-2), out_scale=st.floats(1e-5, 1e-2))
def test_int16_quantization(kind, in_scale, out_scale):
    """Input and output scales written into the model (the bias keeps its scale: BUILTIN_REF
    reads the int64 values as they are)."""
    if kind == "FULLY_CONNECTED":
        shape, build = (12,), _dense((12,), 5, None, True)
    else:
        shape = (5, 4, 3)
        build = _conv(shape, 4, 3, 1, "same", None, True, kind == "DEPTHWISE_CONV_2D")
    data = x16_tflite(build, [shape])
    op = op_of(data, kind)
    data = set_quants(data, {op.inputs[0]: (in_scale, 0), op.outputs[0]: (out_scale, 0)})
    assert_model_bitexact(data, [kind], n=6)


def _block() -> tuple[tuple, bytes]:
    shape = (6, 6, 3)

    def build():
        from tests.util import keras
        k = keras()
        inp = k.Input(shape)
        x = k.layers.Conv2D(8, 3, padding="same", activation="relu",
                            bias_initializer="random_normal")(inp)
        x = k.layers.DepthwiseConv2D(3, strides=2, padding="same",
                                     bias_initializer="random_normal")(x)
        x = k.layers.Flatten()(x)
        return k.Model(inp, k.layers.Dense(4, bias_initializer="random_normal")(x))
    return shape, x16_tflite(build, [shape])


@pytest.mark.parametrize("target", ["generic", "host", "cortex-m4", "cortex-m55",
                                    "cortex-m0plus"])
def test_int16_kernel_choice(target, tmp_path):
    """Every target runs the 16x8 layers on their int16 kernels (the int8 kernels implement
    other requantization forms and are passed over): SMLAD on cortex-m4 and Helium on
    cortex-m55 for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
    (tests/ops/test_int16_cortexm_kernels.py), the portable ones elsewhere."""
    _, data = _block()
    chosen = chosen_kernels(data, tmp_path, target)
    suffix = {"cortex-m4": "_smlad", "cortex-m55": "_mve"}.get(target, "")
    assert chosen["CONV_2D"] == {"tcm_conv2d_s16" + suffix}
    assert chosen["DEPTHWISE_CONV_2D"] == {"tcm_depthwise_conv2d_s16" + suffix}
    assert chosen["FULLY_CONNECTED"] == {"tcm_fully_connected_s16" + suffix}


def test_int16_fc_conv_c_contract(tmp_path):
    shape, data = _block()
    path = write_model(data, tmp_path)
    rng = np.random.default_rng(0)
    assert_c_contract(path, [rng.integers(-32768, 32768, (1,) + shape, dtype=np.int16)], tmp_path)


def test_int16_nonzero_zero_point(tmp_path):
    """TFLite's Prepare requires symmetric int16 activations."""
    data = x16_tflite(_dense((12,), 5, None, True), [(12,)])
    op = op_of(data, "FULLY_CONNECTED")
    data = set_quants(data, {op.inputs[0]: (0.001, 3)})
    msg = compile_error(data, tmp_path, starts=f"bad.tflite: op {op.index} (")
    assert "has zero point 3; int16 activations are symmetric (zero point 0)" in msg, msg
