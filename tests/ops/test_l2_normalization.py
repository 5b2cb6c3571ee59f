"""L2_NORMALIZATION int8 against TFLite BUILTIN_REF: tf.math.l2_normalize over the last axis of
a grid of shapes, drawn input quantizations (hypothesis; every row sum the fixed-point inverse
square root meets), edge rows (all at the zero point: a zero sum; the largest magnitudes), the
C contract, and the output quantization TFLite requires."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_quant
from tests.util import check_keras, int8_tflite, keras, tf, write_model

SHAPES = [(6,), (4, 6), (3, 5, 16), (2, 2, 3), (1, 64), (7, 1)]


def _build(shape):
    def build():
        t, k = tf(), keras()

        class L2Normalize(k.layers.Layer):
            def call(self, a):
                return t.math.l2_normalize(a, axis=-1)
        a = k.Input(shape)
        return k.Model(a, L2Normalize()(a))
    return build


@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_l2_normalization_bitexact(shape, tmp_path):
    check_keras(_build(shape), [shape], tmp_path, n=10, expect_kinds=["L2_NORMALIZATION"])


@MODELS
@given(scale=st.floats(1e-4, 1.0), zp=st.integers(-128, 127))
def test_l2_normalization_drawn_input_quantization(scale, zp):
    data = int8_tflite(_build((5, 12)), [(5, 12)])
    op = op_of(data, "L2_NORMALIZATION")
    assert_model_bitexact(set_quant(data, op.inputs[0], scale, zp), kinds=["L2_NORMALIZATION"],
                          n=16)


def test_l2_normalization_edge_rows_and_c_contract(tmp_path):
    """Rows at the zero point (sum 0), a lone +-1 (sum 1), all -128, all 127, one large value."""
    data = int8_tflite(_build((6, 8)), [(6, 8)])
    op = op_of(data, "L2_NORMALIZATION")
    data = set_quant(data, op.inputs[0], 0.05, 3)
    x = np.full((1, 6, 8), 3, np.int8)
    x[0, 1, 2] = 4
    x[0, 2, :] = -128
    x[0, 3, :] = 127
    x[0, 4, 5] = -128
    x[0, 5, ::2] = 127
    assert_c_contract(write_model(data, tmp_path), [x], tmp_path / "c")


def test_l2_normalization_output_quantization_is_refused(tmp_path):
    data = int8_tflite(_build((4, 6)), [(4, 6)])
    op = op_of(data, "L2_NORMALIZATION")
    msg = compile_error(set_quant(data, op.outputs[0], 1 / 64, 0), tmp_path,
                        starts=f"bad.tflite: op {op.index} (L2_NORMALIZATION")
    assert "output must have scale 1/128 and zero point 0" in msg, msg
