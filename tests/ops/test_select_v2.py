"""SELECT_V2 int8 (ops/select_v2.py, runtime_c/tcm_select.c) against TFLite BUILTIN_REF:
keras.ops.where(comparison, x, y) models, hypothesis over shapes, which operands broadcast
(condition, x, y of different shapes) and constant operands; the C contract; LESS + SELECT_V2
on Cortex-M4 and M55 under QEMU."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract
from tests.ops._props import assert_model_bitexact, assert_qemu_bitexact
from tests.util import int8_tflite, keras, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.reference import random_inputs

FEW = settings(max_examples=10, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _where(shape_a, shape_b, form: str):
    """where(a < b, x, y): x, y from a and b, or constants."""
    def build():
        k = keras()
        a, b = k.Input(shape_a), k.Input(shape_b)
        cond = k.ops.less(a, b)
        x, y = {"inputs": (a, b), "const_y": (a, 0.25),
                "consts": (1.0, -0.5)}[form]
        return k.Model([a, b], k.ops.where(cond, x, y))
    return build


@FEW
@given(h=st.integers(1, 4), w=st.integers(1, 5),
       broadcast=st.sampled_from(["none", "row", "column"]),
       form=st.sampled_from(["inputs", "const_y", "consts"]))
def test_select_v2_where(h, w, broadcast, form):
    shape_b = {"none": (h, w), "row": (1, w), "column": (h, 1)}[broadcast]
    data = int8_tflite(_where((h, w), shape_b, form), [(h, w), shape_b])
    assert_model_bitexact(data, ["SELECT_V2"], n=8)


def _c_model() -> bytes:
    return int8_tflite(_where((3, 1, 4), (1, 5, 4), "inputs"), [(3, 1, 4), (1, 5, 4)])


def test_select_v2_c_contract(tmp_path):
    data = _c_model()
    path = write_model(data, tmp_path)
    g = read(data, "m")
    specs = [(g.tensor(t).shape, np.int8) for t in g.inputs]
    assert_c_contract(path, random_inputs(specs, np.random.default_rng(0)), tmp_path)


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
def test_where_less_on_qemu(core):
    assert_qemu_bitexact(_c_model(), core)
