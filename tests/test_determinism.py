"""The output is a function of the model bytes and the options only.

Compiling twice gives byte-identical files, whatever the hash seed (set and dict order), the
locale, the time zone, the clock, the working directory, or where the model and the output
folder are on disk. The runs in other environments are real `tinycc-ml compile` subprocesses.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.util import REPO
from tinycc_ml.compiler import Options, compile_file

CONV = REPO / "tests" / "fuzz" / "seeds" / "conv.tflite"
RESIDUAL = REPO / "tests" / "fuzz" / "seeds" / "residual.tflite"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _cli(model: Path, out: Path, cwd: Path, env: dict[str, str], *options: str) -> dict[str, bytes]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "TZ")
                and not k.startswith("LC_") and k != "LANG"}
    full_env.update(env)
    proc = subprocess.run([sys.executable, "-m", "tinycc_ml", "compile", str(model), "-o",
                           str(out), "-q", "--name", "det", *options],
                          cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return _files(out)


def _models(shared: Path | None) -> list[Path]:
    models = [CONV, RESIDUAL]
    if shared is not None:
        models.append(shared / "kws_ds_cnn_int8.tflite")
    return models


@pytest.fixture(scope="module")
def shared_or_none():
    from tests.util import SHARED_MODELS
    return SHARED_MODELS if (SHARED_MODELS / "kws_ds_cnn_int8.tflite").exists() else None


@pytest.mark.parametrize("options", [dict(), dict(caller_arena=True),
                                     dict(target="cortex-m4", kernels="cmsis-nn")],
                         ids=["portable", "caller_arena", "cmsis_nn_m4"])
def test_twice_in_one_process(options, shared_or_none):
    for model in _models(shared_or_none):
        a = compile_file(model, Options(name="det", **options))
        b = compile_file(model, Options(name="det", **options))
        assert a.files == b.files, model.name
        assert a.runtime_files == b.runtime_files


def test_environment_path_and_clock_do_not_matter(shared_or_none, tmp_path):
    """Four runs: hash seeds, locales, time zones, working folders and model paths differ
    (one relative, one absolute, one through a symlink); they run seconds apart."""
    for model in _models(shared_or_none):
        here = tmp_path / model.stem
        (here / "a" / "deep" / "er").mkdir(parents=True)
        (here / "b").mkdir()
        copy_a = here / "a" / "deep" / "er" / model.name
        shutil.copyfile(model, copy_a)
        (here / "b" / model.name).symlink_to(model)
        runs = [
            (copy_a.relative_to(here / "a"), here / "a", {"PYTHONHASHSEED": "0", "LC_ALL": "C",
                                                          "TZ": "UTC"}),
            (copy_a, here, {"PYTHONHASHSEED": "12345", "LC_ALL": "C.UTF-8",
                            "TZ": "America/Los_Angeles"}),
            (here / "b" / model.name, here / "b", {"PYTHONHASHSEED": "987654321", "LANG": "C.UTF-8",
                                                   "TZ": "Asia/Kolkata"}),
            (model, REPO, {"PYTHONHASHSEED": "random", "LC_ALL": "POSIX", "TZ": "Pacific/Apia"}),
        ]
        outputs = []
        for k, (path, cwd, env) in enumerate(runs):
            out = here / f"out{k}" / ("x" * (k + 1))
            outputs.append(_cli(path, out, cwd, env))
        for k, files in enumerate(outputs[1:], 1):
            assert sorted(files) == sorted(outputs[0]), (model.name, k)
            for name in files:
                assert files[name] == outputs[0][name], f"{model.name}: {name} differs in run {k}"
        for name, data in outputs[0].items():
            text = data.decode()
            assert str(tmp_path) not in text and str(REPO) not in text, name
            assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b|\b\d\d:\d\d:\d\d\b", text), \
                f"{name} contains a date or a time"


def test_output_depends_on_the_model_bytes(tmp_path):
    """What must show: the model's sha256 in the header, and a changed weight in the code."""
    from tests.cli.tflite_edit import Layout
    data = CONV.read_bytes()
    weight = Layout(data).vector(Layout(data).buffer(7), 0) + 4   # the conv filter's first byte
    changed = tmp_path / CONV.name
    changed.write_bytes(data[:weight] + bytes([data[weight] ^ 0x01]) + data[weight + 1:])
    a = compile_file(CONV, Options(name="det")).files
    b = compile_file(changed, Options(name="det")).files
    assert hashlib.sha256(data).hexdigest() in a["det.h"]
    assert hashlib.sha256(changed.read_bytes()).hexdigest() in b["det.h"]
    assert a["det.c"] != b["det.c"]
