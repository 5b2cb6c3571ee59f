"""ConvInteger and MatMulInteger (int8 / uint8 operands, optional zero points, int32 outputs):
onnx.helper graphs over attributes, types and zero points, compiled to C and compared with
onnxruntime exactly; the static pattern (a float input's QuantizeLinear -> MatMulInteger); the
refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, save, value
from tests.onnx.test_errors import _compile
from tests.cli.test_errors import assert_one_line_error

TYPES = {"s8": (np.int8, TP.INT8), "u8": (np.uint8, TP.UINT8)}
CONV_CASES = {  # id: (in_c, out_c, k, attrs, hw)
    "k3_p1": (3, 4, 3, dict(pads=[1, 1, 1, 1]), (6, 5)),
    "k3_s2_asym_d": (4, 6, 3, dict(pads=[0, 1, 2, 0], strides=[2, 1], dilations=[1, 2]), (9, 8)),
    "same_lower": (3, 2, 2, dict(auto_pad="SAME_LOWER", strides=[2, 2]), (7, 6)),
    "groups2": (4, 6, 3, dict(group=2, pads=[1, 1, 1, 1]), (5, 5)),
    "depthwise": (5, 5, 3, dict(group=5, pads=[1, 0, 1, 0]), (4, 6)),
}


def _zp(rng, npt, present: bool):
    info = np.iinfo(npt)
    return npt(rng.integers(info.min, info.max + 1)) if present else None


def _conv_model(tmp_path, case, xt, wt, zps: bool):
    in_c, out_c, k, attrs, hw = CONV_CASES[case]
    rng = np.random.default_rng(len(case))
    (xn, xtp), (wn, _) = TYPES[xt], TYPES[wt]
    info = np.iinfo(wn)
    w = rng.integers(info.min, info.max + 1, (out_c, in_c // attrs.get("group", 1), k, k))
    inits = [const("w", w.astype(wn))]
    names = ["x", "w"]
    if zps:
        inits += [const("xz", _zp(rng, xn, True)), const("wz", _zp(rng, wn, True))]
        names += ["xz", "wz"]
    node = helper.make_node("ConvInteger", names, ["y"], **attrs)
    return save(tmp_path / "m.onnx", [node], [value("x", xtp, [1, in_c, *hw])],
                [value("y", TP.INT32, None)], inits)


@pytest.mark.parametrize("types,zps", [("u8u8", True), ("s8s8", True), ("u8s8", False),
                                       ("s8u8", True)])
@pytest.mark.parametrize("case", CONV_CASES, ids=list(CONV_CASES))
def test_convinteger(tmp_path: Path, case, types, zps):
    p = _conv_model(tmp_path, case, types[:2], types[2:], zps)
    check(p, tmp_path / "w", n=2)


def test_convinteger_nhwc_io(tmp_path: Path):
    check(_conv_model(tmp_path, "groups2", "u8", "s8", True), tmp_path / "w", n=2,
          io_layout="nhwc")


def _matmul_model(tmp_path, a_shape, units, at, bt, b_zp: str, name="m.onnx"):
    """A [a_shape] x B [depth, units]; b_zp: 'none', 'tensor' or 'column'."""
    rng = np.random.default_rng(units)
    (an, atp), (bn, _) = TYPES[at], TYPES[bt]
    info = np.iinfo(bn)
    depth = a_shape[-1]
    b = rng.integers(info.min, info.max + 1, (depth, units)).astype(bn)
    inits = [const("b", b), const("az", _zp(rng, an, True))]
    names = ["a", "b", "az"]
    if b_zp != "none":
        zp = rng.integers(info.min, info.max + 1, units if b_zp == "column" else 1)
        inits.append(const("bz", zp.astype(bn) if b_zp == "column" else bn(zp[0])))
        names.append("bz")
    node = helper.make_node("MatMulInteger", names, ["y"])
    return save(tmp_path / name, [node], [value("a", atp, list(a_shape))],
                [value("y", TP.INT32, None)], inits)


@pytest.mark.parametrize("types", ["u8u8", "s8s8", "u8s8", "s8u8"])
@pytest.mark.parametrize("a_shape,units,b_zp", [((3, 8), 5, "tensor"), ((2, 3, 16), 4, "column"),
                                                ((1, 2, 2, 7), 3, "none"), ((9,), 6, "tensor")],
                         ids=["2d", "3d_per_column", "4d_no_bzp", "1d"])
def test_matmulinteger(tmp_path: Path, a_shape, units, b_zp, types):
    check(_matmul_model(tmp_path, a_shape, units, types[:2], types[2:], b_zp), tmp_path / "w",
          n=3)


@pytest.mark.parametrize("dtype", [TP.INT8, TP.UINT8], ids=["int8", "uint8"])
def test_static_quantize_then_matmulinteger(tmp_path: Path, dtype):
    """A float input quantized with a static scale and zero point, then MatMulInteger with that
    zero point: the int32 sums of the quantized input (QuantizeLinear divides, rounds half to
    even)."""
    rng = np.random.default_rng(3)
    npt = np.int8 if dtype == TP.INT8 else np.uint8
    zp = npt(-5) if dtype == TP.INT8 else npt(121)
    inits = [const("s", np.float32(0.021)), const("z", zp),
             const("b", rng.integers(-128, 128, (6, 4)).astype(np.int8)),
             const("bz", np.int8(3))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("MatMulInteger", ["q", "b", "z", "bz"], ["y"])]
    p = save(tmp_path / "m.onnx", nodes, [value("x", TP.FLOAT, [2, 6])],
             [value("y", TP.INT32, None)], inits)
    check(p, tmp_path / "w", n=4)


def _scaled(tmp_path, op: str, scale, extra_mul=False):
    """x -> QuantizeLinear (static) -> op -> Cast(float) -> Mul(scale) -> y (float): the
    static form of what quantize_dynamic writes after MatMulInteger / ConvInteger."""
    rng = np.random.default_rng(5)
    inits = [const("s", np.float32(0.013)), const("z", np.uint8(140)),
             const("scale", np.asarray(scale, np.float32)), const("bz", np.uint8(129))]
    if op == "MatMulInteger":
        inits.append(const("b", rng.integers(0, 256, (12, 5)).astype(np.uint8)))
        x_shape, names, attrs = [3, 12], ["q", "b", "z", "bz"], {}
    else:
        inits.append(const("b", rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8)))
        x_shape, names, attrs = [1, 3, 6, 5], ["q", "b", "z", "bz"], dict(pads=[1, 1, 1, 1])
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node(op, names, ["acc"], **attrs),
             helper.make_node("Cast", ["acc"], ["f"], to=TP.FLOAT),
             helper.make_node("Mul", ["f", "scale"], ["y"])]
    if extra_mul:
        nodes.append(helper.make_node("Relu", ["y"], ["r"]))
    return save(tmp_path / "src.onnx", nodes, [value("x", TP.FLOAT, x_shape)],
                [value("r" if extra_mul else "y", TP.FLOAT, None)], inits)


@pytest.mark.parametrize("op,layout", [("MatMulInteger", "nchw"), ("ConvInteger", "nchw"),
                                       ("ConvInteger", "nhwc")])
def test_cast_mul_float_output(tmp_path: Path, op, layout):
    """float32(sum) * scale, as onnxruntime's Cast and Mul compute it."""
    p = _scaled(tmp_path, op, np.float32(0.013) * np.float32(0.0071))
    check(p, tmp_path / "w", n=4, io_layout=layout)


