"""DEPTHWISE_CONV_2D against TFLite BUILTIN_REF: Keras DepthwiseConv2D layers converted to full
int8, and edits of converted models for what the converter never writes (dilation, batches above
1, RELU_N1_TO_1)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.ops._conv_edits import (check_bad_input, check_batchnorm_folded, check_builds,
                                    check_c_contract, check_per_tensor_filter, grid, grid_tests,
                                    window_graph,
                                    with_activation, with_batch, with_dilation, with_shape)
from tests.ops._ir import single_op, tensor
from tests.util import write_model

# id: input (height, width); the id names the layer (_conv_edits.layer_of): kernel, strides,
# padding, activation, channels, depth multiplier (1 unless "_mult")
# With stride_w 1 and multiplier 1 the portable kernel does several pixels per pass (up to 64
# values): c8 passes of 8 pixels, c16 of 4, c64 of 1; the image borders go one pixel at a time.
CASES = {
    "k3_s1_same_relu_c8": (10, 13),
    "k3_s2_same_relu6_c16": (13, 11),
    "k3_s2_valid_none_c5": (9, 9),
    "k5_s1_same_relu_c3": (8, 12),
    "k2_s1_same_none_c5": (7, 6),
    "k3x1_s1x2_same_none_c7": (6, 9),
    "k1x4_s2x1_valid_relu6_c17": (7, 11),
    "k3_s3_same_relu_c9": (10, 11),
    "k3_s1_valid_relu_c1": (6, 70),
    "k3_s1_same_relu_c4_mult2": (7, 7),
    "k3_s2_valid_none_c1_mult3": (9, 8),
    "k3_s1_same_relu6_c3_mult2": (5, 8),
    # the layers of the shared models (tinycc-ml inspect), smaller images
    "k3_s1_same_relu_c64_kws": (25, 5),
    "k3_s1_same_relu_c8_vww": (16, 16),
    "k3_s2_same_relu_c16_vww": (16, 16),
    "k3_s1_same_relu_c32_vww": (8, 8),
    "k3_s1_same_relu_c256_vww": (3, 3),
    # Cortex-M 3x3 kernel (tcm_depthwise_conv2d_s8_3x3_smlad): odd out_w (the single last
    # pixel), odd in_w (the last column widened with a zero-point column), channels not a
    # multiple of 4, stride_h != stride_w, left padding 0 and 1
    "k3_s2_same_relu_c12_odd_out_w": (9, 14),
    "k3_s1_valid_none_c6": (7, 9),
    "k3_s2x1_same_relu_c7": (11, 7),
    "k3_s1x2_valid_relu6_c10": (8, 11),
    "k3_s1_same_none_c2_w1": (6, 1),
    # rows wider than 8 output pixels (passes of 4, then 2, then 1 inside the channel loop)
    "k3_s2_same_relu_c4_out_w11": (6, 21),
    "k3_s1_same_none_c5_out_w11": (5, 11),
}

# Edits of converted grid models: (case, edit of the bytes)
EDITS = {
    # SAME keeps the output shape whatever the dilation
    "k3_s1_same_dil2_relu_c8": ("k3_s1_same_relu_c8", lambda d: with_dilation(d, "DEPTHWISE_CONV_2D", 2, 2)),
    "k3_s2_same_dil3x2_relu6_c16": ("k3_s2_same_relu6_c16", lambda d: with_dilation(d, "DEPTHWISE_CONV_2D", 3, 2)),
    "k3_s1_same_dil2_relu_c4_mult2": ("k3_s1_same_relu_c4_mult2", lambda d: with_dilation(d, "DEPTHWISE_CONV_2D", 2, 2)),
    "k3_s1_valid_dil2_relu_c1": ("k3_s1_valid_relu_c1",
                                 lambda d: with_shape(with_dilation(d, "DEPTHWISE_CONV_2D", 1, 2), "output", (1, 4, 66, 1))),
    "k3_s1_same_relu_c8_batch2": ("k3_s1_same_relu_c8", lambda d: with_batch(d, 2)),
    "k3_s2_valid_none_c1_mult3_batch3": ("k3_s2_valid_none_c1_mult3", lambda d: with_batch(d, 3)),
    "k3_s2_valid_relu_n1_to_1_c5": ("k3_s2_valid_none_c5",
                                    lambda d: with_activation(d, "DEPTHWISE_CONV_2D", "RELU_N1_TO_1")),
    # an activation range narrower than int8 on the Cortex-M 3x3 kernel's stride-1 path
    "k3_s1_same_relu_n1_to_1_c8": ("k3_s1_same_relu_c8",
                                   lambda d: with_activation(d, "DEPTHWISE_CONV_2D", "RELU_N1_TO_1")),
    "k3_s2x1_same_relu_c7_batch2": ("k3_s2x1_same_relu_c7", lambda d: with_batch(d, 2)),
}


_converted = grid(CASES, lambda k, c: k.layers.DepthwiseConv2D(
    c.kernel, strides=c.strides, padding=c.padding, depth_multiplier=c.mult,
    bias_initializer="random_normal"))
# every case, and every edit of a case, bit-exact in every build (_conv_edits.grid_tests)
test_depthwise_bitexact, test_depthwise_edited_bitexact = grid_tests(_converted, CASES, EDITS)


def _cortex_m_call(data: bytes, tmp_path: Path) -> str:
    """The depthwise kernel the cortex-m4 build of a one-layer model calls."""
    from tinycc_ml.compiler import Options, compile_file
    c = compile_file(write_model(data, tmp_path, "call.tflite"), Options(name="m", target="cortex-m4"))
    calls = {k for text in c.files.values()
             for k in ("tcm_depthwise_conv2d_s8_3x3_smlad", "tcm_depthwise_conv2d_s8_smlad",
                       "tcm_depthwise_conv2d_s8") if re.search(rf"\b{k}\(\s*&", text)}
    assert len(calls) == 1, calls
    # the choice inspect reports for every depthwise layer is the call in the C
    assert {x.kernel for x in c.layers if x.kind == "DEPTHWISE_CONV_2D"} == calls
    return calls.pop()


def test_cortex_m_kernel_choice(tmp_path):
    """The grid reaches each Cortex-M kernel: the 3x3 one for 3x3 filters at stride_w 1 or 2,
    the general SMLABB one for dilation (and for shifts >= 0, where tcm_requant_dsp.h's fast
    requantization would be inexact), the portable one for depth multipliers."""
    assert _cortex_m_call(_converted("k3_s1_same_relu_c8"), tmp_path) == (
        "tcm_depthwise_conv2d_s8_3x3_smlad")
    assert _cortex_m_call(_converted("k3_s1x2_valid_relu6_c10"), tmp_path) == (
        "tcm_depthwise_conv2d_s8_3x3_smlad")
    assert _cortex_m_call(EDITS["k3_s1_same_dil2_relu_c8"][1](_converted("k3_s1_same_relu_c8")),
                          tmp_path) == "tcm_depthwise_conv2d_s8_smlad"
    assert _cortex_m_call(_converted("k3_s1_same_relu_c4_mult2"), tmp_path) == (
        "tcm_depthwise_conv2d_s8")
    from tinycc_ml.ops.base import Context, Layer
    from tinycc_ml.ops.depthwise_conv2d import Depthwise3x3Smlad, DepthwiseSmlad
    from tinycc_ml.compiler import pipeline
    m4 = Context("cortex-m4")
    g = pipeline(_dw_graph())
    assert Depthwise3x3Smlad().why_not(Layer(g.ops[0], g), m4) is None
    # output scale 1/50 of the input's: effective multiplier 2.5, shift 2
    w = tensor("w", (1, 3, 3, 4), data=np.ones((1, 3, 3, 4), np.int8))
    b = tensor("b", (4,), "int32", data=np.zeros(4, np.int32))
    g = pipeline(single_op("DEPTHWISE_CONV_2D", [tensor("x", (1, 5, 5, 4)), w, b],
                           tensor("y", (1, 5, 5, 4), scale=0.001), stride_h=1, stride_w=1,
                           padding="SAME", dilation_hfactor=1, dilation_wfactor=1,
                           depth_multiplier=1, fused_activation_function="NONE"))
    assert g.ops[0].params.rq.shift.max() >= 0
    assert "short requantization is not exact" in Depthwise3x3Smlad().why_not(Layer(g.ops[0], g), m4)
    assert DepthwiseSmlad().why_not(Layer(g.ops[0], g), m4) is None


def test_depthwise_per_tensor_filter(tmp_path):
    check_per_tensor_filter(_converted("k3_s2_same_relu6_c16", per_channel=False),
                            "DEPTHWISE_CONV_2D", tmp_path, seed=4)


def test_depthwise_batchnorm_folded(tmp_path):
    """DepthwiseConv2D + BatchNorm + ReLU6 (MobileNet's block): BN folds into the filter."""
    check_batchnorm_folded(tmp_path, 6, (9, 9, 12),
                           lambda k: k.layers.DepthwiseConv2D(3, padding="same", use_bias=False),
                           relu_max=6.0)


def _dw_graph(x_shape=(1, 5, 5, 4), w_shape=(1, 3, 3, 4), y_shape=(1, 5, 5, 4), bias=4, **kw):
    return window_graph("DEPTHWISE_CONV_2D", x_shape, w_shape, y_shape, bias=bias, **kw)


def test_depthwise_bad_input():
    check_bad_input("DEPTHWISE_CONV_2D", _dw_graph, [
        ({"w_shape": (2, 3, 3, 4)}, "filter has shape [2, 3, 3, 4]; expected [1, k_h, k_w, out_c]"),
        ({"w_shape": (1, 3, 3, 6), "y_shape": (1, 5, 5, 6), "bias": 6},
         "4 input channels x depth multiplier 1 != 6 output channels"),
        ({"bias": 3}, "bias has 3 values for 4 output channels"),
        ({"y_shape": (1, 5, 4, 4)},
         "output shape [1, 5, 4, 4] disagrees with the computed [1,5,5,4]"),
    ])


def test_c_contract(tmp_path):
    """Passes of several pixels (8 channels), one pixel at a time (stride 2), a depth multiplier:
    warning-free under gcc, clang and arm-none-eabi-gcc (-std=c99 -Wall -Wextra -Werror
    -pedantic), clean under ASan + UBSan, and equal to BUILTIN_REF there too."""
    check_c_contract(tmp_path, 12, (12, 11, 8),
                     lambda k: k.layers.DepthwiseConv2D(3, padding="same", activation="relu"),
                     lambda k: k.layers.DepthwiseConv2D(3, strides=2, padding="same"),
                     lambda k: k.layers.DepthwiseConv2D(2, depth_multiplier=2))


def test_c_contract_cortex_m(tmp_path, monkeypatch):
    """The same contract for the Cortex-M 3x3 kernel's C (--target cortex-m4, built for the host
    through tcm_dsp.h's C emulation under the sanitizers): 3x3 stride 1, stride 2 and stride
    (1, 2) layers with odd widths and 6 channels, the stride-2 layer's output planned over its
    input."""
    import tests.test_sanitizers as san
    from tinycc_ml import compiler
    plain = compiler.Options
    monkeypatch.setattr(compiler, "Options", lambda **kw: plain(**{"target": "cortex-m4", **kw}))
    monkeypatch.setattr(san, "Options", compiler.Options)
    path = check_c_contract(tmp_path, 13, (9, 11, 6),
                            lambda k: k.layers.DepthwiseConv2D(3, padding="same", activation="relu",
                                                               bias_initializer="random_normal"),
                            lambda k: k.layers.DepthwiseConv2D(3, strides=2, padding="same"),
                            lambda k: k.layers.DepthwiseConv2D(3, strides=(1, 2)))
    assert _cortex_m_call(path.read_bytes(), tmp_path) == "tcm_depthwise_conv2d_s8_3x3_smlad"
