"""TensorFlow Lite Micro's smallest arena for a model, measured out of process.

`inspect` calls `measure(model)`, which runs `python -m tinycc_ml.tflm MODEL` in a child process:
TFLite Micro's Python runtime is C++ that may crash the process (it dies with SIGSEGV on some
arena sizes just too small for a model, e.g. the shipped accelerometer example), and a crash
there must cost one line of the report, never the report. In the child every probe runs in a
forked grandchild, so a probe that crashes is counted as "not accepted" and the bisection goes
on; the note says how many probes crashed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

TIMEOUT_S = 300


def _probe(runtime, data: bytes, n: int) -> tuple[bool, str]:
    """(accepted, why not) for Interpreter.from_bytes(data, arena_size=n), in a fork when the
    platform has fork (a crash of TFLM then ends only the fork)."""
    if not hasattr(os, "fork"):
        try:
            runtime.Interpreter.from_bytes(data, arena_size=n)
            return True, ""
        except RuntimeError as e:
            return False, str(e)
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:                                 # the probe: TFLM's C++ reports on fd 2
        os.close(r)
        os.dup2(w, 2)
        try:
            runtime.Interpreter.from_bytes(data, arena_size=n)
            code = 0
        except BaseException:                    # noqa: BLE001 (any failure: not accepted)
            code = 1
        os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if os.WIFSIGNALED(status):
        return False, f"crashed ({signal.Signals(os.WTERMSIG(status)).name})"
    return os.WEXITSTATUS(status) == 0, first


def smallest_arena(model_path: str | Path, start: int = 4096, limit: int = 1 << 26) -> dict:
    """{"bytes": smallest arena_size TFLite Micro accepts, or None; "note": how or why not}.

    Bisection on `tflite_micro.runtime.Interpreter.from_bytes(data, arena_size=N)`, which plans
    and allocates every tensor at construction (a failure there means "too small"; a failure at
    `limit` bytes means TFLM cannot run the model). Its arena includes the graph I/O and TFLM's
    own structures. About 20 probes of a few milliseconds each; nothing cached.
    """
    try:
        from tflite_micro import runtime  # noqa: PLC0415
    except ImportError:
        return {"bytes": None, "note": "not measured: the tflite-micro package is not installed"}
    data = Path(model_path).read_bytes()
    tries, crashes, error = 0, 0, ""

    def fits(n: int) -> bool:
        nonlocal tries, crashes, error
        tries += 1
        ok, why = _probe(runtime, data, n)
        if not ok:
            error = why
            crashes += why.startswith("crashed")
        return ok

    if not fits(limit):
        return {"bytes": None, "note": f"not measured: TFLite Micro cannot load the model ({error})"}
    lo, hi = 0, max(start, 1)
    while hi < limit and not fits(hi):
        lo, hi = hi, min(hi * 2, limit)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            hi = mid
        else:
            lo = mid
    crashed = f"; {crashes} smaller sizes crashed TFLM, counted as too small" if crashes else ""
    return {"bytes": hi, "note": f"smallest arena_size tflite-micro accepts ({tries} tries"
                                 f"{crashed}); it holds the graph I/O and TFLM's own structures"}


def measure(model_path: str | Path, command: list[str] | None = None) -> tuple[int | None, str]:
    """(bytes, note) from a child process (`command`, default `python -m tinycc_ml.tflm MODEL`);
    a child that crashes, hangs or prints garbage gives (None, one line saying so)."""
    argv = command or [sys.executable, "-m", "tinycc_ml.tflm", str(model_path)]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"not measured: TFLite Micro took more than {TIMEOUT_S} s"
    except OSError as e:
        return None, f"not measured: could not start the measuring process ({e.strerror})"
    if p.returncode < 0:
        return None, f"not measured: TFLite Micro crashed ({signal.Signals(-p.returncode).name})"
    try:
        d = json.loads(p.stdout.strip().splitlines()[-1])
        return d["bytes"], " ".join(str(d["note"]).split())
    except (IndexError, ValueError, KeyError, TypeError):
        last = next((ln.strip() for ln in reversed(p.stderr.splitlines()) if ln.strip()),
                    f"exit code {p.returncode}")
        return None, f"not measured: the measuring process failed ({last[:200]})"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tinycc_ml.tflm MODEL.tflite", file=sys.stderr)
        return 2
    print(json.dumps(smallest_arena(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
