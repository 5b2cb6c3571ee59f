"""examples/accelerometer_anomaly: `make host` and `make m4` (QEMU) print the same results, and
the model's raw outputs on the windows the firmware built equal TFLite BUILTIN_REF's."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.util import REPO

EXAMPLE = REPO / "examples" / "accelerometer_anomaly"


def _make(target: str, build) -> str:
    p = subprocess.run(["make", "-s", "-C", str(EXAMPLE), target, "VERBOSE=1", f"BUILD={build}",
                        f"PYTHON={sys.executable}", f"TINYCC={sys.executable} -m tinycc_ml.cli"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    if shutil.which("make") is None:
        pytest.fail("make is not installed")
    build = tmp_path_factory.mktemp("accel")
    return _make("host", build / "h"), _make("m4", build / "m")


def _lines(out: str) -> list[str]:
    """Scores, alarms and (VERBOSE) quantized windows and raw outputs; not the arena line, which
    depends on the target's kernels."""
    return [line for line in out.splitlines() if line.startswith("window") or "alarms" in line]


def test_host_and_m4_agree(runs):
    host, m4 = runs
    assert _lines(host) and _lines(host) == _lines(m4)
    assert "3 alarms" in host   # three faulty windows out of six


def test_outputs_match_tflite_reference(runs):
    from tinycc_ml.reference import TFLiteReference
    ref = TFLiteReference(EXAMPLE / "model.tflite")
    host, _ = runs
    ins = {int(m.group(1)): np.array(m.group(2).split(), dtype=np.int8)
           for m in re.finditer(r"^window (\d+) in (.*)$", host, re.M)}
    outs = {int(m.group(1)): np.array([m.group(2), m.group(3)], dtype=np.int8)
            for m in re.finditer(r"^window (\d+) out (-?\d+) (-?\d+)$", host, re.M)}
    assert ins and set(ins) == set(outs)
    for k, x in ins.items():
        want = ref.run([x.reshape(1, 64, 3)])[0].reshape(-1)
        np.testing.assert_array_equal(outs[k], want)


def _quantized_test_windows(ref) -> list[np.ndarray]:
    """The committed test windows, quantized as TFLite's QUANTIZE does (float32 x / scale,
    rounded half away from zero, plus the zero point)."""
    from tinycc_ml.quant import round_half_away
    scale, zp = ref.inputs[0]["quantization"]
    out = []
    for w in np.load(EXAMPLE / "test_windows.npy"):
        r = np.array([round_half_away(float(v)) for v in (w / np.float32(scale)).reshape(-1)])
        out.append(np.clip(r + zp, -128, 127).astype(np.int8).reshape(1, 64, 3))
    return out


def test_example_model_bitexact_on_test_windows():
    """The committed test windows, then random inputs: host build == BUILTIN_REF."""
    from tests.util import assert_bitexact, compile_and_build
    from tinycc_ml.reference import TFLiteReference
    host = compile_and_build(EXAMPLE / "model.tflite")
    ref = TFLiteReference(EXAMPLE / "model.tflite")
    for q in _quantized_test_windows(ref):
        np.testing.assert_array_equal(host.run([q])[0], ref.run([q])[0])
    assert_bitexact(EXAMPLE / "model.tflite", n=50, host=host)


def test_example_model_bitexact_on_m4(tmp_path):
    """The Cortex-M4 build of the model (its DSP kernels) under QEMU == BUILTIN_REF on the test windows."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.reference import TFLiteReference
    ref = TFLiteReference(EXAMPLE / "model.tflite")
    windows = _quantized_test_windows(ref)
    compiled = compile_file(EXAMPLE / "model.tflite", Options(name="accel", target="cortex-m4"))
    run = build_and_run(compiled, [[q] for q in windows], "cortex-m4", work=tmp_path)
    for q, got in zip(windows, run.outputs):
        np.testing.assert_array_equal(got[0], ref.run([q])[0])
    assert len(run.instructions) == len(windows) and min(run.instructions) > 0


def _readme_row(label: str) -> list[int]:
    text = (EXAMPLE / "README.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith(f"| {label}"))
    return [int(c.strip().rstrip(" B").replace(",", "")) for c in row.split("|")[2:4]]


def test_readme_figures_are_measured():
    """The example README's table and arena figures: what verify --target measures today (the
    same 5 random inputs as `verify --inputs 5`, median), and the headers' NAME_ARENA_BYTES."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.reference import random_inputs
    text = (EXAMPLE / "README.md").read_text()
    insns, flash, ram = (_readme_row(k) for k in ("instructions per inference", "flash, model",
                                                  "RAM, model"))
    for col, target in enumerate(("cortex-m4", "cortex-m55")):
        c = compile_file(EXAMPLE / "model.tflite", Options(name="accel", target=target))
        g = c.graph
        specs = [(g.tensor(t).shape, np.int8) for t in g.inputs]
        rng = np.random.default_rng(0)
        run = build_and_run(c, [random_inputs(specs, rng) for _ in range(5)], target)
        assert int(np.median(run.instructions)) == insns[col], target
        assert run.model_flash == flash[col] and run.model_ram == ram[col], target
    generic = compile_file(EXAMPLE / "model.tflite", Options(name="accel"))
    host = generic.plan.arena_bytes
    assert f"{generic.const_bytes:,} bytes of constants" in text
    m4 = compile_file(EXAMPLE / "model.tflite", Options(name="accel", target="cortex-m4")).plan.arena_bytes
    assert f"model arena: {host} bytes" in text and f"model arena: {m4} bytes" in text
    assert f"#define ACCEL_ARENA_BYTES {host}u" in text and f"({m4}u with --target cortex-m4)" in text
