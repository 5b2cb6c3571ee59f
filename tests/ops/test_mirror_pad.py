"""MIRROR_PAD int8 and int16 (the 16x8 scheme; ops/mirror_pad.py) against TFLite BUILTIN_REF:
hypothesis over the scheme, shapes, per-axis paddings up to TFLite's limits and both modes; the
C contract (int8 and int16); paddings too large."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import x16_tflite
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_data
from tests.util import int8_tflite, single_layer, tf, write_model


def _model(shape, pads, mode, scheme: str = "int8") -> bytes:
    full = [[0, 0]] + [list(p) for p in pads]
    convert = x16_tflite if scheme == "16x8" else int8_tflite
    return convert(single_layer(shape, lambda k, x: k.layers.Lambda(
        lambda t: tf().pad(t, full, mode=mode))(x)), [shape])


@MODELS
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data(),
       mode=st.sampled_from(["REFLECT", "SYMMETRIC"]), scheme=st.sampled_from(["int8", "16x8"]))
def test_mirror_pad_shapes(shape, data, mode, scheme):
    limit = (lambda d: d - 1) if mode == "REFLECT" else (lambda d: d)
    pads = [(data.draw(st.integers(0, limit(d))), data.draw(st.integers(0, limit(d))))
            for d in shape]
    assert_model_bitexact(_model(tuple(shape), pads, mode, scheme), ["MIRROR_PAD"])


@pytest.mark.parametrize("scheme,dtype", [("int8", np.int8), ("16x8", np.int16)])
def test_mirror_pad_c_contract(tmp_path, scheme, dtype):
    path = write_model(_model((4, 5, 3), [(2, 3), (1, 4), (0, 0)], "REFLECT", scheme), tmp_path)
    info = np.iinfo(dtype)
    x = np.random.default_rng(0).integers(info.min, info.max + 1, (1, 4, 5, 3), dtype=dtype)
    assert_c_contract(path, [x], tmp_path)


def test_mirror_pad_too_large(tmp_path):
    data = _model((4, 5, 3), [(2, 3), (1, 4), (0, 0)], "REFLECT")
    op = op_of(data, "MIRROR_PAD")
    pads = np.array([[0, 0], [2, 4], [1, 4], [0, 0]], np.int32)
    msg = compile_error(set_data(data, op.inputs[1], pads), tmp_path,
                        starts=f"bad.tflite: op {op.index} (MIRROR_PAD")
    assert msg.endswith("paddings (2, 4) of axis 1 must lie in [0, 3] for reflect padding of "
                        "4 values"), msg
