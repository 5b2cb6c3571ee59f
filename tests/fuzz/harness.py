"""Shared plumbing of the fuzz targets (one `fuzz_<format>.py` per frontend).

A target defines `TestOneInput(data)`: it feeds the bytes to its frontend and, when they parse,
to the whole compiler (checks, prepare, planner, emitter). A `CompileError` is the expected
outcome of bad input; anything else (an exception, a numpy warning, a hang past libFuzzer's
`-timeout`) is a crash, which libFuzzer saves as `crash-<sha1>` under `-artifact_prefix`.

Targets, and how the seed corpus of each is found, are listed in `TARGETS`; the pytest
wrapper (test_fuzz.py) runs each one for a bounded time. A second frontend (ONNX) adds a
`fuzz_onnx.py` calling `run_target` and one line to `TARGETS`.
"""

from __future__ import annotations

import os
import sys
import warnings
import zlib
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHARED_MODELS = REPO / "models" / "mlperf_tiny"   # the four MLPerf Tiny models, shipped

# target script -> file suffix of its seeds (taken from tests/fuzz/seeds and models/mlperf_tiny)
TARGETS = {"fuzz_tflite.py": ".tflite"}


def seed_files(suffix: str) -> list[Path]:
    """The committed small seeds (tests/fuzz/seeds), then the shipped MLPerf Tiny models."""
    own = sorted((HERE / "seeds").glob(f"*{suffix}"))
    shared = sorted(SHARED_MODELS.glob(f"*{suffix}")) if SHARED_MODELS.is_dir() else []
    return own + shared


# Each input is compiled with one of these, chosen by a checksum of the input (so a crash
# replays with the same options): the portable kernels, and the CMSIS-NN eligibility paths.
OPTION_SETS = (dict(), dict(target="cortex-m4", kernels="cmsis-nn"),
               dict(target="cortex-m55", kernels="cmsis-nn", caller_arena=True))


def compile_or_reject(read: Callable[[bytes, str], object], data: bytes, source: str) -> None:
    """Read `data` with a frontend, compile the graph; only CompileError may come out."""
    from tinycc_ml.compiler import Options, compile_graph
    from tinycc_ml.errors import CompileError
    options = Options(name="fuzz", **OPTION_SETS[zlib.crc32(data) % len(OPTION_SETS)])
    try:
        graph = read(data, source)
        compile_graph(graph, options)
    except CompileError as e:
        line = e.line()
        if "\n" in line or not line.startswith(source):
            raise AssertionError(f"malformed error line: {line!r}") from None


def run_target(test_one_input: Callable[[bytes], None]) -> None:
    """atheris' main loop with libFuzzer's own command line (see tests/fuzz/README.md)."""
    import atheris
    warnings.simplefilter("error")  # a numpy RuntimeWarning would be a second stderr line
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
