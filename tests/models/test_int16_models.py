"""16x8 models built the way users build them (tests/models/x16_blocks.py: an audio denoiser
block with TRANSPOSE_CONV, a MobileNetV2 inverted-residual block with its classifier head),
bit-exact with TFLite BUILTIN_REF on the host (generic and host targets), on Cortex-M4 and
Cortex-M55 under QEMU, and warning-free under the strict flags."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.models import x16_blocks
from tests.ops._c_contract import strict_builds
from tests.util import assert_bitexact, write_model

MODELS = {"denoiser": x16_blocks.denoiser, "mobilenet_v2_block": x16_blocks.mobilenet_v2_block}


@functools.lru_cache(maxsize=None)
def _model(name: str) -> bytes:
    return MODELS[name]()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_int16_model_on_host(name, tmp_path):
    from tinycc_ml.frontends.tflite import read
    data = _model(name)
    g = read(data, "m")
    assert g.tensor(g.inputs[0]).dtype == "int16"
    kinds = {op.kind for op in g.ops}
    assert ("TRANSPOSE_CONV" in kinds) if name == "denoiser" else \
        {"DEPTHWISE_CONV_2D", "MEAN", "FULLY_CONNECTED"} <= kinds
    path = write_model(data, tmp_path)
    assert_bitexact(path, n=8)
    assert_bitexact(path, n=4, target="host")
    strict_builds(path, tmp_path / "strict")


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_int16_model_on_qemu(name, core, tmp_path):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.reference import TFLiteReference, random_inputs
    path = write_model(_model(name), tmp_path)
    c = compile_file(path, Options(name="m", target=core))
    g = c.graph
    rng = np.random.default_rng(11)
    specs = [(g.tensor(t).shape, np.int16) for t in g.inputs]
    inputs = [random_inputs(specs, rng) for _ in range(3)]
    run = build_and_run(c, inputs, core, work=tmp_path / "run")
    ref = TFLiteReference(path)
    for xs, got in zip(inputs, run.outputs):
        for a, b in zip(got, ref.run(xs)):
            np.testing.assert_array_equal(a, b.reshape(a.shape))
    assert len(run.instructions) == 3 and min(run.instructions) > 0
    print(f"{name} {core}: {run.instructions[0]} instructions, arena {c.plan.arena_bytes} B")
