"""The generated C's layout: no line over calls.WIDTH (100) columns, every call with two or more
arguments one argument per line, on the four shared models for every target and for
--kernels cmsis-nn. Checked on every file the compiler writes for the output (the model's .c and
.h, tcm_names.h, CMakeLists.txt, the .mk and the manifest), not on the runtime files it copies
(hand-written)."""

from __future__ import annotations

import re

import pytest

from tests.util import SHARED
from tinycc_ml._paths import runtime_dir
from tinycc_ml.backends import output
from tinycc_ml.backends.calls import WIDTH
from tinycc_ml.compiler import Options, compile_file

BUILDS = [("generic", "portable"), ("host", "portable"), ("cortex-m4", "portable"),
          ("cortex-m55", "portable"), ("cortex-m0plus", "portable"), ("rv32imc", "portable"),
          ("cortex-m4", "cmsis-nn"), ("cortex-m55", "cmsis-nn")]

# a call statement with its arguments on its first line: `f(a, b` (a call ending in "(" has
# them below, one a line; one argument alone may stay: `f(x);`)
_SAME_LINE_ARGS = re.compile(r"\b(tcm_\w+|arm_\w+|memcpy|memset)\((?!\s*$)[^()]*,")


def _generated(model, target: str, kernels: str) -> dict[str, str]:
    c = compile_file(model, Options(name="m", target=target, kernels=kernels))
    files = output.render([c])
    return {name: text.decode() for name, text in files.items()
            if not (runtime_dir() / name).exists()}


@pytest.mark.parametrize("target,kernels", BUILDS)
@pytest.mark.parametrize("model", SHARED)
def test_no_generated_line_over_the_width(model, target, kernels, shared_models):
    files = _generated(shared_models / f"{model}.tflite", target, kernels)
    assert {"m.c", "m.h", "tcm_names.h", "CMakeLists.txt", "m.mk", "m.files"} <= set(files)
    long = [f"{name}:{k + 1}: {len(line)} columns" for name, text in sorted(files.items())
            for k, line in enumerate(text.splitlines()) if len(line) > WIDTH]
    assert long == []


@pytest.mark.parametrize("target,kernels", BUILDS)
def test_every_call_has_one_argument_per_line(target, kernels, shared_models):
    text = _generated(shared_models / "kws_ds_cnn_int8.tflite", target, kernels)["m.c"]
    body = text[text.index("int m_invoke("):]
    assert re.search(r"^\s+(if \()?(tcm_\w+|arm_\w+)\($", body, re.M)   # there are calls
    assert [ln for ln in body.splitlines()
            if _SAME_LINE_ARGS.search(ln) and not ln.lstrip().startswith("/*")] == []
