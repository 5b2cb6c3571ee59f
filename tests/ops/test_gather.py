"""GATHER int8 and int16 (the 16x8 scheme) with constant indices (ops/gather.py) against TFLite
BUILTIN_REF: hypothesis over the scheme, shapes, the axis (negative too), index lists with
repeats and index arrays of rank 0 to 2; the C contract (int8 and int16); an index out of
range."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import x16_tflite
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_data
from tests.util import int8_tflite, single_layer, write_model


def _model(shape, indices, axis, scheme: str = "int8") -> bytes:
    idx = np.asarray(indices, np.int32)
    convert = x16_tflite if scheme == "16x8" else int8_tflite
    return convert(single_layer(shape, lambda k, x: k.ops.take(x, idx, axis=axis)), [shape])


@MODELS
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data(),
       scheme=st.sampled_from(["int8", "16x8"]))
def test_gather_shapes(shape, data, scheme):
    axis = data.draw(st.integers(1, len(shape)))            # not the batch axis
    extent = shape[axis - 1]
    idx_shape = data.draw(st.sampled_from([(), (3,), (2, 2)]))
    indices = data.draw(st.lists(st.integers(0, extent - 1), min_size=int(np.prod(idx_shape)),
                                 max_size=int(np.prod(idx_shape))))
    indices = np.asarray(indices, np.int32).reshape(idx_shape)
    signed = data.draw(st.sampled_from([axis, axis - len(shape) - 1]))
    assert_model_bitexact(_model(tuple(shape), indices, signed, scheme), ["GATHER"])


@pytest.mark.parametrize("scheme,dtype", [("int8", np.int8), ("16x8", np.int16)])
def test_gather_c_contract(tmp_path, scheme, dtype):
    path = write_model(_model((4, 6, 3), [5, 0, 5, 2], 2, scheme), tmp_path)
    info = np.iinfo(dtype)
    x = np.random.default_rng(0).integers(info.min, info.max + 1, (1, 4, 6, 3), dtype=dtype)
    assert_c_contract(path, [x], tmp_path)


def test_gather_index_out_of_range(tmp_path):
    data = _model((4, 6, 3), [5, 0, 5, 2], 2)
    op = op_of(data, "GATHER")
    msg = compile_error(set_data(data, op.inputs[1], np.array([5, 0, 6, 2], np.int32)), tmp_path,
                        starts=f"bad.tflite: op {op.index} (GATHER")
    assert msg.endswith("index 6 is out of range for axis 2 of [1, 4, 6, 3]"), msg
