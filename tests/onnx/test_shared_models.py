"""tf2onnx (1.17, --opset 17) of the shared int8 MLPerf Tiny models: QDQ graphs written by a
public converter. ad_autoencoder compiles and equals onnxruntime (float and integer-only
requantization). The three CNNs end in a QDQ Softmax, which onnxruntime computes in float32
(MLAS) and tinycc-ml does not compile yet (README.md, ONNX)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.onnx._ort import check


def _tf2onnx(src: Path, dst: Path) -> Path:
    try:
        import tf2onnx  # noqa: F401
    except ImportError:
        pytest.fail("tf2onnx is not installed (pip install -e '.[test]')")
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(src), "--output",
                    str(dst), "--opset", "17"], check=True, capture_output=True)
    return dst


def test_ad_autoencoder(shared_models, tmp_path: Path):
    p = _tf2onnx(shared_models / "ad_autoencoder_int8.tflite", tmp_path / "ad.onnx")
    check(p, tmp_path / "w", n=20)
    check(p, tmp_path / "wi", n=5, integer_only=True)
