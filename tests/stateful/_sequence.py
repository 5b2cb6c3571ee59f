"""Sequences on stateful models: the generated C and TFLite BUILTIN_REF run the same inputs one
after another, neither reset, compared at every step; then both reset (NAME_reset() and the
interpreter's reset_all_variables()) and the sequence is run again, which must give the same
outputs as the first time. With `varies` (the default) the outputs must change from one step
to another, so that a test cannot pass without the state mattering."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.util import compile_and_build
from tinycc_ml.reference import TFLiteReference, random_inputs


def assert_sequence_bitexact(model: Path, steps: int = 8, seed: int = 0, varies: bool = True,
                             **opts) -> list:
    host = compile_and_build(model, **opts)
    assert host.compiled.plan.state_bytes > 0, "the model has no state"
    ref = TFLiteReference(model)
    rng = np.random.default_rng(seed)
    xs = [random_inputs(host.in_specs, rng) for _ in range(steps)]
    runs = []
    for attempt in range(2):
        outs = []
        for i, x in enumerate(xs):
            want, got = ref.run(x), host.run(x)
            for k, (a, b) in enumerate(zip(got, want)):
                np.testing.assert_array_equal(a, b.reshape(a.shape),
                                              err_msg=f"{model.name}: run {attempt}, step {i}, "
                                                      f"output {k}")
            outs.append(got)
        runs.append(outs)
        host.reset()
        ref.it.reset_all_variables()
    steps_differ = any(not np.array_equal(a[0], b[0]) for a, b in zip(runs[0], runs[0][1:]))
    assert steps_differ or not varies, "every step gave the same output: the test would not " \
                                       "see the state"
    return runs[0]


def assert_sequence_c_contract(model: Path, work: Path, steps: int = 6) -> None:
    """Warning-free strict builds (gcc, clang, arm-none-eabi-gcc), then the sanitizer harness
    (ASan + UBSan, guarded caller's arena filled with garbage before each step except the
    state) over `steps` inputs as one sequence, and with the static state, each step equal to
    BUILTIN_REF."""
    from tests.ops._c_contract import strict_builds
    from tests.test_sanitizers import SAN_ENV, SANITIZE, build, run_and_compare
    strict_builds(model, work / "strict")
    for caller in (True, False):
        exe, compiled = build(model, work / f"asan_{caller}", ["-O1", "-g", "-DFILL_ARENA",
                                                               *SANITIZE], caller_arena=caller)
        run_and_compare(exe, compiled, model, steps, 0, env=SAN_ENV)
