"""MIRROR_PAD int8 (ops/mirror_pad.py) against TFLite BUILTIN_REF: hypothesis over shapes,
per-axis paddings up to TFLite's limits and both modes; the C contract; paddings too large."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_data
from tests.util import int8_tflite, single_layer, tf, write_model


def _model(shape, pads, mode) -> bytes:
    full = [[0, 0]] + [list(p) for p in pads]
    return int8_tflite(single_layer(shape, lambda k, x: k.layers.Lambda(
        lambda t: tf().pad(t, full, mode=mode))(x)), [shape])


@MODELS
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data(),
       mode=st.sampled_from(["REFLECT", "SYMMETRIC"]))
def test_mirror_pad_shapes(shape, data, mode):
    limit = (lambda d: d - 1) if mode == "REFLECT" else (lambda d: d)
    pads = [(data.draw(st.integers(0, limit(d))), data.draw(st.integers(0, limit(d))))
            for d in shape]
    assert_model_bitexact(_model(tuple(shape), pads, mode), ["MIRROR_PAD"])


def test_mirror_pad_c_contract(tmp_path):
    path = write_model(_model((4, 5, 3), [(2, 3), (1, 4), (0, 0)], "REFLECT"), tmp_path)
    x = np.random.default_rng(0).integers(-128, 128, (1, 4, 5, 3), dtype=np.int8)
    assert_c_contract(path, [x], tmp_path)


def test_mirror_pad_too_large(tmp_path):
    data = _model((4, 5, 3), [(2, 3), (1, 4), (0, 0)], "REFLECT")
    op = op_of(data, "MIRROR_PAD")
    pads = np.array([[0, 0], [2, 4], [1, 4], [0, 0]], np.int32)
    msg = compile_error(set_data(data, op.inputs[1], pads), tmp_path,
                        starts=f"bad.tflite: op {op.index} (MIRROR_PAD")
    assert msg.endswith("paddings (2, 4) of axis 1 must lie in [0, 3] for reflect padding of "
                        "4 values"), msg
