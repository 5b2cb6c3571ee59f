"""Softmax: com.microsoft QLinearSoftmax (QOperator) and DQ -> Softmax -> Q (QDQ) over a grid of
types, row lengths, scales and axes, compiled to C and compared with onnxruntime exactly; the
Python spec (quant_ort.softmax: the exp table built as onnxruntime builds it) against
onnxruntime on random rows."""

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
# id: (type, shape, axis, opset attribute, x_scale, y_scale, y_zero_point in the model's type)
QOP_CASES = {
    "s8_12_prob": ("int8", [1, 12], -1, 13, 0.2, 1 / 256, -128),
    "u8_12_prob": ("uint8", [1, 12], -1, 13, 0.2, 1 / 256, 0),
    "s8_rows_odd_scale": ("int8", [3, 5, 7], -1, 13, 0.07, 0.0021, -100),
    "u8_wide_zp": ("uint8", [2, 40], 1, 13, 0.45, 0.003, 17),
    "s8_opset12_flatten": ("int8", [2, 3, 4], 1, 12, 0.11, 1 / 256, -128),
    "s8_nchw_channels": ("int8", [1, 6, 3, 2], 1, 13, 0.3, 1 / 256, -128),
}


def _rows(rng, npt, shape):
    info = np.iinfo(npt)
    x = rng.integers(info.min, info.max + 1, shape).astype(npt)
    x.reshape(-1)[::5] = info.max        # rows with one clear winner: the saturating end
    return x


def test_spec_equals_onnxruntime():
    """quant_ort.softmax (the spec the C follows) row by row against onnxruntime."""
    rng = np.random.default_rng(0)
    for trial in range(40):
        t = "uint8" if trial % 2 else "int8"
        npt, tp = TYPES[t]
        depth = int(rng.integers(2, 50))
        xs, ys = F32(rng.uniform(0.01, 0.5)), F32(rng.choice([1 / 256, rng.uniform(0.001, 0.01)]))
        zy = npt(rng.integers(0, 40) if t == "uint8" else rng.integers(-128, -90))
        inits = [const("xs", xs), const("xz", npt(3)), const("ys", ys), const("yz", zy)]
        node = helper.make_node("QLinearSoftmax", ["x", "xs", "xz", "ys", "yz"], ["y"],
                                domain="com.microsoft", axis=-1, opset=13)
        g = helper.make_graph([node], "g", [value("x", tp, [4, depth])],
                              [value("y", tp, [4, depth])], initializer=inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("com.microsoft", 1)])
        m.ir_version = 8
        sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        x = _rows(rng, npt, (4, depth))
        want = sess.run(None, {"x": x})[0]
        shift = 128 if t == "uint8" else 0
        got = np.stack([quant_ort.softmax(r.astype(np.int64) - shift, xs, ys, int(zy), t == "uint8")
                        for r in x]).astype(npt)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", QOP_CASES, ids=list(QOP_CASES))
def test_qlinearsoftmax(tmp_path: Path, case):
    t, shape, axis, opset, xs, ys, zy = QOP_CASES[case]
    npt, tp = TYPES[t]
    inits = [const("xs", F32(xs)), const("xz", npt(5)), const("ys", F32(ys)),
             const("yz", npt(zy))]
    node = helper.make_node("QLinearSoftmax", ["x", "xs", "xz", "ys", "yz"], ["y"],
                            domain="com.microsoft", axis=axis, opset=opset)
    p = save(tmp_path / "m.onnx", [node], [value("x", tp, shape)], [value("y", tp, shape)], inits)
    check(p, tmp_path / "w", n=6)


@pytest.mark.parametrize("t,reference", [("uint8", "x86"), ("int8", "x86-s8"), ("uint8", "x86-s8")])
def test_qdq_softmax(tmp_path: Path, t, reference):
    """x -> Q -> DQ -> Softmax -> Q -> DQ -> y (float I/O); onnxruntime fuses the group into
    QLinearSoftmax (on x86-64 with its defaults only for uint8: an int8 group stays float32,
    see --ort-reference)."""
    npt, tp = TYPES[t]
    zx, zy = (npt(130), npt(0)) if t == "uint8" else (npt(2), npt(-128))
    inits = [const("xs", F32(0.04)), const("xz", zx), const("ys", F32(1 / 256)),
             const("yz", zy)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node("Softmax", ["xd"], ["s"], axis=-1),
             helper.make_node("QuantizeLinear", ["s", "ys", "yz"], ["sq"]),
             helper.make_node("DequantizeLinear", ["sq", "ys", "yz"], ["y"])]
    p = save(tmp_path / "m.onnx", nodes, [value("x", TP.FLOAT, [2, 10])],
             [value("y", TP.FLOAT, [2, 10])], inits)
    check(p, tmp_path / "w", n=6, ort_reference=reference)
