"""FILL of a constant shape, folded at compile time (passes/fold.py), and the Keras recurrent
layers it comes from: an unrolled LSTM and GRU (their zero initial state is FILL of a shape the
model computes; their time steps UNPACK, SPLIT, FULLY_CONNECTED, LOGISTIC, TANH, MUL, ADD),
compiled and compared with TFLite BUILTIN_REF; hypothesis over units, time steps and input
width; the C contract."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract
from tests.ops._props import MODELS, assert_model_bitexact
from tests.util import int8_tflite, keras, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.passes.fold import fold

RNN = {"LSTM": lambda k, u: k.layers.LSTM(u, unroll=True),
       "GRU": lambda k, u: k.layers.GRU(u, unroll=True)}


def _model(cell: str, steps: int, width: int, units: int, sequences: bool = False) -> bytes:
    def build():
        k = keras()
        inp = k.Input((steps, width))
        layer = RNN[cell](k, units)
        if sequences:
            layer.return_sequences = True
        x = layer(inp)
        return k.Model(inp, k.layers.Dense(3)(k.layers.Flatten()(x) if sequences else x))
    return int8_tflite(build, [(steps, width)])


def test_fill_folds_to_its_value():
    """The FILL leaves the graph; its output is a constant of the value's raw int8 everywhere."""
    g = read(_model("LSTM", 3, 2, 4), "m")
    fill = next(op for op in g.ops if op.kind == "FILL")
    value = g.tensor(fill.inputs[1]).data
    folded = fold(g)
    assert "FILL" not in [op.kind for op in folded.ops]
    out = folded.tensor(fill.outputs[0])
    assert out.is_const and out.shape == (1, 4) and np.all(out.data == value.reshape(()))
    assert out.qparams() == g.tensor(fill.outputs[0]).qparams()


@MODELS
@given(cell=st.sampled_from(sorted(RNN)), steps=st.integers(1, 6), width=st.integers(1, 5),
       units=st.integers(1, 8), sequences=st.booleans())
def test_unrolled_rnn_bitexact(cell, steps, width, units, sequences):
    data = _model(cell, steps, width, units, sequences)
    kinds = ["FILL"] + (["UNPACK"] if steps > 1 else [])
    assert_model_bitexact(data, kinds, n=6)


def test_rnn_c_contract(tmp_path):
    path = write_model(_model("GRU", 5, 4, 8, True), tmp_path)
    x = np.random.default_rng(0).integers(-128, 128, (1, 5, 4), dtype=np.int8)
    assert_c_contract(path, [x], tmp_path)
