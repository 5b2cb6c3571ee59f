"""UNPACK int8 (ops/unpack.py) against TFLite BUILTIN_REF: hypothesis over shapes and the axis
(tf.unstack, each piece through its own op so that every output is used); the C contract."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract
from tests.ops._props import MODELS, assert_model_bitexact
from tests.util import int8_tflite, keras, tf, write_model


def _model(shape, axis) -> bytes:
    def build():
        k = keras()
        inp = k.Input(shape)
        pieces = k.layers.Lambda(lambda t: tf().unstack(t, axis=axis))(inp)
        return k.Model(inp, [k.layers.ReLU()(p) for p in pieces])
    return int8_tflite(build, [shape])


@MODELS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_unpack_shapes(shape, data):
    axis = data.draw(st.integers(1, len(shape)))
    signed = data.draw(st.sampled_from([axis, axis - len(shape) - 1]))
    assert_model_bitexact(_model(tuple(shape), signed), ["UNPACK"])


def test_unpack_c_contract(tmp_path):
    path = write_model(_model((3, 4, 2), 2), tmp_path)
    x = np.random.default_rng(0).integers(-128, 128, (1, 3, 4, 2), dtype=np.int8)
    assert_c_contract(path, [x], tmp_path)
