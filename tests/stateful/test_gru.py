"""A GRU keyword spotter (Keras GRU, unroll=True: UNPACK, FULLY_CONNECTED, SPLIT, LOGISTIC,
TANH, MUL, ADD, SUB and the FILL of its zero initial state) converted by the TFLite converter,
both from Keras 3 and from tf_keras, bit-exact with BUILTIN_REF over a sequence of inputs.
The converter may leave a DEQUANTIZE -> float SPLIT -> QUANTIZE island in each cell, which
passes/float_island.py makes an int8 SPLIT; per-layer checks pass at every input."""

from __future__ import annotations

import pytest

from tests.stateful import _build
from tests.util import assert_bitexact, int8_tflite, keras, write_model
from tinycc_ml.compiler import Options, compile_file
from tinycc_ml.frontends.tflite import read


def _gru_kws(which: str) -> bytes:
    def layers(k):
        x = k.Input((8, 10), batch_size=1)
        h = k.layers.GRU(12, unroll=True)(x)
        return k.Model(x, k.layers.Dense(4, activation="softmax")(h))
    if which == "tf_keras":
        return _build.keras2_int8(layers, (1, 8, 10))
    return int8_tflite(lambda: layers(keras()), [(8, 10)])


@pytest.mark.parametrize("which", ["keras3", "tf_keras"])
def test_gru_keyword_spotter(tmp_path, which):
    data = _gru_kws(which)
    kinds = {op.kind for op in read(data, "m").ops}
    assert {"UNPACK", "FULLY_CONNECTED", "LOGISTIC", "TANH"} <= kinds, kinds
    path = write_model(data, tmp_path)
    compiled = compile_file(path, Options(name="m"))
    assert "DEQUANTIZE" not in {op.kind for op in compiled.graph.ops}
    assert_bitexact(path, n=8)
