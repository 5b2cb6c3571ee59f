"""AVERAGE_POOL_2D and MAX_POOL_2D against TFLite BUILTIN_REF: Keras pooling layers, full int8."""

from __future__ import annotations

import pytest

from tests.ops._ir import compile_error, single_op, tensor
from tinycc_ml.quant import CLAMPS
from tests.util import assert_bitexact, compile_and_build, int8_tflite, keras, write_model

# id: (input HWC, pool size, strides, padding, fused activation expected in the model)
CASES = {
    "avg_k2_s2_valid": ((8, 8, 4), (2, 2), (2, 2), "valid", "NONE"),
    "avg_k3_s2_same_relu": ((9, 7, 5), (3, 3), (2, 2), "same", "RELU"),
    "avg_k3_s1_same_17ch": ((6, 6, 17), (3, 3), (1, 1), "same", "NONE"),
    "avg_k2x3_s1x2_same_relu6": ((7, 9, 3), (2, 3), (1, 2), "same", "RELU6"),
    "avg_k5_s3_same_window_mostly_padding": ((7, 8, 3), (5, 5), (3, 3), "same", "NONE"),
    "avg_k4_s1_valid_overlapping_40ch": ((6, 7, 40), (4, 4), (1, 1), "valid", "NONE"),
    "avg_kws_25x5_valid_64ch": ((25, 5, 64), (25, 5), (25, 5), "valid", "NONE"),
    "avg_vww_3x3_valid_256ch": ((3, 3, 256), (3, 3), (3, 3), "valid", "NONE"),
    "avg_ic_8x8_valid_64ch": ((8, 8, 64), (8, 8), (8, 8), "valid", "NONE"),
    "max_k2_s2_valid": ((8, 8, 4), (2, 2), (2, 2), "valid", "NONE"),
    "max_k3_s2_same_relu": ((9, 7, 5), (3, 3), (2, 2), "same", "RELU"),
    "max_k3_s1_same_33ch_relu6": ((5, 6, 33), (3, 3), (1, 1), "same", "RELU6"),
    "max_k2x4_s3x1_same": ((10, 7, 2), (2, 4), (3, 1), "same", "NONE"),
    "max_k1_s1_valid_identity": ((4, 4, 3), (1, 1), (1, 1), "valid", "NONE"),
}

_ACT = {"NONE": None, "RELU": 0.0, "RELU6": 6.0}


def _model(shape, size, strides, padding, act, kind):
    def build():
        k = keras()
        inp = k.Input(shape)
        layer = k.layers.AveragePooling2D if kind == "avg" else k.layers.MaxPooling2D
        x = layer(size, strides=strides, padding=padding)(inp)
        if act != "NONE":
            x = k.layers.ReLU(_ACT[act] or None)(x)
        return k.Model(inp, x)
    return build


@pytest.mark.parametrize("case", list(CASES))
def test_pool_bitexact(case, tmp_path):
    shape, size, strides, padding, act = CASES[case]
    kind = case.split("_")[0]
    # calibration in [-1, 3): a ReLU then clips a quarter of the range, a RELU6 clamps nothing
    data = int8_tflite(_model(shape, size, strides, padding, act, kind), [shape],
                       seed=len(case), low=-1.0, high=3.0, n_calib=8)
    path = write_model(data, tmp_path)
    from tinycc_ml.frontends import load
    g = load(path)
    want_kind = "AVERAGE_POOL_2D" if kind == "avg" else "MAX_POOL_2D"
    pools = [op for op in g.ops if op.kind == want_kind]
    assert len(pools) == 1, [op.kind for op in g.ops]
    assert pools[0].attrs["clamp"] == CLAMPS[act]
    host = compile_and_build(path)
    assert_bitexact(path, n=10, seed=len(case), host=host)
    _assert_extremes(path, host, g.tensor(g.inputs[0]).qparams()[1])


def _assert_extremes(path, host, zero_point):
    """Inputs random draws rarely give: every value -128, 127 or the zero point."""
    import numpy as np

    from tinycc_ml.reference import TFLiteReference
    ref = TFLiteReference(path)
    shape = host.in_specs[0][0]
    for value in (-128, 127, zero_point):
        x = np.full(shape, value, np.int8)
        np.testing.assert_array_equal(host.run([x])[0], ref.run([x])[0], err_msg=f"all {value}")


def _pool_graph(kind="AVERAGE_POOL_2D", out_zp=0, out_shape=(1, 2, 2, 3), **attrs):
    opts = dict(filter_height=2, filter_width=2, stride_h=2, stride_w=2, padding="VALID",
                fused_activation_function="NONE")
    opts.update(attrs)
    return single_op(kind, [tensor("x", (1, 4, 4, 3))], tensor("pooled", out_shape,
                                                               zero_point=out_zp), **opts)


@pytest.mark.parametrize("kind", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_pool_bad_input(kind):
    base = f"bad.tflite: op 0 ({kind} 'pooled'): "
    assert compile_error(_pool_graph(kind, out_zp=3)) == base + (
        "input quantization (scale 0.0500000007, zero point 0) differs from the output's "
        "(0.0500000007, 3); TFLite requires them equal")
    assert compile_error(_pool_graph(kind, filter_width=0)) == base + (
        "stride (2,2), dilation (1,1) and window (2,0) must be positive")
    assert compile_error(_pool_graph(kind, out_shape=(1, 3, 3, 3))) == base + (
        "output shape [1, 3, 3, 3] disagrees with the computed [1,2,2,3]")
    g = single_op(kind, [tensor("x", (1, 4, 4, 3), "int16")],
                  tensor("pooled", (1, 2, 2, 3)),
                  filter_height=2, filter_width=2, stride_h=2, stride_w=2, padding="VALID")
    assert compile_error(g) == base + ("output 'pooled' has type int8; a 16x8 layer has int16 "
                                       "input and output")


def test_c_contract(tmp_path):
    """Both pools with SAME padding: warning-free under gcc, clang and arm-none-eabi-gcc, clean
    under ASan + UBSan, and equal to BUILTIN_REF there too."""
    import numpy as np

    from tests.ops._c_contract import assert_c_contract
    from tinycc_ml.reference import random_inputs

    def build():
        k = keras()
        inp = k.Input((9, 7, 20))
        x = k.layers.AveragePooling2D(3, strides=2, padding="same")(inp)
        return k.Model(inp, k.layers.MaxPooling2D(2, padding="same")(x))
    path = write_model(int8_tflite(build, [(9, 7, 20)], seed=9, n_calib=8), tmp_path)
    assert_c_contract(path, random_inputs([((1, 9, 7, 20), np.int8)], np.random.default_rng(9)),
                      tmp_path)
