"""Property-based op tests on converted models: hypothesis draws shapes, quantization and
attributes, a Keras model is built and converted to int8 (tests/util.py int8_tflite), optionally
edited (tests/ops/_tflite_edit.py), and the generated C must equal TFLite BUILTIN_REF exactly.

Each drawn model costs a conversion (~1-2 s), so the example counts are small and the runs
derandomized (the same examples every run; a failure prints the drawn values)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

from tests.util import assert_bitexact, write_model
from tinycc_ml.frontends.tflite import read

MODELS = settings(max_examples=16, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def op_index(data: bytes, kind: str) -> int:
    """The index in the file of the first op of `kind` (for set_option and friends)."""
    return next(op.index for op in read(data, "m").ops if op.kind == kind)


def op_of(data: bytes, kind: str):
    """The first op of `kind` as read from the file (its tensor names, for set_quant)."""
    return next(op for op in read(data, "m").ops if op.kind == kind)


def assert_model_bitexact(data: bytes, kinds=(), n: int = 8, seed: int = 0, **opts) -> Path:
    """`data` contains every op of `kinds`; the generated C (compiled with Options `opts`, e.g.
    target=) equals BUILTIN_REF on n inputs."""
    present = {op.kind for op in read(data, "m").ops}
    assert set(kinds) <= present, f"the model has {sorted(present)}, not all of {sorted(kinds)}"
    path = write_model(data, Path(tempfile.mkdtemp(prefix="tcm-prop-")))
    assert_bitexact(path, n=n, seed=seed, **opts)
    return path


def assert_qemu_bitexact(data: bytes, core: str, n: int = 3, seed: int = 0) -> list[int]:
    """`data` compiled for `core` (a QEMU board, tinycc_ml/cortexm) equals BUILTIN_REF on n
    random inputs; returns the instructions per inference."""
    import numpy as np
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.ir import DTYPES
    from tinycc_ml.reference import TFLiteReference, random_inputs
    work = Path(tempfile.mkdtemp(prefix="tcm-qemu-"))
    path = write_model(data, work)
    c = compile_file(path, Options(name="m", target=core))
    g = c.graph
    specs = [(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0]) for t in g.inputs]
    rng = np.random.default_rng(seed)
    inputs = [random_inputs(specs, rng) for _ in range(n)]
    run = build_and_run(c, inputs, core, work=work / "run")
    ref = TFLiteReference(path)
    for xs, got in zip(inputs, run.outputs):
        for a, b in zip(got, ref.run(xs)):
            np.testing.assert_array_equal(a, b.reshape(a.shape))
    assert len(run.instructions) == n and min(run.instructions) > 0
    return run.instructions
