"""The C contract of a compiled model, for op tests: strict warning-free builds with gcc, clang
and arm-none-eabi-gcc, and runs under AddressSanitizer + UndefinedBehaviorSanitizer with the
guarded-arena harness of tests/test_sanitizers.py (`sanitized_run` returns the outputs; the
caller compares them with BUILTIN_REF)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.test_sanitizers import SAN_ENV, SANITIZE, build

STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
COMPILERS = {"gcc": [], "clang": [], "arm-none-eabi-gcc": ["-mcpu=cortex-m4", "-mthumb"]}


def strict_builds(model: Path, work: Path) -> None:
    """Every .c file compiles with -Werror under each compiler (missing ones fail the test)."""
    from tinycc_ml.compiler import Options, compile_file, write
    write(compile_file(model, Options(name="m")), work / "src")
    for cc, flags in COMPILERS.items():
        if shutil.which(cc) is None:
            pytest.fail(f"{cc} is not installed (.ci/run installs it)")
        for c in sorted((work / "src").glob("*.c")):
            subprocess.run([cc, *STRICT, *flags, "-O2", "-c", str(c), "-o",
                            str(work / f"{cc}_{c.stem}.o")], check=True)


def sanitized_run(model: Path, inputs: list[np.ndarray], work: Path) -> list[np.ndarray]:
    """The outputs of the generated C on `inputs`, built with ASan + UBSan into the guarded,
    garbage-filled arena harness (any report, or a guard overwritten, fails the test)."""
    from tinycc_ml.ir import DTYPES
    exe, compiled = build(model, work, ["-O1", "-g", "-DFILL_ARENA", *SANITIZE])
    g = compiled.graph
    stdin = b"".join(np.ascontiguousarray(np.asarray(x).astype(DTYPES[g.tensor(t).dtype][0]))
                     .tobytes() for t, x in zip(g.inputs, inputs))
    proc = subprocess.run([str(exe)], input=stdin, capture_output=True, timeout=600,
                          env=dict(os.environ, **SAN_ENV))
    assert proc.returncode == 0, (f"exit {proc.returncode}\n"
                                  + proc.stderr.decode(errors="replace")[-4000:])
    outputs, at = [], 0
    for t in g.outputs:
        tensor = g.tensor(t)
        dt = DTYPES[tensor.dtype][0]
        outputs.append(np.frombuffer(proc.stdout[at:at + tensor.nbytes], dt).reshape(tensor.shape))
        at += tensor.nbytes
    assert at == len(proc.stdout), "the harness wrote more than the outputs"
    return outputs


def assert_c_contract(model: Path, inputs: list[np.ndarray], work: Path, want=None) -> None:
    """strict_builds, then sanitized_run on `inputs`: every output equals `want` (default: the
    outputs of TFLite BUILTIN_REF on the same inputs)."""
    from tinycc_ml.reference import TFLiteReference
    strict_builds(model, work / "strict")
    want = TFLiteReference(model).run(inputs) if want is None else want
    got = sanitized_run(model, inputs, work / "asan")
    assert len(got) == len(want)
    for g_out, w_out in zip(got, want):
        np.testing.assert_array_equal(g_out.reshape(-1), np.asarray(w_out).reshape(-1))


def compile_error(data: bytes, work: Path, starts: str = "bad.tflite: op 0 (") -> str:
    """The one-line CompileError message of compiling `data` (as bad.tflite in `work`)."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.errors import CompileError
    path = Path(work) / "bad.tflite"
    path.write_bytes(data)
    with pytest.raises(CompileError) as e:
        compile_file(path, Options(name="m"))
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(starts), msg
    return msg


def quant_error(data: bytes, kind: str, quants, work: Path) -> str:
    """compile_error of `data` with the quantization of some tensors of its first `kind` op
    replaced (`quants(op)` gives {tensor index: (scale, zero point)}); the line names that op."""
    from tests.ops._props import op_of
    from tests.ops._tflite_edit import set_quants
    op = op_of(data, kind)
    return compile_error(set_quants(data, quants(op)), work,
                         starts=f"bad.tflite: op {op.index} ({kind}")
