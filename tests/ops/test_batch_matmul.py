"""BATCH_MATMUL int8 (ops/batch_matmul.py) against TFLite BUILTIN_REF: hypothesis over matrix
sizes, broadcast batch dimensions (rank 3 to 5), adj_x / adj_y, a constant or an activation
right operand, and quantization written into the model; the C contract; bad input."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._props import MODELS, assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_option, set_quants
from tests.util import int8_tflite, keras, tf, write_model
from tinycc_ml.frontends.tflite import read


def _model(batch_a, batch_b, m, k, n, adj_x, adj_y, const_rhs) -> bytes:
    shape_a = tuple(batch_a) + ((k, m) if adj_x else (m, k))
    shape_b = tuple(batch_b) + ((n, k) if adj_y else (k, n))
    t = tf()

    def build():
        kr = keras()
        a = kr.Input(shape_a)
        if const_rhs:
            b = t.constant(np.random.default_rng(1).uniform(-1, 1, (1,) + shape_b)
                           .astype(np.float32))
            ins = [a]
        else:
            b = kr.Input(shape_b)
            ins = [a, b]
        out = kr.layers.Lambda(lambda x: t.linalg.matmul(x[0], x[1], transpose_a=adj_x,
                                                         transpose_b=adj_y))([a, b])
        return kr.Model(ins, out)
    return int8_tflite(build, [shape_a] + ([] if const_rhs else [shape_b]))


batches = st.lists(st.integers(1, 3), min_size=0, max_size=2)


@MODELS
@given(batch=batches, data=st.data(), m=st.integers(1, 6), k=st.integers(1, 9),
       n=st.integers(1, 6), adj_x=st.booleans(), adj_y=st.booleans(), const_rhs=st.booleans())
def test_batch_matmul_shapes(batch, data, m, k, n, adj_x, adj_y, const_rhs):
    # the other operand's batch: the same dimensions, some of them 1 (broadcast either way)
    other = [data.draw(st.sampled_from([d, 1])) for d in batch]
    if const_rhs:
        other = [1] * len(batch)     # a constant with batch 1 broadcasts over the activation's
    # TFLite's kernel gives no matrix product there (test_batch_matmul_refuses_adj_x_compression)
    assume(not (adj_x and (other or [1])[-1] == 1 and (batch or [1])[-1] > 1))
    data_model = _model(batch, other, m, k, n, adj_x, adj_y, const_rhs)
    assert_model_bitexact(data_model, ["BATCH_MATMUL"])


@MODELS
@given(qa=st.tuples(st.floats(0.002, 0.2), st.integers(-128, 127)),
       qb=st.tuples(st.floats(0.002, 0.2), st.integers(-128, 127)),
       qo=st.tuples(st.floats(0.001, 0.5), st.integers(-128, 127)))
def test_batch_matmul_quantization(qa, qb, qo):
    data = _model([2], [2], 3, 7, 4, False, False, False)
    op = op_of(data, "BATCH_MATMUL")
    data = set_quants(data, {op.inputs[0]: qa, op.inputs[1]: qb, op.outputs[0]: qo})
    assert_model_bitexact(data, ["BATCH_MATMUL"])


def test_batch_matmul_c_contract(tmp_path):
    data = _model([2, 3], [1, 3], 4, 5, 3, True, True, False)
    path = write_model(data, tmp_path)
    rng = np.random.default_rng(0)
    g = read(data, "m")        # the converter may order the two inputs either way
    xs = [rng.integers(-128, 128, g.tensor(t).shape, dtype=np.int8) for t in g.inputs]
    assert_c_contract(path, xs, tmp_path)


def test_batch_matmul_bad_summed_dimension(tmp_path):
    """adj_y set on a model built without it: [4x5] x [5x6] read as [4x5] x [6x5]^T."""
    data = _model([], [], 4, 5, 6, False, False, False)
    op = op_of(data, "BATCH_MATMUL")
    msg = compile_error(set_option(data, op.index, "adjY", True), tmp_path,
                        starts=f"bad.tflite: op {op.index} (BATCH_MATMUL")
    assert msg.endswith("disagree on the summed dimension"), msg


def test_batch_matmul_refuses_adj_x_compression(tmp_path):
    """lhs [1, 2, k, m] with adj_x times rhs [1, 1, k, n]: BUILTIN_REF merges lhs axis -3 into
    the summed axis and writes only half of the output; tinycc-ml refuses the layer."""
    data = _model([2], [1], 3, 4, 2, True, False, False)
    op = op_of(data, "BATCH_MATMUL")
    msg = compile_error(data, tmp_path, starts=f"bad.tflite: op {op.index} (BATCH_MATMUL")
    assert "merges lhs axis -3 into the summed axis" in msg, msg
