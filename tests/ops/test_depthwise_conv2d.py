"""DEPTHWISE_CONV_2D against TFLite BUILTIN_REF: Keras DepthwiseConv2D layers, full int8."""

from __future__ import annotations

import pytest

from tests.util import assert_bitexact, check_keras, compile_and_build, keras

# id: (input HWC, kernel, strides, padding, depth multiplier, activation)
CASES = {
    "k3_s1_same_relu_c8": ((10, 10, 8), (3, 3), (1, 1), "same", 1, "relu"),
    "k3_s2_same_relu6_c16": ((13, 11, 16), (3, 3), (2, 2), "same", 1, "relu6"),
    "k3_s2_valid_none_c5": ((9, 9, 5), (3, 3), (2, 2), "valid", 1, None),
    "k5_s1_same_relu_c3": ((8, 12, 3), (5, 5), (1, 1), "same", 1, "relu"),
    "k3x1_s1x2_same_none_c7": ((6, 9, 7), (3, 1), (1, 2), "same", 1, None),
    "k3_s1_same_relu_c4_mult2": ((7, 7, 4), (3, 3), (1, 1), "same", 2, "relu"),
    "k3_s2_valid_none_c1_mult3": ((9, 8, 1), (3, 3), (2, 2), "valid", 3, None),
    "k3_s1_same_relu_c64_kws": ((25, 5, 64), (3, 3), (1, 1), "same", 1, "relu"),
}


def _model(shape, kernel, strides, padding, mult, act):
    def build():
        k = keras()
        inp = k.Input(shape)
        x = k.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding,
                                     depth_multiplier=mult, bias_initializer="random_normal")(inp)
        if act == "relu6":
            x = k.layers.ReLU(6.0)(x)
        elif act:
            x = k.layers.Activation(act)(x)
        return k.Model(inp, x)
    return build


@pytest.mark.parametrize("case", list(CASES))
def test_depthwise_bitexact(case, tmp_path):
    """Portable kernel, then the Cortex-M (SMLAD) kernel built on the host, where tcm_dsp.h
    emulates the DSP instructions in C: both bit-exact with BUILTIN_REF."""
    spec = CASES[case]
    path = check_keras(_model(*spec), [spec[0]], tmp_path, n=8, seed=len(case),
                       expect_kinds=["DEPTHWISE_CONV_2D"])
    assert_bitexact(path, n=4, seed=len(case), host=compile_and_build(path, target="cortex-m4"))


def test_depthwise_per_tensor_filter(tmp_path):
    spec = CASES["k3_s2_same_relu6_c16"]
    check_keras(_model(*spec), [spec[0]], tmp_path, n=8, per_channel=False,
                expect_kinds=["DEPTHWISE_CONV_2D"])
