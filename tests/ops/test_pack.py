"""PACK int8 of activations (ops/pack.py) against TFLite BUILTIN_REF: hypothesis over shapes, the
number of inputs and the axis (tf.stack of branches the converter quantizes alike); the C
contract; inputs with another quantization refused as TFLite's Prepare refuses them."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_quant
from tests.util import int8_tflite, keras, tf, write_model


def _model(shape, n, axis) -> bytes:
    def build():
        k = keras()
        inputs = [k.Input(shape) for _ in range(n)]
        return k.Model(inputs, k.layers.Lambda(lambda t: tf().stack(t, axis=axis))(inputs))
    return int8_tflite(build, [shape] * n)


@MODELS
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=2), n=st.integers(1, 3),
       data=st.data())
def test_pack_shapes(shape, n, data):
    axis = data.draw(st.integers(1, len(shape) + 1))
    signed = data.draw(st.sampled_from([axis, axis - len(shape) - 2]))
    assert_model_bitexact(_model(tuple(shape), n, signed), ["PACK"])


def test_pack_c_contract(tmp_path):
    path = write_model(_model((3, 4), 3, 2), tmp_path)
    rng = np.random.default_rng(0)
    assert_c_contract(path, [rng.integers(-128, 128, (1, 3, 4), dtype=np.int8)
                             for _ in range(3)], tmp_path)


def test_pack_requires_one_quantization(tmp_path):
    data = _model((3, 4), 2, 1)
    op = op_of(data, "PACK")
    msg = compile_error(set_quant(data, op.inputs[1], 0.5, 3), tmp_path,
                        starts=f"bad.tflite: op {op.index} (PACK")
    assert msg.endswith("TFLite's int8 PACK does not rescale"), msg
