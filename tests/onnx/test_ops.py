"""One onnx.helper graph per op and attribute set, QOperator and QDQ forms, compiled to C and
compared with onnxruntime (CPU EP, default optimizations) on random inputs, exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, save, value

F32 = np.float32
CONV_CASES = {  # id: (in_c, out_c, k, attrs, hw)
    "k3_p1": (3, 8, 3, dict(pads=[1, 1, 1, 1]), (9, 7)),
    "k3_s2_asym": (4, 6, 3, dict(pads=[0, 1, 2, 0], strides=[2, 2]), (10, 9)),
    "k5_d2": (2, 4, 5, dict(pads=[2, 2, 2, 2], dilations=[2, 2]), (12, 11)),
    "k1_s1x2": (16, 8, 1, dict(strides=[1, 2]), (5, 6)),
    "same_upper_s2": (3, 5, 3, dict(auto_pad="SAME_UPPER", strides=[2, 2]), (8, 7)),
    "same_lower_k2": (3, 5, 2, dict(auto_pad="SAME_LOWER"), (6, 6)),
    "valid_k3": (3, 5, 3, dict(auto_pad="VALID"), (7, 8)),
    "groups2": (4, 6, 3, dict(group=2, pads=[1, 1, 1, 1]), (6, 6)),
    "depthwise": (6, 6, 3, dict(group=6, pads=[1, 1, 1, 1]), (7, 7)),
    "depthwise_mult2_s2": (4, 8, 3, dict(group=4, strides=[2, 2]), (9, 9)),
}


def _conv_out(hw, k, attrs):
    s = attrs.get("strides", [1, 1])
    d = attrs.get("dilations", [1, 1])
    if attrs.get("auto_pad", "").startswith("SAME"):
        return [(hw[a] + s[a] - 1) // s[a] for a in range(2)]
    p = attrs.get("pads", [0, 0, 0, 0])
    return [(hw[a] + p[a] + p[a + 2] - (k - 1) * d[a] - 1) // s[a] + 1 for a in range(2)]


@pytest.mark.parametrize("dtype,per_channel", [("int8", False), ("uint8", True)],
                         ids=["int8_per_tensor", "uint8_per_channel"])
@pytest.mark.parametrize("case", CONV_CASES, ids=list(CONV_CASES))
def test_qlinearconv(tmp_path: Path, case, dtype, per_channel):
    in_c, out_c, k, attrs, hw = CONV_CASES[case]
    rng = np.random.default_rng(len(case))
    group = attrs.get("group", 1)
    w = rng.integers(-127, 128, (out_c, in_c // group, k, k)).astype(np.int8)
    ws = rng.uniform(0.002, 0.02, out_c if per_channel else 1).astype(F32)
    npt, tp = (np.int8, TP.INT8) if dtype == "int8" else (np.uint8, TP.UINT8)
    zx, zy = (npt(-4), npt(9)) if dtype == "int8" else (npt(120), npt(131))
    inits = [const("xs", F32(0.05)), const("xz", zx), const("w", w), const("ws", ws),
             const("wz", np.zeros(ws.size, np.int8)), const("ys", F32(0.15)), const("yz", zy),
             const("b", rng.integers(-3000, 3000, out_c).astype(np.int32))]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                            ["y"], **attrs)
    oh, ow = _conv_out(hw, k, attrs)
    p = save(tmp_path / "m.onnx", [node], [value("x", tp, [1, in_c, *hw])],
             [value("y", tp, [1, out_c, oh, ow])], inits)
    check(p, tmp_path / "w", n=3)


def _qdq(name: str, scale, zp, out: str | None = None):
    """DequantizeLinear of `name` (initializers <name>_s, <name>_z)."""
    return helper.make_node("DequantizeLinear", [name, f"{name}_s", f"{name}_z"],
                            [out or f"{name}_dq"])


def _conv_qdq_graph(tmp_path, act, relu: str, layout_io: str = "nchw"):
    """x (float) -> Q -> DQ -> Conv (DQ weights, DQ int32 bias) -> [Relu|Clip] -> Q -> DQ -> y."""
    rng = np.random.default_rng(7)
    npt = np.int8 if act == TP.INT8 else np.uint8
    zx = npt(3) if act == TP.INT8 else npt(131)
    zy = npt(-20) if act == TP.INT8 else npt(100)
    w = rng.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8)
    ws = rng.uniform(0.002, 0.02, 5).astype(F32)
    inits = [const("xs", F32(0.04)), const("xz", zx), const("w", w), const("w_s", ws),
             const("w_z", np.zeros(5, np.int8)),
             const("b", rng.integers(-500, 500, 5).astype(np.int32)),
             const("b_s", (F32(0.04) * ws).astype(F32)), const("b_z", np.zeros(5, np.int32)),
             const("ys", F32(0.1)), const("yz", zy), const("lo", F32(0.0)), const("hi", F32(3.0))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "w_s", "w_z"], ["wd"], axis=0),
             helper.make_node("DequantizeLinear", ["b", "b_s", "b_z"], ["bd"], axis=0),
             helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1])]
    last = "c"
    if relu == "relu":
        nodes.append(helper.make_node("Relu", ["c"], ["r"]))
        last = "r"
    elif relu == "clip":
        nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["r"]))
        last = "r"
    nodes += [helper.make_node("QuantizeLinear", [last, "ys", "yz"], ["yq"]),
              helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    return save(tmp_path / "m.onnx", nodes, [value("x", TP.FLOAT, [1, 3, 8, 8])],
                [value("y", TP.FLOAT, [1, 5, 8, 8])], inits)


@pytest.mark.parametrize("act", ["none", "relu", "clip"])
@pytest.mark.parametrize("dtype", [TP.INT8, TP.UINT8], ids=["int8", "uint8"])
def test_qdq_conv_float_io(tmp_path: Path, dtype, act):
    """Float model edges (QuantizeLinear: division, round half to even) and a fused activation."""
    p = _conv_qdq_graph(tmp_path, dtype, act)
    check(p, tmp_path / "w", n=4)


def test_qdq_conv_nhwc_io_and_integer_only(tmp_path: Path):
    p = _conv_qdq_graph(tmp_path, TP.INT8, "relu")
    check(p, tmp_path / "w1", n=3, io_layout="nhwc")
    check(p, tmp_path / "w2", n=3, integer_only=True)


def _pool_model(tmp_path, op: str, attrs: dict, hw, form: str, dtype=TP.INT8, same_q=False):
    npt = np.int8 if dtype == TP.INT8 else np.uint8
    shift = 0 if dtype == TP.INT8 else 128
    xs, xz = F32(0.031), npt(5 + shift)
    ys, yz = (xs, xz) if same_q else (F32(0.017), npt(-7 + shift))
    inits = [const("xs", xs), const("xz", xz), const("ys", ys), const("yz", yz)]
    if form == "qop":
        nodes = [helper.make_node(f"QLinear{op}", ["x", "xs", "xz", "ys", "yz"], ["y"],
                                  domain="com.microsoft", **attrs)]
    else:
        nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["d"]),
                 helper.make_node(op, ["d"], ["p"], **attrs),
                 helper.make_node("QuantizeLinear", ["p", "ys", "yz"], ["y"])]
    return save(tmp_path / "m.onnx", nodes, [value("x", dtype, [1, 16, *hw])],
                [value("y", dtype, None)], inits)


POOLS = {
    "k2_s2": dict(kernel_shape=[2, 2], strides=[2, 2]),
    "k3_s1_pads": dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    "k3_s2_pads_include": dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 2],
                               count_include_pad=1),
    "k3_s2_ceil": dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
    "k2_same_upper": dict(kernel_shape=[2, 2], auto_pad="SAME_UPPER"),
    "whole_image": dict(kernel_shape=[7, 6]),
}


@pytest.mark.parametrize("form", ["qdq", "qop"])
@pytest.mark.parametrize("case", POOLS, ids=list(POOLS))
def test_average_pool(tmp_path: Path, case, form):
    for dtype in (TP.INT8, TP.UINT8):
        p = _pool_model(tmp_path, "AveragePool", POOLS[case], (7, 6), form, dtype)
        check(p, tmp_path / f"w{dtype}", n=3)


@pytest.mark.parametrize("form", ["qdq", "qop"])
def test_global_average_pool(tmp_path: Path, form):
    for dtype in (TP.INT8, TP.UINT8):
        p = _pool_model(tmp_path, "GlobalAveragePool", {}, (9, 11), form, dtype)
        check(p, tmp_path / f"w{dtype}", n=3)
        check(p, tmp_path / f"wi{dtype}", n=2, integer_only=True)


@pytest.mark.parametrize("case", ["k2_s2", "k3_s1_pads", "k3_s2_ceil", "k2_same_upper"])
def test_max_pool(tmp_path: Path, case):
    p = _pool_model(tmp_path, "MaxPool", POOLS[case], (7, 6), "qdq", same_q=True)
    check(p, tmp_path / "w", n=3)


def test_matmul_gemm_forms(tmp_path: Path):
    """QLinearMatMul (per-column scales), QGemm transB, QDQ MatMul and Gemm with bias."""
    rng = np.random.default_rng(11)
    a_inits = [const("as", F32(0.03)), const("az", np.int8(2)), const("ys", F32(0.2)),
               const("yz", np.int8(-1))]
    b = rng.integers(-127, 128, (24, 10)).astype(np.int8)
    bs = rng.uniform(0.002, 0.02, 10).astype(F32)
    bias = rng.integers(-800, 800, 10).astype(np.int32)
    cases = {
        "qlinearmatmul": ([helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz",
                                                              "ys", "yz"], ["y"])],
                          [const("b", b), const("bs", bs), const("bz", np.zeros(10, np.int8))]),
        "qgemm_transb": ([helper.make_node("QGemm", ["a", "as", "az", "b", "bs", "bz", "c", "ys",
                                                     "yz"], ["y"], transB=1,
                                           domain="com.microsoft")],
                         [const("b", np.ascontiguousarray(b.T)), const("bs", bs),
                          const("bz", np.zeros(10, np.int8)), const("c", bias)]),
        "qdq_gemm": ([helper.make_node("DequantizeLinear", ["a", "as", "az"], ["ad"]),
                      helper.make_node("DequantizeLinear", ["b", "bs", "bz"], ["bd"], axis=1),
                      helper.make_node("DequantizeLinear", ["c", "cs", "cz"], ["cd"], axis=0),
                      helper.make_node("Gemm", ["ad", "bd", "cd"], ["g"]),
                      helper.make_node("Relu", ["g"], ["r"]),
                      helper.make_node("QuantizeLinear", ["r", "ys", "yz"], ["y"])],
                     [const("b", b), const("bs", bs), const("bz", np.zeros(10, np.int8)),
                      const("c", bias), const("cs", (F32(0.03) * bs).astype(F32)),
                      const("cz", np.zeros(10, np.int32))]),
        "qdq_matmul_per_tensor": ([helper.make_node("DequantizeLinear", ["a", "as", "az"], ["ad"]),
                                   helper.make_node("DequantizeLinear", ["b", "bs", "bz"], ["bd"]),
                                   helper.make_node("MatMul", ["ad", "bd"], ["g"]),
                                   helper.make_node("QuantizeLinear", ["g", "ys", "yz"], ["y"])],
                                  [const("b", b), const("bs", F32(0.01)),
                                   const("bz", np.int8(0))]),
    }
    for name, (nodes, inits) in cases.items():
        p = save(tmp_path / f"{name}.onnx", nodes, [value("a", TP.INT8, [2, 24])],
                 [value("y", TP.INT8, [2, 10])], a_inits + inits)
        check(p, tmp_path / name, n=3)


@pytest.mark.parametrize("dtype", [TP.INT8, TP.UINT8], ids=["int8", "uint8"])
@pytest.mark.parametrize("a_shape", [(3, 4, 6), (4, 6)], ids=["batched", "broadcast"])
def test_qlinearmatmul_weights_per_batch(tmp_path: Path, a_shape, dtype):
    """QLinearMatMul with a constant B [batch, depth, units]: a FULLY_CONNECTED per batch."""
    rng = np.random.default_rng(12)
    npt = np.int8 if dtype == TP.INT8 else np.uint8
    info = np.iinfo(npt)
    inits = [const("as", F32(0.03)), const("az", npt(info.min + 130)), const("ys", F32(0.2)),
             const("yz", npt(info.min + 120)), const("bs", F32(0.01)), const("bz", npt(3)),
             const("b", rng.integers(info.min, info.max + 1, (3, 6, 5)).astype(npt))]
    node = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
                            ["y"])
    p = save(tmp_path / "m.onnx", [node], [value("a", dtype, list(a_shape))],
             [value("y", dtype, None)], inits)
    check(p, tmp_path / "w", n=3)


def test_layout_ops(tmp_path: Path):
    """Transpose (cancelling the layout change), Concat on channels, Reshape, Flatten, Squeeze,
    Unsqueeze and QLinearConcat, int8 directly and in QDQ form."""
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (4, 3, 1, 1)).astype(np.int8)
    conv = lambda x, y: helper.make_node(  # noqa: E731
        "QLinearConv", [x, "s", "z", "w", "ws", "wz", "s", "z"], [y])
    inits = [const("s", F32(0.05)), const("z", np.int8(1)), const("w", w),
             const("ws", F32(0.01)), const("wz", np.int8(0)),
             const("shape", np.array([1, -1], np.int64)), const("ax", np.array([0], np.int64))]
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2]),   # NHWC -> NCHW
             conv("xt", "c1"), conv("xt", "c2"),
             helper.make_node("Concat", ["c1", "c2"], ["cat"], axis=1),
             helper.make_node("QLinearConcat", ["s", "z", "cat", "s", "z", "c1", "s", "z"],
                              ["cat2"], axis=1, domain="com.microsoft"),
             helper.make_node("Transpose", ["cat2"], ["back"], perm=[0, 2, 3, 1]),
             helper.make_node("Reshape", ["back", "shape"], ["flat"]),
             helper.make_node("Unsqueeze", ["flat", "ax"], ["u"]),
             helper.make_node("Squeeze", ["u", "ax"], ["y1"]),
             helper.make_node("Flatten", ["cat"], ["y2"], axis=2)]
    p = save(tmp_path / "m.onnx", nodes, [value("x", TP.INT8, [1, 5, 4, 3])],
             [value("y1", TP.INT8, [1, 240]), value("y2", TP.INT8, [8, 20])], inits)
    check(p, tmp_path / "w", n=3)
    from tinycc_ml.compiler import Options, compile_file
    kinds = [op.kind for op in compile_file(p, Options()).graph.ops]
    # the NHWC input feeds the convolutions directly (the two transposes cancel); one TRANSPOSE
    # brings the channels-first Flatten its NCHW order
    assert kinds.count("TRANSPOSE") == 1, kinds


@pytest.mark.parametrize("op", ["Add", "Mul"])
@pytest.mark.parametrize("form", ["qop", "qdq"])
def test_binary_broadcast(tmp_path: Path, form, op):
    """QLinearAdd / QLinearMul and QDQ Add / Mul of two activations in the NHWC layout and of a
    per-channel constant [C, 1, 1] (broadcast after the layout change), int8 and uint8."""
    rng = np.random.default_rng(9)
    for dtype, npt, shift in ((TP.INT8, np.int8, 0), (TP.UINT8, np.uint8, 128)):
        w = rng.integers(-127, 128, (6, 4, 1, 1)).astype(np.int8)
        c = rng.integers(0, 256, (6, 1, 1)).astype(np.uint8)
        c = (c.astype(np.int16) - 128 + shift).astype(npt)
        inits = [const("s", F32(0.05)), const("z", npt(3 + shift)), const("w", w),
                 const("ws", F32(0.01)), const("wz", np.int8(0)), const("c", c),
                 const("cs", F32(0.02)), const("cz", npt(-5 + shift)),
                 const("ys", F32(0.07)), const("yz", npt(-9 + shift))]
        conv = helper.make_node("QLinearConv", ["x", "s", "z", "w", "ws", "wz", "s", "z"], ["h"])
        if form == "qop":
            nodes = [conv,
                     helper.make_node(f"QLinear{op}", ["h", "s", "z", "x6", "s", "z", "ys",
                                                       "yz"], ["a1"], domain="com.microsoft"),
                     helper.make_node(f"QLinear{op}", ["a1", "ys", "yz", "c", "cs", "cz", "ys",
                                                       "yz"], ["y"], domain="com.microsoft")]
        else:
            nodes = [conv,
                     helper.make_node("DequantizeLinear", ["h", "s", "z"], ["hd"]),
                     helper.make_node("DequantizeLinear", ["x6", "s", "z"], ["xd"]),
                     helper.make_node("DequantizeLinear", ["c", "cs", "cz"], ["cd"]),
                     helper.make_node(op, ["hd", "xd"], ["a"]),
                     helper.make_node("QuantizeLinear", ["a", "ys", "yz"], ["aq"]),
                     helper.make_node("DequantizeLinear", ["aq", "ys", "yz"], ["ad"]),
                     helper.make_node(op, ["ad", "cd"], ["b"]),
                     helper.make_node("QuantizeLinear", ["b", "ys", "yz"], ["y"])]
        p = save(tmp_path / f"add{dtype}.onnx", nodes,
                 [value("x", dtype, [1, 4, 5, 7]), value("x6", dtype, [1, 6, 5, 7])],
                 [value("y", dtype, [1, 6, 5, 7])], inits)
        # int8 QDQ: x6's DequantizeLinear (an int8 graph input) keeps onnxruntime's x86
        # default from fusing the group (float32 Mul, not QLinearMul's formula): the int8 kernels
        reference = "x86-s8" if form == "qdq" and dtype == TP.INT8 else "x86"
        check(p, tmp_path / f"w{dtype}", n=4, ort_reference=reference)
