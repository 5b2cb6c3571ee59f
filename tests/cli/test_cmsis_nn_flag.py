"""The --cmsis-nn-inexact-fc command-line path (no CMSIS-NN needed: the generated C is read)."""

from __future__ import annotations

import re

import pytest

from tests.util import int8_tflite, keras, write_model
from tinycc_ml.cli import build_parser, main

FLAG = "--cmsis-nn-inexact-fc"


@pytest.fixture(scope="module")
def fc_model(tmp_path_factory):
    def build():
        k = keras()
        x = k.Input((12,))
        return k.Model(x, k.layers.Dense(5, activation="relu")(x))
    data = int8_tflite(build, [(12,)], seed=1, n_calib=8, per_channel=False)
    return write_model(data, tmp_path_factory.mktemp("fc"))


def _help(command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return re.sub(r"\s+", " ", sub.choices[command].format_help())


@pytest.mark.parametrize("command", ["compile", "verify"])
def test_flag_is_documented(command):
    text = _help(command)
    assert FLAG in text
    assert "NOT bit-exact" in text and "arm_fully_connected_s8" in text


@pytest.mark.parametrize("target,sums", [("cortex-m55", True), ("cortex-m4", False)])
def test_compile_with_flag(fc_model, tmp_path, capsys, target, sums):
    out = tmp_path / "out"
    assert main(["compile", str(fc_model), "-o", str(out), "--target", target,
                 "--kernels", "cmsis-nn", FLAG]) == 0
    printed = capsys.readouterr().out
    assert "note: CMSIS-NN: 1 layers call CMSIS-NN, 0 keep tinycc-ml's kernel" in printed
    assert "op 0 (FULLY_CONNECTED) calls CMSIS-NN, NOT bit-exact (opted in)" in printed
    c = (out / "model.c").read_text()
    assert "arm_fully_connected_s8(" in c and "tcm_fully_connected" not in c
    assert ("_kernel_sums[5]" in c) == sums        # Helium's per-row sums: 5 units
    assert ("{ (void *)model_l0_" in c) == sums


def test_compile_without_flag_keeps_exact_fc(fc_model, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compile", str(fc_model), "-o", str(out), "--target", "cortex-m55",
                 "--kernels", "cmsis-nn"]) == 0
    printed = capsys.readouterr().out
    assert "op 0 (FULLY_CONNECTED) keeps tinycc-ml's kernel" in printed
    assert "arm_fully_connected_s8(" not in (out / "model.c").read_text()


@pytest.mark.parametrize("command", ["compile", "verify"])
def test_flag_needs_cmsis_nn_kernels(fc_model, tmp_path, capsys, command):
    out = tmp_path / "out"
    args = [command, str(fc_model), FLAG, "--target", "cortex-m4"]
    args += ["-o", str(out)] if command == "compile" else []
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == "error: --cmsis-nn-inexact-fc needs --kernels cmsis-nn\n"
    assert not out.exists()


@pytest.mark.parametrize("extra", [[], ["--target", "cortex-m4", "--per-layer"]])
def test_verify_cmsis_nn_on_host_is_one_line_error(fc_model, capsys, extra):
    assert main(["verify", str(fc_model), "--kernels", "cmsis-nn", FLAG, "--inputs", "1",
                 *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: verify --kernels cmsis-nn runs on a Cortex-M core") and \
        err.count("\n") == 1
