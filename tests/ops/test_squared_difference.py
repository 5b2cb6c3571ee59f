"""SQUARED_DIFFERENCE int8 against TFLite BUILTIN_REF: tf.math.squared_difference in a Keras
model over equal and broadcast shapes, drawn quantizations (hypothesis; the rescales of
squared_difference.cc's Prepare), edge inputs, the C contract, and a refused output scale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_quants
from tests.util import check_keras, int8_tflite, keras, tf, write_model

SHAPES = [((4, 5, 3), (4, 5, 3)), ((4, 5, 3), (1, 5, 3)), ((4, 5, 3), (3,)),
          ((6,), (6,)), ((2, 3, 4), (2, 1, 1)), ((1, 8), (7, 1))]


def _build(a_shape, b_shape):
    def build():
        t, k = tf(), keras()

        class SquaredDifference(k.layers.Layer):
            def call(self, a, b):
                return t.math.squared_difference(a, b)
        a, b = k.Input(a_shape), k.Input(b_shape)
        return k.Model([a, b], SquaredDifference()(a, b))
    return build


@pytest.mark.parametrize("a_shape,b_shape", SHAPES,
                         ids=[f"{'x'.join(map(str, a))}-{'x'.join(map(str, b))}"
                              for a, b in SHAPES])
def test_squared_difference_bitexact(a_shape, b_shape, tmp_path):
    check_keras(_build(a_shape, b_shape), [a_shape, b_shape], tmp_path, n=10,
                expect_kinds=["SQUARED_DIFFERENCE"])


def _model() -> bytes:
    return int8_tflite(_build((4, 5, 3), (1, 5, 3)), [(4, 5, 3), (1, 5, 3)])


@MODELS
@given(s1=st.floats(0.002, 0.2), z1=st.integers(-128, 127), s2=st.floats(0.002, 0.2),
       z2=st.integers(-128, 127), out_ratio=st.floats(1.2, 5000.0), zo=st.integers(-128, 127))
def test_squared_difference_drawn_quantizations(s1, z1, s2, z2, out_ratio, zo):
    """Output scale drawn relative to (2 max(s1, s2))^2 / 2^14 so that the output rescale stays
    below 1, as TFLite's QuantizeMultiplierSmallerThanOneExp requires."""
    data = _model()
    op = op_of(data, "SQUARED_DIFFERENCE")
    so = out_ratio * (2 * max(s1, s2)) ** 2 / 2**14
    data = set_quants(data, {op.inputs[0]: (s1, z1), op.inputs[1]: (s2, z2),
                             op.outputs[0]: (so, zo)})
    assert_model_bitexact(data, kinds=["SQUARED_DIFFERENCE"])


def test_squared_difference_edge_inputs_and_c_contract(tmp_path):
    """Extreme operands (the largest squared difference), strict builds, ASan + UBSan."""
    path = write_model(_model(), tmp_path)
    a = np.where(np.arange(60) % 2 == 0, 127, -128).astype(np.int8).reshape(1, 4, 5, 3)
    b = np.full((1, 1, 5, 3), -128, np.int8)
    # the converter may list the two inputs in either order: hand each its own shape
    from tinycc_ml.compiler import Options, compile_file
    g = compile_file(path, Options(name="m")).graph
    by_shape = {x.shape: x for x in (a, b)}
    assert_c_contract(path, [by_shape[tuple(g.tensor(t).shape)] for t in g.inputs], tmp_path / "c")
    from tests.util import assert_bitexact
    assert_bitexact(path, n=20)


def test_squared_difference_output_rescale_above_one_is_refused(tmp_path):
    data = _model()
    op = op_of(data, "SQUARED_DIFFERENCE")
    bad = set_quants(data, {op.inputs[0]: (0.5, 0), op.inputs[1]: (0.5, 0),
                            op.outputs[0]: (1e-6, 0)})
    msg = compile_error(bad, tmp_path, starts=f"bad.tflite: op {op.index} (SQUARED_DIFFERENCE")
    assert "TFLite needs a rescale below 1" in msg, msg
