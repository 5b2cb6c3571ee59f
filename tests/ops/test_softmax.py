"""SOFTMAX int8 against TFLite BUILTIN_REF: row lengths, batches, betas, edge inputs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.util import assert_bitexact, compile_and_build, int8_tflite, keras, write_model


def _dense_softmax(n_in, n_out, scale=1.0):
    def build():
        k = keras()
        inp = k.Input((n_in,))
        x = k.layers.Dense(n_out, bias_initializer="random_normal")(inp)
        if scale != 1.0:
            x = k.layers.Rescaling(scale)(x)
        return k.Model(inp, k.layers.Softmax()(x))
    return build


# (A 16 -> 1000 Dense + Softmax model makes TFLite 2.21's BUILTIN_REF interpreter abort, so the
# longest row checked against it is 500.)
@pytest.mark.parametrize("n_in,n_out,scale", [(8, 1, 1.0), (8, 2, 1.0), (16, 10, 1.0),
                                              (64, 12, 1.0), (32, 100, 3.0), (16, 500, 1.0),
                                              (16, 10, 0.05), (16, 10, 20.0)],
                         ids=["len1", "len2", "len10", "len12_kws", "len100_x3", "len500",
                              "len10_flat", "len10_sharp"])
def test_softmax_bitexact(n_in, n_out, scale, tmp_path):
    path = write_model(int8_tflite(_dense_softmax(n_in, n_out, scale), [(n_in,)], seed=n_out),
                       tmp_path)
    assert_bitexact(path, n=40, seed=n_out)


def test_softmax_rows_and_edge_inputs(tmp_path):
    """Several rows; inputs all equal, one spike, all -128 (where a bit slips first)."""
    def build():
        k = keras()
        inp = k.Input((21,))
        x = k.layers.Reshape((3, 7))(k.layers.Dense(21)(inp))
        return k.Model(inp, k.layers.Softmax()(x))
    path = write_model(int8_tflite(build, [(21,)]), tmp_path)
    host = compile_and_build(path)
    from tinycc_ml.reference import TFLiteReference
    ref = TFLiteReference(path)
    shape = host.in_specs[0][0]
    cases = [np.full(shape, v, np.int8) for v in (-128, 0, 127)]
    spike = np.full(shape, -128, np.int8)
    spike.reshape(-1)[3] = 127
    cases.append(spike)
    for x in cases:
        np.testing.assert_array_equal(host.run([x])[0], ref.run([x])[0].reshape(host.out_specs[0][0]))
