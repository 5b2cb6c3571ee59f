"""Sigmoid and LeakyRelu: com.microsoft QLinearSigmoid / QLinearLeakyRelu (QOperator) and
DQ -> Sigmoid/LeakyRelu -> Q (QDQ), compiled to C and compared with onnxruntime exactly; the
compile-time tables (quant_ort.lut_table with quant_ort.logistic / leaky_relu, built as
onnxruntime builds them) against onnxruntime on every input code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, save, value
from tinycc_ml import quant_ort

F32 = np.float32
TYPES = {"int8": (np.int8, TP.INT8), "uint8": (np.uint8, TP.UINT8)}


def _qop_model(path: Path, kind: str, t: str, shape, xs, zx, ys, zy, **attrs) -> Path:
    npt, tp = TYPES[t]
    inits = [const("xs", F32(xs)), const("xz", npt(zx)), const("ys", F32(ys)),
             const("yz", npt(zy))]
    node = helper.make_node(kind, ["x", "xs", "xz", "ys", "yz"], ["y"], domain="com.microsoft",
                            **attrs)
    return save(path, [node], [value("x", tp, shape)], [value("y", tp, shape)], inits)


def test_tables_equal_onnxruntime(tmp_path: Path):
    rng = np.random.default_rng(0)
    for trial in range(24):
        t = "uint8" if trial % 2 else "int8"
        kind = ("QLinearSigmoid", "QLinearLeakyRelu")[trial % 4 // 2]
        npt, _ = TYPES[t]
        info = np.iinfo(npt)
        xs, ys = F32(rng.uniform(0.005, 0.2)), F32(rng.uniform(0.002, 0.05))
        zx, zy = (int(rng.integers(info.min, info.max + 1)) for _ in range(2))
        alpha = float(F32(rng.uniform(0.01, 0.5)))
        attrs = {"alpha": alpha} if kind == "QLinearLeakyRelu" else {}
        p = _qop_model(tmp_path / f"m{trial}.onnx", kind, t, [256], xs, zx, ys, zy, **attrs)
        sess = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        off = 128 if t == "uint8" else 0
        want = sess.run(None, {"x": (np.arange(-128, 128) + off).astype(npt)})[0]
        f = quant_ort.logistic if attrs == {} else quant_ort.leaky_relu(alpha)
        got = quant_ort.lut_table(xs, zx - off, ys, zy - off, f) + off
        np.testing.assert_array_equal(got, want.astype(np.int64))


QOP_CASES = {  # id: (op, type, x_scale, x_zp, y_scale, y_zp, attrs)
    "sigmoid_s8": ("QLinearSigmoid", "int8", 0.06, -10, 1 / 256, -128, {}),
    "sigmoid_u8_odd": ("QLinearSigmoid", "uint8", 0.13, 140, 0.0041, 3, {}),
    "leaky_s8_a01": ("QLinearLeakyRelu", "int8", 0.05, 4, 0.04, -20, {"alpha": 0.1}),
    "leaky_u8_a03": ("QLinearLeakyRelu", "uint8", 0.021, 120, 0.015, 90, {"alpha": 0.3}),
    "leaky_s8_default_alpha": ("QLinearLeakyRelu", "int8", 0.08, 0, 0.03, 0, {}),
}


@pytest.mark.parametrize("case", QOP_CASES, ids=list(QOP_CASES))
def test_qoperator(tmp_path: Path, case):
    kind, t, xs, zx, ys, zy, attrs = QOP_CASES[case]
    p = _qop_model(tmp_path / "m.onnx", kind, t, [1, 3, 5, 4], xs, zx, ys, zy, **attrs)
    check(p, tmp_path / "w", n=4)


@pytest.mark.parametrize("op", ["Sigmoid", "LeakyRelu", "Relu", "Relu_zp_min"])
@pytest.mark.parametrize("t,reference", [("uint8", "x86"), ("int8", "x86-s8"), ("int8", "x86")])
def test_qdq(tmp_path: Path, op, t, reference):
    """x -> Q -> DQ -> op -> Q -> DQ -> y; onnxruntime fuses the group into QLinear<op> (a
    standalone Relu runs in float, or is dropped when the output zero point is the minimum)."""
    npt, _ = TYPES[t]
    zx, zy = (npt(131), npt(7)) if t == "uint8" else (npt(3), npt(-100))
    if op == "Relu_zp_min":
        op, zy = "Relu", npt(np.iinfo(npt).min)
    inits = [const("xs", F32(0.03)), const("xz", zx), const("ys", F32(0.01)), const("yz", zy)]
    attrs = {"alpha": 0.2} if op == "LeakyRelu" else {}
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node(op, ["xd"], ["a"], **attrs),
             helper.make_node("QuantizeLinear", ["a", "ys", "yz"], ["aq"]),
             helper.make_node("DequantizeLinear", ["aq", "ys", "yz"], ["y"])]
    p = save(tmp_path / "m.onnx", nodes, [value("x", TP.FLOAT, [1, 2, 4, 4])],
             [value("y", TP.FLOAT, [1, 2, 4, 4])], inits)
    check(p, tmp_path / "w", n=4, ort_reference=reference)
