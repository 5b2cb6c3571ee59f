"""Hostile and unsupported .onnx files: one line `error: <file>: [op <i> (<op_type> '<name>'):]
<reason>` on stderr, exit code 2, no traceback, no output left behind (the contract of
tests/cli/test_errors.py, with the same sweeps: truncation at every byte, seeded bit flips)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto as TP, helper

from tests.cli.test_errors import assert_one_line_error, time_limit
from tests.onnx._ort import const, save, value
from tinycc_ml.cli import main

F32 = np.float32


def _model(tmp_path: Path, x_shape=(1, 3, 6, 6), extra_nodes=(), out="y") -> bytes:
    rng = np.random.default_rng(0)
    inits = [const("xs", F32(0.05)), const("xz", np.int8(0)),
             const("w", rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)),
             const("ws", F32(0.01)), const("wz", np.int8(0)), const("ys", F32(0.1)),
             const("yz", np.int8(0))]
    nodes = [helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"],
                              ["y"], name="conv1", pads=[1, 1, 1, 1]), *extra_nodes]
    p = save(tmp_path / "src.onnx", nodes, [value("x", TP.INT8, list(x_shape))],
             [value(out, TP.INT8, None)], inits)
    return p.read_bytes()


def _compile(data: bytes, tmp_path: Path, capsys, *args):
    model = tmp_path / "bad.onnx"
    model.write_bytes(data)
    with time_limit(30):
        rc = main(["compile", str(model), "-o", str(tmp_path / "out"), "-q", *args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _rejected(data, tmp_path, capsys, expect=None, *args) -> str:
    rc, out, err = _compile(data, tmp_path, capsys, *args)
    return assert_one_line_error(rc, out, err, tmp_path, name="bad.onnx", expect=expect)


def test_valid_base_compiles(tmp_path, capsys):
    rc, _, err = _compile(_model(tmp_path), tmp_path, capsys)
    assert rc == 0 and err == ""


def test_truncation_at_every_byte(tmp_path, capsys):
    data = _model(tmp_path)
    for cut in range(0, len(data), 3):
        _rejected(data[:cut], tmp_path, capsys)


def test_bit_flips(tmp_path, capsys):
    data = _model(tmp_path)
    rng = random.Random(1)
    rejected = 0
    for _ in range(300):
        bad = bytearray(data)
        pos = rng.randrange(len(bad))
        bad[pos] ^= 1 << rng.randrange(8)
        rc, out, err = _compile(bytes(bad), tmp_path, capsys)
        if rc == 0:          # a flip in a weight or a name: still a valid model, fully written
            assert err == "" and (tmp_path / "out" / "model.c").exists()
            shutil.rmtree(tmp_path / "out")
            continue
        assert_one_line_error(rc, out, err, tmp_path, name="bad.onnx")
        rejected += 1
    assert rejected > 30


def test_dynamic_dims(tmp_path, capsys):
    """A dynamic batch compiles as 1; another dynamic dimension needs --shape."""
    rc, _, err = _compile(_model(tmp_path, ("N", 3, 6, 6)), tmp_path, capsys)
    assert rc == 0 and err == ""
    shutil.rmtree(tmp_path / "out")
    data = _model(tmp_path, (1, 3, "H", 6))
    line = _rejected(data, tmp_path, capsys,
                     r"graph input 'x' has dynamic dimension 'H' \(axis 2\); fix it with --shape")
    assert "--shape x=" in line
    rc, _, err = _compile(data, tmp_path, capsys, "--shape", "x=1x3x8x6")
    assert rc == 0 and err == ""


def test_unsupported_and_float_ops_name_the_node(tmp_path, capsys):
    data = _model(tmp_path, extra_nodes=[helper.make_node("Tanh", ["y"], ["t"], name="act")],
                  out="t")
    _rejected(data, tmp_path, capsys, r"^error: bad\.onnx: op 1 \(Tanh 'act'\): not supported; "
                                      r"supported: .*QLinearConv")
    # a float op whose output is not quantized again
    nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["d"], name="dq"),
             helper.make_node("Relu", ["d"], ["y"], name="relu")]
    p = save(tmp_path / "f.onnx", nodes, [value("x", TP.INT8, [1, 4])],
             [value("y", TP.FLOAT, [1, 4])], [const("xs", F32(0.1)), const("xz", np.int8(0))])
    _rejected(p.read_bytes(), tmp_path, capsys, r"op 1 \(Relu 'relu'\): output 'y' does not "
                                                r"go into one QuantizeLinear; float ops are not "
                                                r"supported")


def test_semantic_damage(tmp_path, capsys):
    """Wrong group count, a non-constant weight, a per-axis activation scale."""
    m = onnx.load_model_from_string(_model(tmp_path))
    m.graph.node[0].attribute.append(helper.make_attribute("group", 2))
    _rejected(m.SerializeToString(), tmp_path, capsys,
              r"op 0 \(QLinearConv 'conv1'\): 2 groups of 3 channels do not fit")
    m = onnx.load_model_from_string(_model(tmp_path))
    for t in m.graph.initializer:
        if t.name == "ws":
            t.CopyFrom(onnx.numpy_helper.from_array(np.full(4, np.inf, F32), "ws"))
    _rejected(m.SerializeToString(), tmp_path, capsys, r"op 0 \(QLinearConv 'conv1'\): .*finite")


def test_movement_limits(tmp_path, capsys):
    """Pad's negative pads (cropping) and wrap mode, an empty Slice, a Relu on an int8
    tensor, a cubic Resize and a nearest one by a scale of 1.5 are refused, naming the node."""
    cases = [(helper.make_node("Pad", ["y", "p"], ["t"], name="pad"), [-1, 0, 0, 0, 0, 0, 1, 0],
              r"op 1 \(Pad 'pad'\): negative pads \[.*\] \(cropping\) are not supported"),
             (helper.make_node("Pad", ["y", "p"], ["t"], name="pad", mode="wrap"), [0] * 8,
              r"op 1 \(Pad 'pad'\): mode 'wrap' is not supported"),
             (helper.make_node("Slice", ["y", "p", "p"], ["t"], name="cut"), [2],
              r"op 1 \(Slice 'cut'\): the slice of \[1, 4, 6, 6\] is empty"),
             (helper.make_node("Relu", ["y"], ["t"], name="r"), [0],
              r"op 1 \(Relu 'r'\): Relu is supported between DequantizeLinear and "
              r"QuantizeLinear \(QDQ\), not on an integer tensor"),
             (helper.make_node("Resize", ["y", "", "p"], ["t"], name="up", mode="cubic"),
              [1, 1, 2, 2], r"op 1 \(Resize 'up'\): mode 'cubic' is not supported; supported: "
                            r"nearest, linear"),
             (helper.make_node("Resize", ["y", "", "p"], ["t"], name="up"), [1, 1, 1.5, 2],
              r"op 1 \(Resize 'up'\): scale 1.5 from 6 to 9 values: onnxruntime's index "
              r"arithmetic is reproduced for power-of-two scales")]
    for node, pads, expect in cases:
        m = onnx.load_model_from_string(_model(tmp_path, extra_nodes=[node], out="t"))
        dtype = np.float32 if node.op_type == "Resize" else np.int64
        m.graph.initializer.append(onnx.numpy_helper.from_array(np.array(pads, dtype), "p"))
        if node.op_type == "Pad" and node.attribute:
            m.opset_import[0].version = 19
        _rejected(m.SerializeToString(), tmp_path, capsys, expect)