CAST_REFUSED = {
    "per_column": (dict(scale=np.linspace(0.001, 0.002, 5)), r"must multiply by one float32 "
                   r"constant \(per-column scales are not supported\)"),
    "float_op_after": (dict(scale=0.01, extra_mul=True),
                       r"op \d+ \(Relu 'r'\): Relu is supported between DequantizeLinear and "
                       r"QuantizeLinear \(QDQ\), not on a float32 tensor"),
}


@pytest.mark.parametrize("case", CAST_REFUSED)
def test_cast_mul_refused(tmp_path: Path, capsys, case):
    kwargs, expect = CAST_REFUSED[case]
    _scaled(tmp_path, "MatMulInteger", **kwargs)
    rc, out, err = _compile((tmp_path / "src.onnx").read_bytes(), tmp_path, capsys)
    assert_one_line_error(rc, out, err, tmp_path, name="bad.onnx", expect=expect)


REFUSED = {
    "per_channel_conv_zp": r"per-channel weight zero points: onnxruntime's ConvInteger takes one",
    "batched_weights": r"one weight matrix per batch \(\[2, 8, 5\]\) is not supported",
    "activation_b": r"the weights 'b' must be a constant",
    "per_row_a_zp": r"the zero point 'az' must be a single value, has 3",
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused(tmp_path: Path, capsys, case):
    rng = np.random.default_rng(0)
    if case == "per_channel_conv_zp":
        inits = [const("w", rng.integers(0, 256, (2, 3, 1, 1)).astype(np.uint8)),
                 const("xz", np.uint8(1)), const("wz", np.array([1, 2], np.uint8))]
        nodes = [helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"])]
        inputs = [value("x", TP.UINT8, [1, 3, 4, 4])]
    else:
        b_shape = (2, 8, 5) if case == "batched_weights" else (8, 5)
        inits = [const("az", np.uint8(1) if case != "per_row_a_zp" else
                       np.array([1, 2, 3], np.uint8))]
        inputs = [value("a", TP.UINT8, [3, 8] if case != "batched_weights" else [2, 3, 8])]
        if case == "activation_b":
            inputs.append(value("b", TP.UINT8, list(b_shape)))
        else:
            inits.append(const("b", rng.integers(0, 256, b_shape).astype(np.uint8)))
        nodes = [helper.make_node("MatMulInteger", ["a", "b", "az"], ["y"])]
    save(tmp_path / "src.onnx", nodes, inputs, [value("y", TP.INT32, None)], inits)
    rc, out, err = _compile((tmp_path / "src.onnx").read_bytes(), tmp_path, capsys)
    assert_one_line_error(rc, out, err, tmp_path, name="bad.onnx", expect=REFUSED[case])


def test_asan_ubsan(tmp_path: Path):
    """CONV_INTEGER (padding, groups) and the int32 DEQUANTIZE under ASan + UBSan."""
    from tests.onnx._ort import sanitized_check
    sanitized_check(_conv_model(tmp_path, "groups2", "u8", "s8", True), tmp_path / "a")
    sanitized_check(_scaled(tmp_path, "ConvInteger", np.float32(0.001)), tmp_path / "b")


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
def test_on_core(tmp_path: Path, target):
    """verify --target under QEMU: ConvInteger's int32 output, MatMulInteger -> Cast -> Mul."""
    from tests.onnx.test_resize_linear import _on_core
    _on_core(_conv_model(tmp_path, "groups2", "u8", "s8", True), target)
    _on_core(_scaled(tmp_path, "MatMulInteger", np.float32(0.0001)), target)
