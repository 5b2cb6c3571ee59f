"""--max-arena and --max-flash: a model over a limit fails with one line, exit 2, no output.

The limits are exact: at the figure the compiler prints the compile succeeds, one byte below
it fails. The figures themselves are checked against the built object: the arena against the
`NAME_ARENA_BYTES` macro, the constants against the read-only data of the object file for
Cortex-M4.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.util import REPO
from tinycc_ml.cli import main
from tinycc_ml.compiler import Options, compile_file

DENSE = REPO / "tests" / "fuzz" / "seeds" / "dense.tflite"


@pytest.fixture(scope="module")
def figures():
    c = compile_file(DENSE, Options(name="m"))
    assert c.plan.arena_bytes > 0 and c.const_bytes > 0
    return c.plan.arena_bytes, c.const_bytes


def _run(tmp_path: Path, capsys, *limits: str):
    out = tmp_path / "out"
    rc = main(["compile", str(DENSE), "-o", str(out), "-q", "--name", "m", *limits])
    cap = capsys.readouterr()
    return rc, cap.err, out


@pytest.mark.parametrize("flag", ["--max-arena", "--max-flash"])
def test_limit_is_exact(flag, figures, tmp_path, capsys):
    need = figures[0] if flag == "--max-arena" else figures[1]
    rc, err, out = _run(tmp_path, capsys, flag, str(need))
    assert rc == 0 and err == "" and (out / "m.c").exists()
    shutil.rmtree(out)

    rc, err, out = _run(tmp_path, capsys, flag, str(need - 1))
    assert rc == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: dense.tflite: "), err
    what = "the arena needs" if flag == "--max-arena" else "the constants need"
    assert f"{what} {need} bytes" in lines[0] and f"1 more than {flag} {need - 1}" in lines[0]
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".tinycc-ml-*"))


def test_limit_failure_leaves_an_existing_folder_alone(figures, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    rc, err, _ = _run(tmp_path, capsys, "--max-arena", "0")
    assert rc == 2 and "--max-arena 0" in err
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


def test_both_limits_and_size_suffixes(figures, tmp_path, capsys):
    rc, err, out = _run(tmp_path, capsys, "--max-arena", "1k", "--max-flash", "1M")
    assert rc == 0 and err == ""  # 1k = 1024 bytes, 1M = 1024^2 bytes: the model fits both
    rc, err, _ = _run(tmp_path, capsys, "--max-arena", "1KiB", "--max-flash", "1b")
    assert rc == 2 and "--max-flash 1" in err


@pytest.mark.parametrize("text, value", [("65536", 65536), ("64k", 65536), ("64K", 65536),
                                         ("64KiB", 65536), ("64kib", 65536), ("2M", 2 << 20),
                                         ("2MiB", 2 << 20), ("100B", 100), ("0", 0)])
def test_size_rule(text, value):
    """One rule: K/KiB = 1024, M/MiB = 1024^2, plain bytes (the README's and --help's)."""
    from tinycc_ml.cli import parse_size
    assert parse_size(text, "--max-flash") == value


@pytest.mark.parametrize("value", ["200KB", "200kB", "1mb", "1MB"])
def test_ambiguous_units_refused(value, tmp_path, capsys):
    rc, err, out = _run(tmp_path, capsys, "--max-flash", value)
    assert rc == 2 and len(err.splitlines()) == 1 and "ambiguous" in err and "KiB" in err, err
    assert not out.exists()


@pytest.mark.parametrize("value", ["abc", "-5", "12q", "k"])
def test_bad_byte_count(value, tmp_path, capsys):
    rc, err, out = _run(tmp_path, capsys, "--max-arena", value)
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("error: --max-arena"), err
    assert "Traceback" not in err and not out.exists()


def test_verify_honours_the_limits(figures, capsys):
    rc = main(["verify", str(DENSE), "--inputs", "1", "--max-flash", str(figures[1] - 1)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: dense.tflite: the constants need")


def test_figures_match_the_built_object(figures, tmp_path, capsys):
    """The arena figure is the header's macro; the constants are exactly the object's read-only
    data (arm-none-eabi-gcc, Cortex-M4): arrays and the layers' parameter structs."""
    arena, consts = figures
    rc, _, out = _run(tmp_path, capsys)
    assert rc == 0
    assert re.search(rf"#define M_ARENA_BYTES {arena}u\b", (out / "m.h").read_text())
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is not installed (.ci/run installs it)")
    obj = tmp_path / "m.o"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-std=c99", "-O2", "-c",
                    str(out / "m.c"), "-I", str(out), "-o", str(obj)], check=True)
    assert _object_bytes(obj, "rR") == consts
    assert _object_bytes(obj, "bB") == arena, "the static arena is the object's only RAM"


def _object_bytes(obj: Path, kinds: str) -> int:
    nm = subprocess.run(["arm-none-eabi-nm", "-S", str(obj)], capture_output=True, text=True,
                        check=True).stdout
    return sum(int(f[1], 16) for f in (line.split() for line in nm.splitlines())
               if len(f) == 4 and f[2] in kinds)


@pytest.mark.parametrize("target", ["generic", "cortex-m4"])
def test_flash_figure_is_exact_on_the_shared_models(target, shared_models, tmp_path):
    """Every kernel's parameter structs (windows, broadcast loops, ADD operands...) included."""
    from tinycc_ml.backends.output import write
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is not installed (.ci/run installs it)")
    for model in sorted(shared_models.glob("*.tflite")):
        c = compile_file(model, Options(name="m", target=target))
        out = tmp_path / model.stem
        write(c, out)
        obj = out / "m.o"
        subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-std=c99", "-O2",
                        "-c", str(out / "m.c"), "-I", str(out), "-o", str(obj)], check=True)
        assert _object_bytes(obj, "rRdD") == c.const_bytes, model.name
