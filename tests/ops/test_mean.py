"""MEAN int8 against TFLite BUILTIN_REF: GlobalAveragePooling2D, keras.ops.mean over other axes,
rescaling between input and output quantization (the 1/n folding of QuantizedMeanOrSum), edge
inputs, the C contract, and bad axes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract
from tests.ops._tflite_edit import set_data, set_quant
from tests.util import single_layer, assert_bitexact, check_keras, int8_tflite, keras, write_model
from tinycc_ml.errors import CompileError
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import TFLiteReference


GAP = lambda k, x: k.layers.GlobalAveragePooling2D()(x)                      # noqa: E731
GAP_KEEP = lambda k, x: k.layers.GlobalAveragePooling2D(keepdims=True)(x)    # noqa: E731

CASES = {
    "gap_5x7x3": ((5, 7, 3), GAP),
    "gap_keepdims_4x4x8": ((4, 4, 8), GAP_KEEP),
    "gap_32x32x2_n1024": ((32, 32, 2), GAP),
    "gap_1x1x5_n1": ((1, 1, 5), GAP),
    "mean_axis3": ((4, 5, 6), lambda k, x: k.ops.mean(x, axis=3)),
    "mean_axis1_keepdims": ((4, 5, 6), lambda k, x: k.ops.mean(x, axis=1, keepdims=True)),
    "mean_axes123": ((4, 5, 6), lambda k, x: k.ops.mean(x, axis=(1, 2, 3))),
    "mean_axes13_interleaved": ((3, 4, 5), lambda k, x: k.ops.mean(x, axis=(1, 3))),
    "mean_rank3_axis2": ((9, 6), lambda k, x: k.ops.mean(x, axis=2)),
    "mean_rank3_axis_neg2": ((9, 6), lambda k, x: k.ops.mean(x, axis=-2, keepdims=True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_mean_bitexact(case, tmp_path):
    shape, fn = CASES[case]
    check_keras(single_layer(shape, fn), [shape], tmp_path, n=10, expect_kinds=["MEAN"])


def _gap_data(shape=(6, 5, 4)) -> bytes:
    return int8_tflite(single_layer(shape, GAP), [shape], low=-2.0, high=2.0)


@pytest.mark.parametrize("in_q,out_q", [
    ((0.02, -5), (0.02, -5)),          # same quantization
    ((0.02, 3), (0.02, -100)),         # same scale, zero points differ
    ((0.5, 10), (0.001, 0)),           # in/out = 500: shift > 0, saturates
    ((0.001, -128), (0.9, 127)),       # tiny multiplier
    ((0.07, 0), (0.011, 40)),
], ids=["same", "zp_only", "ratio500", "ratio1e-3", "ratio6"])
def test_mean_requantizes(in_q, out_q, tmp_path):
    """Quantizations written into the model: QuantizeMultiplier(in/out) folded with 1/n."""
    data = _gap_data()
    op = read(data, "m").ops[0]
    data = set_quant(set_quant(data, op.inputs[0], *in_q), op.outputs[0], *out_q)
    path = write_model(data, tmp_path)
    assert_bitexact(path, n=20)


def test_mean_edge_inputs_and_c_contract(tmp_path):
    """All -128, all 127, alternating; strict builds; ASan + UBSan."""
    shape = (7, 7, 8)
    data = set_quant(_gap_data(shape), read(_gap_data(shape), "m").ops[0].outputs[0], 0.003, 9)
    path = write_model(data, tmp_path)
    ref = TFLiteReference(path)
    from tests.util import compile_and_build
    host = compile_and_build(path)
    alt = np.where(np.arange(np.prod(shape)) % 2 == 0, 127, -128).astype(np.int8)
    cases = [np.full((1,) + shape, v, np.int8) for v in (-128, 127, 0)]
    cases.append(alt.reshape((1,) + shape))
    for x in cases:
        want = ref.run([x])[0]
        np.testing.assert_array_equal(host.run([x])[0], want.reshape(host.out_specs[0][0]))
    assert_c_contract(path, [cases[3]], tmp_path)


def test_mean_classifier_head(tmp_path):
    """Conv -> GAP -> Dense, the usual classifier head."""
    def build():
        k = keras()
        inp = k.Input((8, 8, 3))
        x = k.layers.Conv2D(16, 3, activation="relu")(inp)
        x = k.layers.GlobalAveragePooling2D()(x)
        return k.Model(inp, k.layers.Dense(4)(x))
    check_keras(build, [(8, 8, 3)], tmp_path, n=10, expect_kinds=["MEAN", "CONV_2D"])


@pytest.mark.parametrize("axes,reason", [
    ([1, 5], "axis [1, 5] is out of range for rank 4"),
    ([-5, 1], "axis [-5, 1] is out of range for rank 4"),
])
def test_mean_bad_axis(axes, reason, tmp_path):
    from tinycc_ml.compiler import Options, compile_file
    data = _gap_data()
    op = read(data, "m").ops[0]
    path = write_model(set_data(data, op.inputs[1], np.array(axes, np.int32)), tmp_path,
                       "bad.tflite")
    with pytest.raises(CompileError) as e:
        compile_file(path, Options(name="m"))
    assert str(e.value) == f"bad.tflite: op 0 (MEAN '{op.name}'): {reason}"


def test_mean_output_shape_must_match_axes(tmp_path):
    """Axes [1, 3] instead of [1, 2]: the model's output shape [1, 4] no longer fits."""
    from tinycc_ml.compiler import Options, compile_file
    data = _gap_data()
    op = read(data, "m").ops[0]
    path = write_model(set_data(data, op.inputs[1], np.array([1, 3], np.int32)), tmp_path,
                       "bad.tflite")
    with pytest.raises(CompileError, match=r"output shape \[1, 4\] is not the reduced shape"):
        compile_file(path, Options(name="m"))
