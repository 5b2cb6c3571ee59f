"""What each --target's output contains: x86 SIMD code only in `--target host` outputs.

The portable kernels (--target generic) and the Cortex-M ones ship to firmware; the blocked host
kernels with their AVX2/VNNI paths live in runtime_c/*_host.* and only host outputs get them."""

from __future__ import annotations

import re

import pytest

from tests.util import SHARED
from tinycc_ml._paths import runtime_dir
from tinycc_ml.compiler import Options, compile_file

X86 = re.compile(r"__AVX|__SSE|immintrin|__m256|__m128|_mm256_|_mm_|VNNI|dpbusd|__x86")


def _emitted(model, target: str) -> dict[str, str]:
    """Every file the compiler writes for the model: its own and the runtime files copied."""
    c = compile_file(model, Options(name="m", target=target))
    return {**c.files, **{f: (runtime_dir() / f).read_text() for f in c.runtime_files}}


def _x86_lines(files: dict) -> list[str]:
    return [f"{name}: {line.strip()}" for name, text in sorted(files.items())
            for line in text.splitlines() if X86.search(line)]


@pytest.mark.parametrize("target", ["generic", "cortex-m4", "cortex-m7", "cortex-m33",
                                    "cortex-m55"])
@pytest.mark.parametrize("model", SHARED)
def test_no_x86_code_outside_host(model, target, shared_models):
    files = _emitted(shared_models / f"{model}.tflite", target)
    assert not any("_host" in name for name in files), sorted(files)
    assert _x86_lines(files) == []


@pytest.mark.parametrize("model", SHARED)
def test_host_output_has_the_vector_paths(model, shared_models):
    """The check above can fail: the same search finds the intrinsics in host outputs."""
    files = _emitted(shared_models / f"{model}.tflite", "host")
    assert any(name.endswith("_host.c") for name in files), sorted(files)
    assert any("immintrin" in line for line in _x86_lines(files))
