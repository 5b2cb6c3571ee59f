"""PRELU int8 against TFLite BUILTIN_REF: keras.layers.PReLU with per-channel, partly shared,
unshared and fully shared alphas (the last one becomes a 256-entry table), chosen
quantizations (identity and alpha multipliers of both signs of shift), the C contract, and
bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._tflite_edit import set_quant
from tests.util import assert_bitexact, check_keras, int8_tflite, keras, write_model
from tinycc_ml.frontends.tflite import read


def _prelu(shape, shared_axes, alpha=(-0.6, 0.6)):
    def build():
        k = keras()
        inp = k.Input(shape)
        init = (k.initializers.Constant(alpha) if np.isscalar(alpha)
                else k.initializers.RandomUniform(*alpha))
        return k.Model(inp, k.layers.PReLU(alpha_initializer=init, shared_axes=shared_axes)(inp))
    return build


CASES = {
    "per_channel_5x7x3": ((5, 7, 3), [1, 2]),
    "per_channel_9x1x16": ((9, 1, 16), [1, 2]),
    "unshared_4x5x3": ((4, 5, 3), None),
    "shared_w_3x6x4": ((3, 6, 4), [2]),          # alpha [H, 1, C]
    "shared_h_3x6x4": ((3, 6, 4), [1]),          # alpha [1, W, C]
    "shared_all_6x5x3": ((6, 5, 3), [1, 2, 3]),  # one alpha: table
    "rank3_per_channel": ((11, 5), [1]),
    "rank2": ((13,), None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_prelu_bitexact(case, tmp_path):
    shape, shared = CASES[case]
    check_keras(_prelu(shape, shared), [shape], tmp_path, n=8, expect_kinds=["PRELU"],
                low=-2.0, high=2.0)


def test_prelu_negative_and_large_alphas(tmp_path):
    """alpha in [-3, 3]: the alpha product changes sign; the rescale exceeds 1 (shift > 0)."""
    check_keras(_prelu((4, 4, 8), [1, 2], alpha=(-3.0, 3.0)), [(4, 4, 8)], tmp_path, n=8,
                expect_kinds=["PRELU"])


@pytest.mark.parametrize("q_in,q_alpha,q_out", [
    ((0.02, -7), (0.01, 3), (0.5, 100)),        # multipliers far below 1
    ((0.5, 20), (0.05, -40), (0.004, -3)),      # identity 125: saturates both ways
    ((0.03, -128), (0.002, 127), (0.03, -128)),
], ids=["small", "large", "extreme_zp"])
@pytest.mark.parametrize("shared", [[1, 2], [1, 2, 3]], ids=["per_channel", "one_alpha"])
def test_prelu_requantizes(q_in, q_alpha, q_out, shared, tmp_path):
    data = int8_tflite(_prelu((3, 5, 6), shared), [(3, 5, 6)])
    op = read(data, "m").ops[0]
    for name, q in zip((op.inputs[0], op.inputs[1], op.outputs[0]), (q_in, q_alpha, q_out)):
        data = set_quant(data, name, *q)
    assert_bitexact(write_model(data, tmp_path), n=10)


def test_prelu_c_contract(tmp_path):
    """Strict builds with gcc, clang, arm-none-eabi-gcc; ASan + UBSan on edge inputs."""
    shape = (5, 3, 7)
    path = write_model(int8_tflite(_prelu(shape, [1, 2]), [shape]), tmp_path)
    alt = np.where(np.arange(np.prod(shape)) % 2 == 0, 127, -128).astype(np.int8)
    assert_c_contract(path, [alt.reshape((1,) + shape)], tmp_path)


def test_prelu_rejects_huge_rescale(tmp_path):
    data = int8_tflite(_prelu((4, 4, 3), [1, 2]), [(4, 4, 3)])
    op = read(data, "m").ops[0]
    data = set_quant(set_quant(data, op.inputs[0], 2.0 ** 20, 0), op.outputs[0], 2.0 ** -20, 0)
    msg = compile_error(data, tmp_path)
    assert "too large" in msg, msg


@pytest.mark.parametrize("shared,want", [([1, 2, 3], "256-entry table"),
                                         ([1, 2], "alpha period 3"),
                                         ([1], "alpha period 15"),     # alpha [1, W, C]
                                         ([2], "alpha period 60")])    # [H, 1, C]: expanded
def test_prelu_kernel_choice(shared, want, tmp_path):
    """One alpha value: the table (tcm_lut); otherwise tcm_prelu with alpha's period."""
    from tinycc_ml.compiler import Options, compile_file
    path = write_model(int8_tflite(_prelu((4, 5, 3), shared), [(4, 5, 3)], n_calib=4), tmp_path)
    layers = [l for l in compile_file(path, Options(name="m")).layers if l.kind == "PRELU"]
    assert [want in l.describe for l in layers] == [True], [l.describe for l in layers]
