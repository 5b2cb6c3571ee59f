"""The generated C as a contract: files, header API, strict builds, two models in one program."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tinycc_ml.cli import main
from tests.util import assert_bitexact, compile_and_build

STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def _compile(model: Path, out: Path, *extra: str) -> None:
    assert main(["compile", str(model), "-o", str(out), "-q", *extra]) == 0


@pytest.fixture(scope="module")
def ad(shared_models):
    return shared_models / "ad_autoencoder_int8.tflite"


@pytest.mark.parametrize("cc", ["gcc", "clang", "arm-none-eabi-gcc"])
def test_strict_build(cc, ad, tmp_path):
    if shutil.which(cc) is None:
        pytest.fail(f"{cc} is not installed (.ci/run installs it)")
    _compile(ad, tmp_path / "out", "--name", "ad")
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    # tcm_ort.h (and its tcm_window.h): the requantization step of the onnxruntime form, which
    # tcm_fc.c's DSP loop also serves (compiled out unless TCM_WITH_ORT)
    assert files == ["CMakeLists.txt", "ad.c", "ad.files", "ad.h", "ad.mk", "tcm_dsp.h", "tcm_fc.c",
                     "tcm_fc.h", "tcm_math.h", "tcm_names.h", "tcm_ort.h", "tcm_requant_dsp.h",
                     "tcm_window.h"]
    flags = ["-mcpu=cortex-m4", "-mthumb"] if cc.startswith("arm") else []
    for c in sorted((tmp_path / "out").glob("*.c")):
        subprocess.run([cc, *STRICT, *flags, "-O2", "-c", str(c), "-o", str(tmp_path / (c.stem + ".o"))],
                       check=True)


def test_header_api(ad, tmp_path):
    _compile(ad, tmp_path / "o", "--name", "kws_like")
    h = (tmp_path / "o" / "kws_like.h").read_text()
    assert "int kws_like_invoke(const int8_t *input_1, int8_t *output0);" in h
    for macro in ("ARENA_BYTES", "INPUT0_SIZE 640u", "INPUT0_SHAPE { 1, 640 }", "INPUT0_SCALE",
                  "INPUT0_ZERO_POINT 89", "OUTPUT0_SIZE 640u", "OUTPUT0_ZERO_POINT 96"):
        assert f"#define KWS_LIKE_{macro}" in h, macro
    assert "sha256 87cf24194ef93d1d" in h and "ad_autoencoder_int8.tflite" in h
    assert str(tmp_path) not in h and str(ad.parent) not in h  # no absolute paths


def test_two_models_link_into_one_program(ad, tmp_path):
    """--name prefixes every global symbol, the runtime's too (tcm_names.h): two separately
    compiled outputs, each with its own runtime copy, link into one program."""
    _compile(ad, tmp_path / "a", "--name", "first")
    _compile(ad, tmp_path / "b", "--name", "second", "--target", "cortex-m4")  # other kernels
    main_c = tmp_path / "main.c"
    main_c.write_text(
        '#include <stdio.h>\n#include "first.h"\n#include "second.h"\n'
        "int main(void) {\n  static int8_t x[FIRST_INPUT0_SIZE], y1[FIRST_OUTPUT0_SIZE], "
        "y2[SECOND_OUTPUT0_SIZE];\n  unsigned i;\n  for (i = 0; i < FIRST_INPUT0_SIZE; ++i) "
        "x[i] = (int8_t)(i * 7);\n  if (first_invoke(x, y1) || second_invoke(x, y2)) return 1;\n"
        "  for (i = 0; i < FIRST_OUTPUT0_SIZE; ++i) printf(\"%d\\n\", y1[i] - y2[i]);\n  return 0;\n}\n")
    srcs = sorted((tmp_path / "a").glob("*.c")) + sorted((tmp_path / "b").glob("*.c")) + [main_c]
    exe = tmp_path / "both"
    subprocess.run(["gcc", *STRICT, "-O2", "-I", str(tmp_path / "a"), "-I", str(tmp_path / "b"),
                    *map(str, srcs), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()
    assert len(out) == 640 and set(out) == {"0"}
    for folder, prefix in (("a", "first_"), ("b", "second_")):
        for c in sorted((tmp_path / folder).glob("*.c")):
            obj = tmp_path / f"{folder}_{c.stem}.o"
            subprocess.run(["gcc", "-std=c99", "-c", str(c), "-o", str(obj)], check=True)
            nm = subprocess.run(["nm", "--defined-only", "-g", str(obj)], capture_output=True,
                                text=True, check=True).stdout
            symbols = [line.split()[-1] for line in nm.splitlines() if line.strip() and " " in line]
            assert symbols and all(s.startswith(prefix) for s in symbols), (c, symbols)


def test_caller_arena_bitexact(ad):
    host = compile_and_build(ad, caller_arena=True)
    assert_bitexact(ad, n=5, host=host)


def test_compile_summary(ad, tmp_path, capsys):
    assert main(["compile", str(ad), "-o", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"10 ops, 0\.26 M MACs, \d+ bytes of constants", out)
    arena = int(re.search(r"#define MODEL_ARENA_BYTES (\d+)u",
                          (tmp_path / "o" / "model.h").read_text()).group(1))
    assert f"arena {arena} bytes" in out


def test_ops_lists_registry(capsys):
    assert main(["ops"]) == 0
    kinds = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "FULLY_CONNECTED" in kinds and kinds == sorted(kinds)


def test_quantize_helpers_are_exported(ad, tmp_path):
    _compile(ad, tmp_path / "o", "--name", "ad")
    h = (tmp_path / "o" / "ad.h").read_text()
    assert "int8_t ad_quantize_input0(float x);" in h
    assert "float ad_dequantize_output0(int8_t q);" in h
