"""TFLite's own sparse tensors: the converter's EXPERIMENTAL_SPARSITY writes pruned weights in
its sparse format (SparsityParameters: traversal order, block map, DENSE / SPARSE_CSR levels)
followed by DENSIFY ops. The frontend densifies them at load (frontends/tflite.py `_densify`)
and drops the DENSIFY ops; the compiled model is bit-exact with BUILTIN_REF, which runs the
sparse file as it is."""

from __future__ import annotations

import numpy as np
import pytest
import tflite

from tests.util import assert_bitexact, quantize, tf, write_model


def _pruned_converted(build, shape, seed: int = 0) -> bytes:
    t = tf()
    t.keras.utils.set_random_seed(seed)
    model = build(t.keras)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            w = weights[0]
            w[rng.random(w.shape) < 0.85] = 0
            layer.set_weights([w] + weights[1:])

    def rep():
        for _ in range(16):
            yield [rng.uniform(-1, 1, (1,) + shape).astype(np.float32)]
    return quantize(model, rep, sparsity=True)


def _dense(k):
    x = k.Input((64,))
    return k.Model(x, k.layers.Dense(16)(k.layers.Dense(32, activation="relu")(x)))


def _conv(k):
    x = k.Input((8, 8, 16))
    y = k.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    return k.Model(x, k.layers.Conv2D(16, 1)(y))


@pytest.mark.parametrize("build,shape", [(_dense, (64,)), (_conv, (8, 8, 16))],
                         ids=["dense", "conv"])
def test_converter_sparse_tensors_read(build, shape, tmp_path):
    from tinycc_ml.frontends import load
    data = _pruned_converted(build, shape)
    m = tflite.Model.GetRootAs(data, 0)
    sg = m.Subgraphs(0)
    sparse = [i for i in range(sg.TensorsLength()) if sg.Tensors(i).Sparsity() is not None]
    assert sparse, "the converter wrote no sparse tensor"
    path = write_model(data, tmp_path)
    g = load(path)
    assert "DENSIFY" not in {op.kind for op in g.ops}
    weights = [g.tensor(op.inputs[1]) for op in g.ops if op.kind in ("CONV_2D",
                                                                     "FULLY_CONNECTED")]
    assert weights and all(w.is_const for w in weights)
    assert max(float(np.mean(w.data == 0)) for w in weights) > 0.8
    assert_bitexact(path, n=8)
