"""The four shared models magnitude-pruned in their buffers (tests/prune.py: 50%, 75%, 90% of
the weights, 50% of whole filters), compiled with --sparsity auto: bit-exact with TFLite
BUILTIN_REF on the host (generic target: the portable sparse kernels wherever the cost model
takes them, which every level but 50% does) and on a few inputs under QEMU on Cortex-M4 and
Cortex-M55. benchmarks/sparsity.py measures what they save."""

from __future__ import annotations

import numpy as np
import pytest

from tests.prune import prune
from tests.util import SHARED, assert_bitexact, write_model

LEVELS = {"50": (0.5, False), "75": (0.75, False), "90": (0.9, False), "50f": (0.5, True)}


def _pruned(shared_models, model: str, level: str, tmp_path):
    frac, whole = LEVELS[level]
    data = prune((shared_models / f"{model}.tflite").read_bytes(), frac, whole)
    return write_model(data, tmp_path, f"{model}_{level}.tflite")


def _sparse_layers(path, target: str) -> int:
    from tinycc_ml.compiler import Options, compile_file
    c = compile_file(path, Options(name="m", target=target, sparsity="auto"))
    return sum(1 for x in c.layers if (x.kernel or "").endswith("_sparse") or
               x.kind == "EXPAND_CHANNELS")


@pytest.mark.parametrize("level", sorted(LEVELS))
@pytest.mark.parametrize("model", SHARED)
def test_pruned_model_host(model, level, shared_models, tmp_path):
    path = _pruned(shared_models, model, level, tmp_path)
    # ad at 75% on the generic target: the cost model keeps its FC layers dense (the DSP
    # cores take the sparse FC there: test_sparse_fc_on_qemu, benchmarks/sparsity.py)
    if level != "50" and (model, level) != ("ad_autoencoder_int8", "75"):
        assert _sparse_layers(path, "generic") > 0
    assert_bitexact(path, n=3, seed=7, target="generic", sparsity="auto")


# (model, level, core, force): force lifts the cost model's work bound, so that the sparse
# kernels run on a core where they do not pay (Helium: the dense kernels are faster there)
QEMU = [("kws_ds_cnn_int8", "90", "cortex-m4", False),
        ("vww_mobilenet_int8", "75", "cortex-m4", False),
        ("ic_resnet8_int8", "50f", "cortex-m4", False),
        ("ad_autoencoder_int8", "90", "cortex-m4", False),
        ("ad_autoencoder_int8", "75", "cortex-m4", False),
        ("kws_ds_cnn_int8", "90", "cortex-m4", True),
        ("ic_resnet8_int8", "50f", "cortex-m55", False),
        ("ad_autoencoder_int8", "50f", "cortex-m55", False),
        ("kws_ds_cnn_int8", "90", "cortex-m55", True)]


@pytest.mark.parametrize("model,level,core,force", QEMU)
def test_pruned_model_qemu(model, level, core, force, shared_models, tmp_path, monkeypatch):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.ops import _sparse
    from tinycc_ml.reference import TFLiteReference, random_inputs
    if force:
        monkeypatch.setattr(_sparse, "WORK_GAIN", 1e9)
    path = _pruned(shared_models, model, level, tmp_path)
    assert _sparse_layers(path, core) > 0
    c = compile_file(path, Options(name="m", target=core, sparsity="auto"))
    g = c.graph
    rng = np.random.default_rng(5)
    inputs = [random_inputs([(g.tensor(t).shape, np.int8) for t in g.inputs], rng)
              for _ in range(2)]
    run = build_and_run(c, inputs, core, work=tmp_path / "build")
    ref = TFLiteReference(path)
    for xs, got in zip(inputs, run.outputs):
        for a, b in zip(got, ref.run(xs)):
            np.testing.assert_array_equal(a, b.reshape(a.shape))
