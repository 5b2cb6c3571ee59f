"""atheris fuzz target: the TFLite reader, then the whole compiler, on mutated model files.

    python tests/fuzz/fuzz_tflite.py CORPUS_DIR [libFuzzer flags]   (tests/fuzz/README.md)

The reader's backstop (frontends/tflite.py `BACKSTOP`) is off here: an exception that its
checks did not foresee is a crash to fix, not an error message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

with atheris.instrument_imports(include=["tinycc_ml", "tflite", "flatbuffers"]):
    import tinycc_ml.compiler  # noqa: F401
    import tinycc_ml.ops._all  # noqa: F401  (every op module, instrumented)
    from tinycc_ml.frontends import tflite

from tests.fuzz.harness import compile_or_reject, run_target  # noqa: E402

tflite.BACKSTOP = False


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris' name)
    compile_or_reject(tflite.read, data, "fuzz.tflite")


if __name__ == "__main__":
    run_target(TestOneInput)
