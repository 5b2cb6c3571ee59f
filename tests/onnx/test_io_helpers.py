"""NAME_quantize_input0 of an int8-I/O .onnx model equals onnxruntime's QuantizeLinear with the
input's scale and zero point (a true float32 division, round half to even), ties included;
NAME_dequantize_output0 equals DequantizeLinear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto as TP, helper

from tests.onnx._ort import const, ort_run, save, value

F32 = np.float32


def test_quantize_input_rounds_half_to_even(tmp_path: Path):
    from tinycc_ml import hostbuild
    from tinycc_ml.compiler import Options, compile_file
    xs, xz, ys, yz = F32(0.05), np.int8(-3), F32(0.11), np.int8(4)
    inits = [const("xs", xs), const("xz", xz), const("w", np.ones((2, 1, 1, 1), np.int8)),
             const("ws", F32(0.5)), const("wz", np.int8(0)), const("ys", ys), const("yz", yz)]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"])
    model = save(tmp_path / "m.onnx", [node], [value("x", TP.INT8, [1, 1, 2, 2])],
                 [value("y", TP.INT8, [1, 2, 2, 2])], inits)
    lib = hostbuild.build(compile_file(model, Options(name="m")), tmp_path / "w").lib

    ties = (np.arange(-140, 140, dtype=F32) + F32(0.5)) * xs
    rng = np.random.default_rng(0)
    x = np.concatenate([ties, rng.uniform(-9, 9, 2000).astype(F32),
                        np.array([0.0, -0.0, 1e9, -1e9], F32)])
    q = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])
    qpath = save(tmp_path / "q.onnx", [q], [value("x", TP.FLOAT, [x.size])],
                 [value("y", TP.INT8, [x.size])], [const("s", xs), const("z", xz)])
    want = ort_run(qpath, [x])[0]
    got = np.array([lib.m_quantize_input0(float(v)) for v in x], np.int8)
    np.testing.assert_array_equal(got, want)

    codes = np.arange(-128, 128, dtype=np.int8)
    dq = helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])
    dpath = save(tmp_path / "d.onnx", [dq], [value("q", TP.INT8, [256])],
                 [value("y", TP.FLOAT, [256])], [const("s", ys), const("z", yz)])
    want_f = ort_run(dpath, [codes])[0]
    got_f = np.array([lib.m_dequantize_output0(int(c)) for c in codes], F32)
    np.testing.assert_array_equal(got_f.view(np.int32), want_f.view(np.int32))
