"""CONV_2D against TFLite BUILTIN_REF: a grid of Keras Conv2D layers converted to full int8."""

from __future__ import annotations

import pytest

from tests.util import assert_bitexact, check_keras, compile_and_build, keras

# id: (input HWC, filters, kernel, strides, padding, dilation, activation)
CASES = {
    "k3_s1_same_relu_3to8": ((12, 12, 3), 8, (3, 3), (1, 1), "same", (1, 1), "relu"),
    "k3_s2_same_relu6_8to16": ((15, 13, 8), 16, (3, 3), (2, 2), "same", (1, 1), "relu6"),
    "k3_s2_valid_none_5to7": ((11, 9, 5), 7, (3, 3), (2, 2), "valid", (1, 1), None),
    "k1_s1_valid_relu_17to33": ((6, 5, 17), 33, (1, 1), (1, 1), "valid", (1, 1), "relu"),
    "k1_s2_same_none_16to8": ((9, 9, 16), 8, (1, 1), (2, 2), "same", (1, 1), None),
    "k5x2_s3x1_same_relu_1to4": ((20, 7, 1), 4, (5, 2), (3, 1), "same", (1, 1), "relu"),
    "k10x4_s2_same_relu_1to64_kws": ((49, 10, 1), 64, (10, 4), (2, 2), "same", (1, 1), "relu"),
    # Keras dilation converts to SPACE_TO_BATCH_ND + CONV_2D + BATCH_TO_SPACE_ND, not yet fused:
    # see test_dilated_conv_is_refused_clearly.
    "k7_s1_same_relu_2to3_big_kernel": ((8, 8, 2), 3, (7, 7), (1, 1), "same", (1, 1), "relu"),
    "k2_s2_valid_none_1x1_output": ((2, 2, 3), 5, (2, 2), (2, 2), "valid", (1, 1), None),
}


def _model(shape, filters, kernel, strides, padding, dilation, act):
    def build():
        k = keras()
        inp = k.Input(shape)
        x = k.layers.Conv2D(filters, kernel, strides=strides, padding=padding,
                            dilation_rate=dilation, bias_initializer="random_normal")(inp)
        if act == "relu6":
            x = k.layers.ReLU(6.0)(x)
        elif act:
            x = k.layers.Activation(act)(x)
        return k.Model(inp, x)
    return build


@pytest.mark.parametrize("case", list(CASES))
def test_conv2d_bitexact(case, tmp_path):
    """Portable kernel, then the Cortex-M (SMLAD) kernel built on the host, where tcm_dsp.h
    emulates the DSP instructions in C: both bit-exact with BUILTIN_REF."""
    spec = CASES[case]
    path = check_keras(_model(*spec), [spec[0]], tmp_path, n=8, seed=len(case),
                       expect_kinds=["CONV_2D"])
    assert_bitexact(path, n=4, seed=len(case), host=compile_and_build(path, target="cortex-m4"))


def test_conv2d_batchnorm_folded(tmp_path):
    """Conv + BatchNorm + ReLU, as trained models have it: the converter folds BN per channel."""
    def build():
        k = keras()
        inp = k.Input((10, 10, 3))
        x = k.layers.Conv2D(8, 3, padding="same", use_bias=False)(inp)
        x = k.layers.BatchNormalization(beta_initializer="random_normal",
                                        gamma_initializer="random_uniform",
                                        moving_mean_initializer="random_normal",
                                        moving_variance_initializer="ones")(x)
        x = k.layers.ReLU()(x)
        return k.Model(inp, x)
    check_keras(build, [(10, 10, 3)], tmp_path, n=8, expect_kinds=["CONV_2D"])


def test_conv2d_per_tensor_filter(tmp_path):
    spec = CASES["k3_s2_same_relu6_8to16"]
    check_keras(_model(*spec), [spec[0]], tmp_path, n=8, per_channel=False,
                expect_kinds=["CONV_2D"])


def test_dilated_conv_is_refused_clearly(tmp_path):
    """Keras' dilated conv becomes SPACE_TO_BATCH_ND + CONV_2D + BATCH_TO_SPACE_ND in TFLite."""
    from tinycc_ml.cli import main
    from tests.util import int8_tflite, write_model
    spec = ((10, 10, 4), 6, (3, 3), (1, 1), "same", (2, 2), None)
    path = write_model(int8_tflite(_model(*spec), [spec[0]]), tmp_path)
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
