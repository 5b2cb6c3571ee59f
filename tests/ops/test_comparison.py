"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL int8 (ops/comparison.py,
runtime_c/tcm_comparison.c) against TFLite BUILTIN_REF, bool outputs compared element by
element:
1. Keras models (keras.ops.less etc. of two inputs, broadcast or not), hypothesis over the op,
   shapes and calibration range. (TensorFlow 2.21's converter leaves NOT_EQUAL in float, with
   DEQUANTIZE before it, which is refused as a float op; int8 NOT_EQUAL, which BUILTIN_REF
   runs, is reached by renaming the op in 2.)
2. Every pair of int8 values: a [256, 1] and a [1, 256] input broadcast to [256, 256], their
   scales and zero points rewritten (hypothesis; equal quantizations too, where EQUAL holds on
   the diagonal), so the rescale (left shift 8, each input's own multiplier) is checked on all
   65,536 pairs.
3. The C contract; bad input (a scale of 1 or more, where TFLite aborts).
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, quant_error
from tests.ops._props import assert_model_bitexact, op_of
from tests.ops._tflite_edit import set_opcode, set_quants
from tests.util import compile_and_build, int8_tflite, keras, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import TFLiteReference, random_inputs

FEW = settings(max_examples=10, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KINDS = {"EQUAL": "equal", "NOT_EQUAL": "not_equal", "LESS": "less",
         "LESS_EQUAL": "less_equal", "GREATER": "greater", "GREATER_EQUAL": "greater_equal"}


def _two(shape_a, shape_b, kind):
    def build():
        k = keras()
        a, b = k.Input(shape_a), k.Input(shape_b)
        return k.Model([a, b], getattr(k.ops, KINDS[kind])(a, b))
    return build


@FEW
@given(kind=st.sampled_from(sorted(set(KINDS) - {"NOT_EQUAL"})), h=st.integers(1, 4),
       w=st.integers(1, 5),
       broadcast=st.sampled_from(["none", "row", "scalar"]), wide=st.sampled_from([1.0, 5.0]))
def test_comparison_keras(kind, h, w, broadcast, wide):
    shape_b = {"none": (h, w), "row": (1, w), "scalar": (1, 1)}[broadcast]
    data = int8_tflite(_two((h, w), shape_b, kind), [(h, w), shape_b], low=-wide, high=wide)
    assert_model_bitexact(data, [kind], n=6)


@lru_cache(maxsize=None)
def _pairs_model() -> bytes:
    return int8_tflite(_two((256, 1), (1, 256), "LESS"), [(256, 1), (1, 256)], n_calib=4)


def _all_pairs():
    values = np.arange(-128, 128, dtype=np.int8)
    return [values.reshape(1, 256, 1), values.reshape(1, 1, 256)]


def _run_pairs(data: bytes) -> None:
    path = write_model(data, Path(tempfile.mkdtemp(prefix="tcm-cmp-")))
    host = compile_and_build(path)
    shapes = [host.compiled.graph.tensor(t).shape for t in host.compiled.graph.inputs]
    xs = sorted(_all_pairs(), key=lambda x: x.shape != shapes[0])   # the graph's input order
    want = TFLiteReference(path).run(xs)[0]
    got = host.run(xs)[0]
    np.testing.assert_array_equal(got.reshape(-1), want.reshape(-1))


@FEW
@given(kind=st.sampled_from(sorted(KINDS)), s1=st.floats(1e-4, 0.9), z1=st.integers(-128, 127),
       s2=st.floats(1e-4, 0.9), z2=st.integers(-128, 127), same=st.booleans())
def test_comparison_all_pairs(kind, s1, z1, s2, z2, same):
    data = set_opcode(_pairs_model(), "LESS", kind)
    op = op_of(data, kind)
    if same:
        s2, z2 = s1, z1
    _run_pairs(set_quants(data, {op.inputs[0]: (s1, z1), op.inputs[1]: (s2, z2)}))


def test_comparison_c_contract(tmp_path):
    data = int8_tflite(_two((3, 5), (1, 5), "GREATER_EQUAL"), [(3, 5), (1, 5)], low=-2, high=3)
    path = write_model(data, tmp_path)
    g = read(data, "m")
    specs = [(g.tensor(t).shape, np.int8) for t in g.inputs]      # the graph's input order
    assert_c_contract(path, random_inputs(specs, np.random.default_rng(0)), tmp_path)


def test_comparison_scale_of_one_is_refused(tmp_path):
    msg = quant_error(_pairs_model(), "LESS", lambda op: {op.inputs[1]: (1.0, 0)}, tmp_path)
    assert "input 2 scale 1 must lie in (0, 1)" in msg, msg
