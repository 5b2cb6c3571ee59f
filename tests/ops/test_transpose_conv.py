"""TRANSPOSE_CONV int8 (ops/transpose_conv.py) against TFLite BUILTIN_REF: hypothesis over input
and filter shapes, strides, SAME/VALID, bias, per-channel and per-tensor filters, quantization
written into the model and fused activations; the C contract; bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._props import MODELS, assert_model_bitexact, op_index, op_of
from tests.ops._tflite_edit import set_option, set_quants, set_shape
from tests.util import int8_tflite, single_layer, write_model

ACTS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def _model(shape, filters, kernel, strides, padding, use_bias=True, per_channel=True) -> bytes:
    init = "random_uniform" if use_bias else "zeros"
    layer = lambda k, x: k.layers.Conv2DTranspose(        # noqa: E731
        filters, kernel, strides=strides, padding=padding, use_bias=use_bias,
        bias_initializer=init)(x)
    return int8_tflite(single_layer(shape, layer), [shape], per_channel=per_channel)


@MODELS
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 5), filters=st.integers(1, 7),
       k_h=st.integers(1, 4), k_w=st.integers(1, 4), s_h=st.integers(1, 3), s_w=st.integers(1, 3),
       padding=st.sampled_from(["same", "valid"]), use_bias=st.booleans(),
       per_channel=st.booleans())
def test_transpose_conv_shapes(h, w, c, filters, k_h, k_w, s_h, s_w, padding, use_bias,
                               per_channel):
    data = _model((h, w, c), filters, (k_h, k_w), (s_h, s_w), padding, use_bias, per_channel)
    assert_model_bitexact(data, ["TRANSPOSE_CONV"])


@MODELS
@given(act=st.sampled_from(sorted(ACTS)), in_scale=st.floats(0.002, 0.5),
       in_zp=st.integers(-128, 127), out_scale=st.floats(0.001, 0.3),
       out_zp=st.integers(-128, 127))
def test_transpose_conv_quantization_and_activation(act, in_scale, in_zp, out_scale, out_zp):
    data = _model((4, 3, 3), 4, 3, 2, "same")
    op = op_of(data, "TRANSPOSE_CONV")
    data = set_quants(data, {op.inputs[2]: (in_scale, in_zp), op.outputs[0]: (out_scale, out_zp)})
    data = set_option(data, op.index, "fusedActivationFunction", ACTS[act])
    assert_model_bitexact(data, ["TRANSPOSE_CONV"], n=6)


def test_transpose_conv_c_contract(tmp_path):
    data = _model((5, 4, 3), 6, 3, 2, "same")
    path = write_model(data, tmp_path)
    rng = np.random.default_rng(0)
    assert_c_contract(path, [rng.integers(-128, 128, (1, 5, 4, 3), dtype=np.int8)], tmp_path)


@pytest.mark.parametrize("edit,reason", [
    (lambda d, op: set_shape(d, op.outputs[0], [1, 9, 8, 6]),
     r"output shape \[1, 9, 8, 6\] is not the output shape input \[1, 10, 8, 6\]"),
    (lambda d, op: set_option(d, op.index, "fusedActivationFunction", 4),
     "fused activation TANH is not supported"),
    (lambda d, op: set_option(d, op.index, "strideH", 0), "must be positive"),
], ids=["shape_input", "tanh", "stride0"])
def test_transpose_conv_bad_input(edit, reason, tmp_path):
    data = _model((5, 4, 3), 6, 3, 2, "same")
    op = op_of(data, "TRANSPOSE_CONV")
    msg = compile_error(edit(data, op), tmp_path, starts=f"bad.tflite: op {op.index} (")
    assert f"(TRANSPOSE_CONV '{op.name}'): " in msg
    assert re.search(reason, msg), msg


def test_transpose_conv_canonical_attrs():
    """The frontend writes strides, dilations, clamp and auto_pad, and no TFLite option name."""
    op = op_of(_model((5, 4, 3), 6, 3, (2, 1), "valid"), "TRANSPOSE_CONV")
    assert (op.attrs["strides"], op.attrs["dilations"], op.attrs["auto_pad"],
            op.attrs["clamp"]) == ((2, 1), (1, 1), "VALID", (None, None))
    assert not {"padding", "stride_h", "stride_w", "fused_activation_function"} & set(op.attrs)
