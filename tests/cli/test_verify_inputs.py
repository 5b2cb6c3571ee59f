"""`verify --input X.npy`: the user's own data, quantized like the generated helpers, or refused
in one line."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tinycc_ml import verify as verify_mod
from tinycc_ml.cli import main
from tinycc_ml.compiler import Options, compile_file
from tests.util import REPO

EXAMPLE = REPO / "examples" / "accelerometer_anomaly"
MODEL = EXAMPLE / "model.tflite"


def test_float_windows_are_quantized_and_checked(capsys):
    assert main(["verify", str(MODEL), "--inputs", "0", "--input",
                 str(EXAMPLE / "test_windows.npy")]) == 0
    out = capsys.readouterr().out
    assert "float data quantized with the input's scale" in out
    assert "BIT-EXACT" in out and "(8 inputs)" in out


def test_quantization_of_float_data(tmp_path):
    """std::round(x / scale) + zero_point, clamped, x / scale in float32: the rule of TFLite's
    QUANTIZE and of the generated NAME_quantize_input; the rounding here in exact rationals."""
    g = compile_file(MODEL, Options(name="m")).graph
    t = g.tensor(g.inputs[0])
    scale, zp = float(t.scale[0]), int(t.zero_point[0])
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, size=(2, *t.shape)).astype(np.float32)
    x.flat[:4] = [0.5 * scale, -0.5 * scale, 2.5 * scale, 1e9]     # ties and a clamp
    np.save(tmp_path / "x.npy", x)
    specs = [(t.shape, np.int8)]
    got = np.stack([b[0] for b in verify_mod._npy_batches(tmp_path / "x.npy", g, specs,
                                                          lambda *_: None)])

    def spec(v: float) -> int:
        r = Fraction(float(np.float32(v) / np.float32(scale)))    # the helper's float32 x / scale
        n = int(abs(r) + Fraction(1, 2))
        return max(-128, min(127, (n if r >= 0 else -n) + zp))
    want = np.array([spec(v) for v in x.reshape(-1)], np.int8).reshape(got.shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", ["not_npy", "wrong_size", "too_big_ints", "nan"])
def test_bad_input_file_is_one_line(case, tmp_path, capsys):
    path = tmp_path / "x.npy"
    if case == "not_npy":
        path.write_bytes(b"hello")
    elif case == "wrong_size":
        np.save(path, np.zeros(7, np.float32))
    elif case == "too_big_ints":
        np.save(path, np.full((64, 3), 300, np.int32))
    else:
        np.save(path, np.full((64, 3), np.nan, np.float32))
    assert main(["verify", str(MODEL), "--inputs", "0", "--input", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}"), err
