"""com.microsoft QLinearMul over every pair of int8 / uint8 codes (a [256, 1] times b [1, 256],
broadcast), for scale sets that make many products land on a tie (ratio 0.5, 1.5, ...) with odd
output zero points, and random ones: the generated C equals onnxruntime exactly (x86-64: the
product times the float32 ratio, plus the zero point of the type it runs, then round half to
even), and a quantize_static QDQ model of a float Mul graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, ort_run, save, value
from tinycc_ml import hostbuild
from tinycc_ml.compiler import Options, compile_file

F32 = np.float32
TYPES = {"int8": (np.int8, TP.INT8, 0), "uint8": (np.uint8, TP.UINT8, 128)}
SCALES = {  # id: (a scale, b scale, c scale, a zp, b zp, c zp) in the int8 domain
    "ties_half": (0.5, 0.25, 0.25, 0, 0, 3),
    "ties_three_halves": (0.75, 0.5, 0.25, -3, 5, -7),
    "ties_quarter_zp_odd": (0.125, 0.5, 0.25, 1, -1, 1),
    "saturating": (0.5, 0.5, 0.01, 10, -20, 0),
    "random_a": (0.0173, 0.0291, 0.0613, -9, 4, 17),
    "random_b": (0.31, 0.0047, 0.0089, 100, -128, -50),
}


@pytest.mark.parametrize("t", TYPES)
@pytest.mark.parametrize("case", SCALES, ids=list(SCALES))
def test_every_pair(tmp_path: Path, case, t):
    sa, sb, sc, za, zb, zc = SCALES[case]
    npt, tp, shift = TYPES[t]
    inits = [const("as", F32(sa)), const("az", npt(za + shift)), const("bs", F32(sb)),
             const("bz", npt(zb + shift)), const("cs", F32(sc)), const("cz", npt(zc + shift))]
    node = helper.make_node("QLinearMul", ["a", "as", "az", "b", "bs", "bz", "cs", "cz"], ["c"],
                            domain="com.microsoft")
    p = save(tmp_path / "m.onnx", [node], [value("a", tp, [256, 1]), value("b", tp, [1, 256])],
             [value("c", tp, [256, 256])], inits)
    codes = (np.arange(-128, 128) + shift).astype(npt)
    feeds = [codes.reshape(256, 1), codes.reshape(1, 256)]
    want = ort_run(p, feeds)[0]
    model = hostbuild.build(compile_file(p, Options(name="m")), tmp_path / "w")
    np.testing.assert_array_equal(np.asarray(model.run(feeds)[0]).reshape(want.shape), want)


@pytest.mark.parametrize("reference", ["x86", "x86-s8"])
@pytest.mark.parametrize("t", TYPES)
def test_quantize_static_qdq(tmp_path: Path, t, reference):
    """A float graph x * w (a constant [C, 1, 1]) * x quantized by onnxruntime's quantize_static
    (QDQ): under the x86 default the int8 groups run as uint8 (QDQS8ToU8Transformer)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, \
        quantize_static
    rng = np.random.default_rng(4)
    w = rng.uniform(-2, 2, (3, 1, 1)).astype(F32)
    nodes = [helper.make_node("Mul", ["x", "w"], ["m"]), helper.make_node("Mul", ["m", "x"],
                                                                            ["y"])]
    graph = helper.make_graph(nodes, "g", [value("x", TP.FLOAT, [1, 3, 4, 5])],
                              [value("y", TP.FLOAT, [1, 3, 4, 5])], [const("w", w)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(model, str(src))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.data = iter([{"x": rng.uniform(-3, 3, (1, 3, 4, 5)).astype(F32)}
                              for _ in range(8)])

        def get_next(self):
            return next(self.data, None)

    qt = QuantType.QInt8 if t == "int8" else QuantType.QUInt8
    quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=qt, weight_type=qt)
    assert "Mul" in [n.op_type for n in onnx.load(str(dst)).graph.node]
    check(dst, tmp_path / "w", n=4, ort_reference=reference)
