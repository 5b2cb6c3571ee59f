"""tinycc_ml.stackusage: per-function frames and the worst call path, for Cortex-M4.

The frames are compared with the compiler's `.su` files read independently here; every step
of the worst path is checked to be a real call in the object's relocations; hand-made C checks
that the deepest chain is found and that recursion is refused.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tinycc_ml import stackusage
from tinycc_ml.compiler import Options, compile_file, write
from tinycc_ml.stackusage import FLAGS, OPT, stack_usage, unavailable


@pytest.fixture(autouse=True)
def _toolchain():
    if unavailable("cortex-m4") is not None:
        pytest.fail(f"{unavailable('cortex-m4')} (.ci/run installs it)")


def _su_frames(src: Path, work: Path) -> dict[str, int]:
    """Frames of the global functions, straight from arm-none-eabi-gcc -fstack-usage."""
    cc, flags = FLAGS["cortex-m4"]
    frames = {}
    for c in sorted(src.glob("*.c")):
        subprocess.run([cc, *flags, *OPT, "-fstack-usage", "-I", str(src), "-c", str(c), "-o",
                        str(work / (c.stem + ".o"))], check=True)
        for line in (work / (c.stem + ".su")).read_text().splitlines():
            where, size, _ = line.split("\t")
            frames[where.rsplit(":", 1)[1]] = int(size)
    return frames


def _calls(obj: Path) -> dict[str, set[str]]:
    """caller -> callees, from an object's disassembly: relocated calls (to other objects)
    and direct `bl` to a symbol of the same object."""
    text = subprocess.run(["arm-none-eabi-objdump", "-dr", str(obj)], capture_output=True,
                          text=True, check=True).stdout
    calls: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        if line.endswith(">:"):
            current = line.split("<", 1)[1][:-2]
        elif "R_ARM_THM_CALL" in line or "R_ARM_THM_JUMP24" in line:
            calls.setdefault(current, set()).add(line.split()[-1])
        elif re.search(r"\tbl\t[0-9a-f]+ <[^+>]+>$", line):
            calls.setdefault(current, set()).add(line.rsplit("<", 1)[1][:-1])
    return calls


@pytest.mark.parametrize("model", ["kws_ds_cnn_int8", "ad_autoencoder_int8"])
def test_shared_model(model, shared_models, tmp_path):
    compiled = compile_file(shared_models / f"{model}.tflite",
                            Options(name="m", target="cortex-m4"))
    report = stack_usage(compiled, target="cortex-m4")
    assert report["entry"] == "m_invoke" and report["compiled_for"] == "cortex-m4"
    assert report["method"].startswith("call graph") and report["dynamic"] == []

    src, work = tmp_path / "src", tmp_path / "obj"
    write(compiled, src)
    work.mkdir()
    want = _su_frames(src, work)
    got = {f.split(":")[-1]: b for f, b in report["functions"].items()}  # 'file.c:static_fn'
    assert got == want

    path = report["worst_path"]
    assert path[0] == "m_invoke" and len(path) >= 2
    assert report["worst_bytes"] == sum(report["functions"].get(f, 0) for f in path)
    calls = {}
    for obj in work.glob("*.o"):
        calls.update(_calls(obj))
    plain = [f.split(":")[-1] for f in path]  # 'file.c:static_fn' -> 'static_fn'
    for caller, callee in zip(plain, plain[1:]):
        assert callee in calls.get(caller, set()), f"{caller} does not call {callee}"
    kernels = calls["m_invoke"] - set(report["external"])
    assert kernels, "the model calls no kernel"
    assert report["worst_bytes"] >= want["m_invoke"] + max(want[k] for k in kernels)
    # the same figures from the folder `tinycc-ml compile` writes
    assert stack_usage(src, target="cortex-m4") == report


CHAIN = """
#include <string.h>
__attribute__((noinline)) static int leaf_big(const char *s)
{ char buf[200]; memcpy(buf, s, (size_t)s[2]); buf[199] = s[1]; return buf[s[0]] + buf[199]; }
__attribute__((noinline)) int middle(const char *s) { return leaf_big(s) + 1; }
__attribute__((noinline)) int side(const char *s)
{ char buf[40]; memcpy(buf, s, 8); return buf[s[0] & 7]; }
int m_invoke(const char *s) { return middle(s) + side(s); }
"""


def test_worst_path_of_a_chain(tmp_path):
    (tmp_path / "m.c").write_text(CHAIN)
    r = stack_usage(tmp_path, target="cortex-m4")
    assert r["worst_path"][:3] == ["m_invoke", "middle", "m.c:leaf_big"]
    assert r["functions"]["m.c:leaf_big"] >= 200 > r["functions"]["side"]
    assert r["worst_bytes"] == sum(r["functions"].get(f, 0) for f in r["worst_path"])
    assert "memcpy" in r["external"]


def test_recursion_is_refused(tmp_path):
    (tmp_path / "m.c").write_text(
        "int depth(int n) { return n > 1 ? depth(n - 1) * depth(n - 2) + n : 1; }\n"
        "int m_invoke(int n) { return depth(n); }\n")
    with pytest.raises(RuntimeError, match="recursion: depth -> depth"):
        stack_usage(tmp_path, target="cortex-m4")


def test_no_toolchain(monkeypatch, tmp_path):
    real_which = shutil.which
    monkeypatch.setattr(stackusage.shutil, "which",
                        lambda name: None if name == "arm-none-eabi-gcc" else real_which(name))
    unavailable.cache_clear()
    try:
        assert stack_usage(tmp_path, target="cortex-m4") is None
        assert "arm-none-eabi-gcc is not installed" in unavailable("cortex-m4")
    finally:
        unavailable.cache_clear()
    assert unavailable("cortex-m99").startswith("unknown target")
