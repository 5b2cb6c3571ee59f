"""MAXIMUM and MINIMUM int8 and int16 (the 16x8 scheme) against TFLite BUILTIN_REF: Keras
Maximum / Minimum of branches, broadcasting (rank 2..5, either side), constant operands, inputs
quantized unlike the output (TFLite compares raw values); every case again in int16
(hypothesis over the cases and the calibration range); the C contract (int8 and int16); bad
input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import x16_tflite
from tests.ops._props import MODELS, assert_model_bitexact
from tests.ops._tflite_edit import set_quant
from tests.util import assert_bitexact, check_keras, int8_tflite, keras, single_layer, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import random_inputs


def _two(shapes, fn):
    def build():
        k = keras()
        ins = [k.Input(s) for s in shapes]
        return k.Model(ins, fn(k, *ins))
    return build


CASES = {
    "max_layer_same": ([(5, 6, 4), (5, 6, 4)], lambda k, a, b: k.layers.Maximum()([a, b]),
                       "MAXIMUM"),
    "min_layer_same_rank2": ([(7, 9), (7, 9)], lambda k, a, b: k.layers.Minimum()([a, b]),
                             "MINIMUM"),
    "max_bcast_channels": ([(5, 6, 4), (1, 1, 4)], lambda k, a, b: k.ops.maximum(a, b),
                           "MAXIMUM"),
    "min_bcast_first_small": ([(6, 1), (3, 6, 5)], lambda k, a, b: k.ops.minimum(a, b),
                              "MINIMUM"),
    "max_bcast_both": ([(4, 1, 3), (1, 5, 3)], lambda k, a, b: k.ops.maximum(a, b), "MAXIMUM"),
    "min_rank5": ([(2, 3, 1, 4), (2, 1, 5, 4)], lambda k, a, b: k.ops.minimum(a, b), "MINIMUM"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_maximum_minimum_bitexact(case, tmp_path):
    shapes, fn, kind = CASES[case]
    check_keras(_two(shapes, fn), shapes, tmp_path, n=6, expect_kinds=[kind])


CONSTS = {
    "max_scalar": ((4, 5, 3), lambda k, x: k.ops.maximum(x, 0.25), "MAXIMUM"),
    "min_channels": ((4, 5, 3), lambda k, x: k.ops.minimum(
        np.array([0.5, -0.2, 0.1], np.float32), x), "MINIMUM"),
    "max_after_conv": ((6, 6, 2), lambda k, x: k.ops.maximum(
        k.layers.Conv2D(3, 3, padding="same")(x), -0.1), "MAXIMUM"),
}


@pytest.mark.parametrize("case", sorted(CONSTS))
def test_maximum_minimum_constant(case, tmp_path):
    shape, fn, kind = CONSTS[case]
    path = check_keras(single_layer(shape, fn), [shape], tmp_path, n=6, expect_kinds=[kind])
    g = read(path.read_bytes(), "m")
    assert any(g.tensor(t).is_const for op in g.ops if op.kind == kind for t in op.inputs)


@MODELS
@given(case=st.sampled_from(sorted(CASES) + sorted(CONSTS)), scale=st.sampled_from([0.3, 1, 8]))
def test_maximum_minimum_int16(case, scale):
    """Each case converted with the 16x8 scheme: int16 operands (a constant one included), the
    converter's QUANTIZE before an operand of another scale."""
    if case in CASES:
        shapes, fn, kind = CASES[case]
        build = _two(shapes, fn)
    else:
        shape, fn, kind = CONSTS[case]
        shapes, build = [shape], single_layer(shape, fn)
    assert_model_bitexact(x16_tflite(build, shapes, low=-scale, high=scale), [kind], n=5)


def test_maximum_quantization_differs(tmp_path):
    """TFLite does not rescale: with input 2 quantized unlike the output, BUILTIN_REF compares
    raw values; so does the compiled kernel."""
    shapes, fn, _ = CASES["max_bcast_channels"]
    data = int8_tflite(_two(shapes, fn), shapes)
    op = read(data, "m").ops[0]
    path = write_model(set_quant(data, op.inputs[1], 0.05, 9), tmp_path)
    assert_bitexact(path, n=6)


@pytest.mark.parametrize("scheme,dtype", [("int8", np.int8), ("16x8", np.int16)])
def test_maximum_minimum_c_contract(tmp_path, scheme, dtype):
    def build():
        k = keras()
        a, b = k.Input((5, 6, 4)), k.Input((1, 6, 1))
        return k.Model([a, b], k.ops.minimum(k.layers.Maximum()([a, a * 0.5]), b))
    shapes = [(5, 6, 4), (1, 6, 1)]
    convert = x16_tflite if scheme == "16x8" else int8_tflite
    path = write_model(convert(build, shapes), tmp_path)
    g = read(path.read_bytes(), "m")
    assert {"MAXIMUM", "MINIMUM"} <= {op.kind for op in g.ops}
    specs = [((1,) + g.tensor(t).shape[1:], dtype) for t in g.inputs]
    assert_c_contract(path, random_inputs(specs, np.random.default_rng(3)), tmp_path)


# --- bad input --------------------------------------------------------------------------------

def test_maximum_shapes_do_not_broadcast(tmp_path):
    shapes, fn, _ = CASES["max_layer_same"]
    data = int8_tflite(_two(shapes, fn), shapes)
    g = read(data, "m")
    from tests.cli.tflite_edit import edit

    def change(model):
        for t in model.subgraphs[0].tensors:
            if t.name.decode() == g.ops[0].inputs[1]:
                t.shape = np.array([1, 5, 6, 3], np.int32)
    msg = compile_error(edit(data, change), tmp_path)
    assert "input shapes [1, 5, 6, 4] and [1, 5, 6, 3] do not broadcast" in msg
