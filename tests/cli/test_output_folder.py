"""The output folder as a file system sees it: an earlier output replaced (its manifest), a name
that would overwrite the runtime refused, the umask respected, a licence line in every file,
and file-system failures (read-only, full disk, a mount point, unwritable --json/--plot paths)
as one line `error: ...`, exit 2, no traceback, nothing left behind.

Full disk, read-only and mount-point cases run twice: on real tmpfs mounts inside a user
namespace (`unshare -rm`, when the kernel allows it; collected only then) and, always, with the
failing system call simulated."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.util import REPO, SHARED_MODELS
from tinycc_ml.backends import output
from tinycc_ml.cli import main

MODEL = REPO / "examples" / "accelerometer_anomaly" / "model.tflite"
AD = SHARED_MODELS / "ad_autoencoder_int8.tflite"


def _cli(*args: str, umask: int | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    pre = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([sys.executable, "-m", "tinycc_ml", *args], capture_output=True,
                          text=True, env=env, preexec_fn=pre, cwd=cwd, timeout=300)


def _one_line(p, *words: str) -> str:
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    assert "Traceback" not in p.stderr + p.stdout and p.stdout == ""
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Earlier outputs, names, modes, licence lines


def test_recompiling_removes_the_earlier_output(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compile", str(MODEL), "-o", str(out), "-q", "--name", "m"]) == 0
    assert (out / "tcm_conv.c").exists()
    (out / "notes.txt").write_text("mine")
    assert main(["compile", str(AD), "-o", str(out), "-q", "--name", "m"]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert "tcm_conv.c" not in files and "tcm_pool.c" not in files, files   # stale kernels gone
    assert "notes.txt" in files and "tcm_fc.c" in files
    listed = [ln for ln in (out / "m.files").read_text().splitlines() if not ln.startswith("#")]
    assert sorted(listed + ["notes.txt"]) == files


def test_another_name_replaces_the_earlier_output(tmp_path):
    out = tmp_path / "out"
    assert main(["compile", str(MODEL), "-o", str(out), "-q", "--name", "first"]) == 0
    assert main(["compile", str(AD), "-o", str(out), "-q", "--name", "second"]) == 0
    files = {p.name for p in out.iterdir()}
    assert not any(f.startswith("first") for f in files) and "tcm_conv.c" not in files


@pytest.mark.parametrize("name", ["tcm_fc", "tcm_math", "TCM_x", "tcm"])
def test_runtime_names_refused(name, tmp_path):
    p = _cli("compile", str(MODEL), "-o", str(tmp_path / "out"), "--name", name)
    _one_line(p, "reserved for the runtime files")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o027, 0o750), (0o002, 0o775)])
def test_new_folder_respects_the_umask(umask, mode, tmp_path):
    p = _cli("compile", str(MODEL), "-o", str(tmp_path / "a" / "out"), "-q", umask=umask)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "a" / "out").stat().st_mode & 0o777 == mode
    for f in (tmp_path / "a" / "out").iterdir():
        assert f.stat().st_mode & 0o777 == mode & 0o666, f


SPDX = "SPDX-License-Identifier: Apache-2.0"


@pytest.mark.parametrize("args", [[], ["--target", "cortex-m4"], ["--target", "cortex-m55"],
                                  ["--kernels", "cmsis-nn", "--target", "cortex-m4"]],
                         ids=["generic", "m4", "m55", "cmsis_nn"])
def test_every_emitted_file_has_a_licence_line(args, tmp_path):
    out = tmp_path / "out"
    assert main(["compile", str(MODEL), str(AD), "-o", str(out), "-q", "--name", "a", "--name",
                 "b", "--shared-arena", *args]) == 0
    for f in out.iterdir():
        head = f.read_text().splitlines()[:2]
        assert any(SPDX in line for line in head), f.name


def test_every_runtime_file_has_a_licence_line_and_the_repo_a_licence():
    for f in sorted((REPO / "runtime_c").iterdir()):
        assert f.read_text().splitlines()[0] == f"/* {SPDX} */", f.name
    for f in sorted((REPO / "templates").glob("*.j2")):
        assert SPDX in f.read_text().splitlines()[0], f.name
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert 'license = { text = "Apache-2.0" }' in (REPO / "pyproject.toml").read_text()


def test_runtime_symbols_are_all_namespaced(tmp_path):
    """tcm_names.h maps every global the runtime files define (as nm sees them, gcc, every .c
    of runtime_c/), so a separately compiled output can never clash on one."""
    files = sorted(p.name for p in (REPO / "runtime_c").glob("*.c"))
    mapped = set(output.runtime_symbols(files))
    defined = set()
    for f in files:
        obj = tmp_path / f"{f}.o"
        subprocess.run(["cc", "-std=c99", "-O2", "-c", str(REPO / "runtime_c" / f), "-o",
                        str(obj)], check=True)
        nm = subprocess.run(["nm", "-g", "--defined-only", str(obj)], capture_output=True,
                            text=True, check=True).stdout
        defined |= {line.split()[-1] for line in nm.splitlines() if len(line.split()) == 3}
    assert defined and defined <= mapped, defined - mapped


# ---------------------------------------------------------------------------------------------
# File-system failures, simulated (always)


def test_full_disk_simulated(tmp_path, monkeypatch, capsys):
    real_open = open

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.f.name)

    monkeypatch.setattr(output, "open", lambda p, mode="r": Full(real_open(p, mode)),
                        raising=False)
    rc = main(["compile", str(MODEL), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and "No space left on device" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_read_only_simulated(tmp_path, monkeypatch, capsys):
    def refuse(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path))
    monkeypatch.setattr(output.tempfile, "mkdtemp", refuse)
    rc = main(["compile", str(MODEL), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and "Read-only file system" in err, err
    assert not (tmp_path / "out").exists()


def test_mount_point_simulated(tmp_path, monkeypatch):
    """An existing output folder on another device (a Docker bind mount): a rename from outside
    it fails with EXDEV; the output is staged inside the folder instead."""
    out = tmp_path / "out"
    out.mkdir()
    real = os.replace

    def replace(src, dst):
        if Path(dst).resolve().is_relative_to(out.resolve()) and \
                not Path(src).resolve().is_relative_to(out.resolve()):
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(src), None, str(dst))
        return real(src, dst)
    monkeypatch.setattr(output.os, "replace", replace)
    assert main(["compile", str(MODEL), "-o", str(out), "-q", "--name", "m"]) == 0
    assert (out / "m.c").exists() and not list(out.glob(".tinycc-ml-*"))


def test_unwritable_inspect_paths(tmp_path):
    good = tmp_path / "r.json"
    for flag, bad in (("--json", tmp_path / "no" / "r.json"), ("--plot", tmp_path / "no" / "r.png")):
        other = ["--plot", str(tmp_path / "r.png")] if flag == "--json" else ["--json", str(good)]
        p = _cli("inspect", str(MODEL), "--no-tflm", flag, str(bad), *other)
        _one_line(p, str(bad), "No such file or directory")
        assert sorted(p.name for p in tmp_path.iterdir()) == [], "partial output left"


def test_output_path_is_a_file(tmp_path):
    (tmp_path / "out").write_text("x")
    p = _cli("compile", str(MODEL), "-o", str(tmp_path / "out"))
    _one_line(p, "not a folder")


# ---------------------------------------------------------------------------------------------
# File-system failures on real mounts (tmpfs in a user namespace), where the kernel allows it


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs none /mnt"],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


REAL = [
    # (name, shell setup with $D the test folder, output, expected words or None = success)
    ("full_disk", "mount -t tmpfs -o size=8k none $D/m", "$D/m/out", "No space left on device"),
    ("read_only", "mount -t tmpfs -o ro none $D/m", "$D/m/out", "Read-only file system"),
    ("read_only_existing", "mount -t tmpfs none $D/m && mkdir $D/m/out && echo mine > "
     "$D/m/out/keep.txt && mount -o remount,ro $D/m", "$D/m/out", "Read-only file system"),
    ("mount_point", "mount -t tmpfs none $D/m", "$D/m", None),
]


@pytest.mark.parametrize("case, setup, out, expect", REAL if _unshare_works() else [],
                         ids=[r[0] for r in REAL] if _unshare_works() else [])
def test_real_mounts(case, setup, out, expect, tmp_path):
    d = tmp_path
    (d / "m").mkdir()
    cmd = (f"D={d}; {setup} && {sys.executable} -m tinycc_ml compile {MODEL} -o {out} -q; "
           f"echo rc=$?; ls -A $D/m; ls -A {out} 2>/dev/null | head -50")
    p = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    listing = p.stdout.split()
    if expect is None:
        assert "rc=0" in listing and "model.c" in listing and "CMakeLists.txt" in listing, p
        assert not [f for f in listing if f.startswith(".tinycc-ml-")]
        return
    assert "rc=2" in listing, p
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0], p.stderr
    after = listing[listing.index("rc=2") + 1:]
    if case == "read_only_existing":
        assert after == ["out", "keep.txt"], after          # the folder as it was
    else:
        assert after == [], after                            # nothing left behind
