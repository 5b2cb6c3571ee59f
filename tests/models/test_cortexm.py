"""The generated C of the shared models on Cortex-M4 and Cortex-M55 under QEMU: bit-exact
with TFLite BUILTIN_REF, and warning-free under arm-none-eabi-gcc's strict flags."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.util import SHARED


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("model", SHARED)
def test_shared_model_on_qemu(model, core, shared_models, tmp_path):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.reference import TFLiteReference, random_inputs
    path = shared_models / f"{model}.tflite"
    c = compile_file(path, Options(name="m", target=core))
    g = c.graph
    rng = np.random.default_rng(3)
    specs = [(g.tensor(t).shape, np.int8) for t in g.inputs]
    inputs = [random_inputs(specs, rng) for _ in range(3)]
    run = build_and_run(c, inputs, core, work=tmp_path)
    ref = TFLiteReference(path)
    for xs, got in zip(inputs, run.outputs):
        want = ref.run(xs)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b.reshape(a.shape))
    assert len(run.instructions) == 3 and len(set(run.instructions)) >= 1
    assert all(n > 0 for n in run.instructions)


@pytest.mark.parametrize("model", SHARED)
def test_strict_arm_build(model, shared_models, tmp_path):
    from tinycc_ml.cli import main
    assert main(["compile", str(shared_models / f"{model}.tflite"), "-o", str(tmp_path / "o"),
                 "--target", "cortex-m4", "-q"]) == 0
    for c in sorted((tmp_path / "o").glob("*.c")):
        subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                        "-mfpu=fpv4-sp-d16", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                        "-O2", "-c", str(c), "-o", str(tmp_path / (c.stem + ".o"))], check=True)
