"""SVDF int8 (int16 state, ops/svdf.py) against TFLite BUILTIN_REF over sequences without reset:
hypothesis over shapes, rank, memory, batch, bias and quantization; the C contract; a streaming
keyword spotter of two SVDF layers; the refusals TFLite's Prepare/Eval make."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._props import MODELS
from tests.stateful import _build
from tests.stateful._sequence import assert_sequence_bitexact, assert_sequence_c_contract
from tests.util import write_model


@MODELS
@given(n_input=st.integers(1, 12), units=st.integers(1, 5), rank=st.integers(1, 3),
       memory=st.integers(1, 6), batch=st.integers(1, 2), bias=st.booleans(),
       in_zp=st.integers(-128, 127), out_zp=st.integers(-128, 127),
       state_scale=st.sampled_from([0.001, 0.004, 0.02]),
       out_scale=st.sampled_from([0.005, 0.02, 0.1]), seed=st.integers(0, 99))
def test_svdf_sequences(tmp_path_factory, n_input, units, rank, memory, batch, bias, in_zp,
                        out_zp, state_scale, out_scale, seed):
    data = _build.svdf(np.random.default_rng(seed), n_input=n_input, n_filter=units * rank,
                       rank=rank, memory=memory, batch=batch, bias=bias, in_zp=in_zp,
                       out_zp=out_zp, state_scale=state_scale, out_scale=out_scale)
    path = write_model(data, tmp_path_factory.mktemp("svdf"))
    assert_sequence_bitexact(path, steps=memory + 4, seed=seed)


def test_svdf_caller_arena(tmp_path):
    path = write_model(_build.svdf(np.random.default_rng(1)), tmp_path)
    assert_sequence_bitexact(path, steps=8, caller_arena=True)


def test_svdf_c_contract(tmp_path):
    path = write_model(_build.svdf(np.random.default_rng(2), n_input=10, n_filter=8, rank=2,
                                   memory=5, batch=2), tmp_path)
    assert_sequence_c_contract(path, tmp_path, steps=8)


def test_svdf_keyword_spotter(tmp_path):
    """Two SVDF layers, a FULLY_CONNECTED and a SOFTMAX, one frame per call over 24 frames."""
    path = write_model(_build.svdf_kws(np.random.default_rng(5)), tmp_path)
    assert_sequence_bitexact(path, steps=24)
