"""examples/accelerometer_anomaly: `make host` and `make m4` (QEMU) print the same results, and
the model's raw outputs on the windows the firmware built equal TFLite BUILTIN_REF's."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from tests.util import REPO

EXAMPLE = REPO / "examples" / "accelerometer_anomaly"


def _make(target: str, build) -> str:
    p = subprocess.run(["make", "-s", "-C", str(EXAMPLE), target, "VERBOSE=1", f"BUILD={build}"],
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


def test_example_model_bitexact_on_test_windows():
    """The committed test windows, quantized with the model's input parameters, then random inputs."""
    from tests.util import assert_bitexact, compile_and_build
    from tinycc_ml.reference import TFLiteReference
    host = compile_and_build(EXAMPLE / "model.tflite")
    ref = TFLiteReference(EXAMPLE / "model.tflite")
    scale, zp = ref.inputs[0]["quantization"]
    for w in np.load(EXAMPLE / "test_windows.npy"):
        q = np.clip(np.floor(w / np.float32(scale) + 0.5) + zp, -128, 127).astype(np.int8)[None]
        np.testing.assert_array_equal(host.run([q])[0], ref.run([q])[0])
    assert_bitexact(EXAMPLE / "model.tflite", n=50, host=host)
