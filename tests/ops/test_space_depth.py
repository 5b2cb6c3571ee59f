"""DEPTH_TO_SPACE and SPACE_TO_DEPTH int8 (ops/space_depth.py) against TFLite BUILTIN_REF:
hypothesis over NHWC shapes and block sizes; the C contract; a bad block size."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_option
from tests.util import int8_tflite, single_layer, tf, write_model


def _model(kind: str, shape, block: int) -> bytes:
    fn = {"DEPTH_TO_SPACE": tf().nn.depth_to_space, "SPACE_TO_DEPTH": tf().nn.space_to_depth}[kind]
    return int8_tflite(single_layer(shape, lambda k, x: k.layers.Lambda(
        lambda t: fn(t, block))(x)), [shape])


@MODELS
@given(kind=st.sampled_from(["DEPTH_TO_SPACE", "SPACE_TO_DEPTH"]), block=st.integers(2, 4),
       h=st.integers(1, 4), w=st.integers(1, 4), c=st.integers(1, 4))
def test_space_depth_shapes(kind, block, h, w, c):
    if kind == "DEPTH_TO_SPACE":
        shape = (h, w, c * block * block)
    else:
        shape = (h * block, w * block, c)
    assert_model_bitexact(_model(kind, shape, block), [kind])


def test_space_depth_c_contract(tmp_path):
    path = write_model(_model("DEPTH_TO_SPACE", (3, 5, 8), 2), tmp_path)
    x = np.random.default_rng(0).integers(-128, 128, (1, 3, 5, 8), dtype=np.int8)
    assert_c_contract(path, [x], tmp_path)
    path = write_model(_model("SPACE_TO_DEPTH", (4, 6, 3), 2), tmp_path, "s2d.tflite")
    x = np.random.default_rng(1).integers(-128, 128, (1, 4, 6, 3), dtype=np.int8)
    assert_c_contract(path, [x], tmp_path / "s2d")


def test_space_depth_bad_block(tmp_path):
    data = _model("DEPTH_TO_SPACE", (3, 5, 8), 2)
    op = op_of(data, "DEPTH_TO_SPACE")
    msg = compile_error(set_option(data, op.index, "blockSize", 3), tmp_path,
                        starts=f"bad.tflite: op {op.index} (DEPTH_TO_SPACE")
    assert "depth 8 is not a multiple of block_size^2 = 9" in msg, msg
