"""REDUCE_MAX and REDUCE_MIN int8 and int16 (the 16x8 scheme) against TFLite BUILTIN_REF:
keras.ops.max / min over a grid of shapes, axes and keep_dims, drawn schemes, shapes and axes
(hypothesis), edge inputs, the C contract (int8 and int16), and the quantization TFLite requires
(input and output alike)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import x16_tflite
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_quant
from tests.util import check_keras, int8_tflite, single_layer, write_model

KINDS = {"REDUCE_MAX": "max", "REDUCE_MIN": "min"}

# (input shape without the batch, axis, keepdims)
GRID = [((5, 7, 3), (1, 2), False), ((4, 4, 8), (1, 2), True), ((4, 5, 6), 3, False),
        ((4, 5, 6), 1, True), ((4, 5, 6), (1, 2, 3), False), ((3, 4, 5), (1, 3), False),
        ((9, 6), -1, True), ((9, 6), 1, False), ((32, 32, 2), (1, 2), False),
        ((1, 3, 5), (1, 2), True)]


def _reduce(kind: str, axis, keepdims: bool):
    fn = KINDS[kind]
    return lambda k, x: getattr(k.ops, fn)(x, axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("shape,axis,keepdims", GRID,
                         ids=[f"{'x'.join(map(str, s))}-ax{a}-{'keep' if k else 'drop'}"
                              for s, a, k in GRID])
def test_reduce_bitexact(kind, shape, axis, keepdims, tmp_path):
    check_keras(single_layer(shape, _reduce(kind, axis, keepdims)), [shape], tmp_path, n=10,
                expect_kinds=[kind])


@MODELS
@given(kind=st.sampled_from(sorted(KINDS)),
       shape=st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple),
       data=st.data(), keepdims=st.booleans(), scheme=st.sampled_from(["int8", "16x8"]))
def test_reduce_drawn_shapes_and_axes(kind, shape, data, keepdims, scheme):
    rank = len(shape) + 1
    axes = data.draw(st.lists(st.integers(1, rank - 1), min_size=1, max_size=rank - 1,
                              unique=True).map(tuple), label="axes")
    # the converter drops a reduction over extent-1 axes only (an identity)
    assume(any(shape[a - 1] > 1 for a in axes))
    convert = x16_tflite if scheme == "16x8" else int8_tflite
    model = convert(single_layer(shape, _reduce(kind, axes, keepdims)), [shape])
    assert_model_bitexact(model, kinds=[kind])


@pytest.mark.parametrize("scheme,dtype", [("int8", np.int8), ("16x8", np.int16)])
def test_reduce_edge_inputs_and_c_contract(tmp_path, scheme, dtype):
    """Groups (one per channel) all at the type's minimum, all at its maximum, the extremes
    last, the extremes first; strict builds; ASan + UBSan."""
    shape = (6, 5, 4)
    lo, hi = int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
    x = np.zeros((1,) + shape, dtype)
    x[..., 0], x[..., 1] = lo, hi
    x[0, -1, -1, 2], x[0, -1, -2, 2] = hi, lo
    x[0, 0, 0, 3], x[0, 0, 1, 3] = lo, hi
    convert = x16_tflite if scheme == "16x8" else int8_tflite
    for kind in sorted(KINDS):
        path = write_model(convert(single_layer(shape, _reduce(kind, (1, 2), False)), [shape]),
                           tmp_path, f"{kind}.tflite")
        assert_c_contract(path, [x], tmp_path / kind)


@pytest.mark.parametrize("scheme", ["int8", "16x8"])
def test_reduce_output_quantized_otherwise_is_refused(tmp_path, scheme):
    """TFLite's EvalType: TF_LITE_ENSURE_EQ on the scales and zero points (int8 and int16)."""
    convert = x16_tflite if scheme == "16x8" else int8_tflite
    data = convert(single_layer((4, 4, 3), _reduce("REDUCE_MAX", (1, 2), False)), [(4, 4, 3)])
    op = op_of(data, "REDUCE_MAX")
    bad = set_quant(data, op.outputs[0], 0.5, 0)
    msg = compile_error(bad, tmp_path, starts=f"bad.tflite: op {op.index} (REDUCE_MAX")
    assert "TFLite requires them equal" in msg, msg
