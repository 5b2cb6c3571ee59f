"""The DSP (SMLAD) and Helium (MVE) MAC loops of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
with onnxruntime's requantization (ops/_ort.py MacKernel, the `_ort` entry points of
runtime_c/tcm_conv_smlad.c, tcm_conv_mve.c, tcm_depthwise_smlad.c, tcm_depthwise_mve.c, tcm_fc.c,
tcm_fc_mve.c): QLinearConv and QLinearMatMul graphs whose zero points exercise the compile-time
shifts (uint8 activations, uint8 and int8 weights with non-zero zero points), compiled for
cortex-m4 and cortex-m55, equal to onnxruntime built for the host (the plain-C forms of the
instructions; float and integer-only requantization) and under QEMU; inspect names the kernel
each layer takes, and weights whose shifted values leave int8 keep the portable kernel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, save, value

F32 = np.float32
M4, M55 = "cortex-m4", "cortex-m55"
PORTABLE = "tcm_ort_conv_s8"
MAC_KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
# x type, w type, w zero point: uint8 activations with uint8 weights (zero point 100) or int8
# weights with zero point -5 (both shift into int8); int8 activations and symmetric weights
ZERO_POINTS = {"u8u8_wz100": (np.uint8, np.uint8, 100), "u8s8_wz-5": (np.uint8, np.int8, -5),
               "s8s8": (np.int8, np.int8, 0)}
# id: (in_c, out_c, k, attrs, hw, zero points, {target: kernel})
CASES = {
    "conv3x3_p1": (5, 6, 3, dict(pads=[1, 1, 1, 1]), (7, 6), "u8u8_wz100",
                   {M4: "tcm_conv2d_s8_smlad_ort", M55: "tcm_conv2d_s8_mve_ort"}),
    "conv1x1_s2": (16, 7, 1, dict(strides=[2, 2]), (5, 6), "u8s8_wz-5",
                   {M4: "tcm_conv2d_s8_smlad_ort", M55: "tcm_conv2d_s8_mve_ort"}),
    "dw3x3_s1": (8, 8, 3, dict(group=8, pads=[1, 1, 1, 1]), (6, 11), "u8s8_wz-5",
                 {M4: "tcm_depthwise_conv2d_s8_3x3_smlad_ort",
                  M55: "tcm_depthwise_conv2d_s8_mve_ort"}),
    "dw3x3_s2": (4, 4, 3, dict(group=4, pads=[1, 0, 1, 1], strides=[2, 2]), (9, 12), "u8u8_wz100",
                 {M4: "tcm_depthwise_conv2d_s8_3x3_smlad_ort",
                  M55: "tcm_depthwise_conv2d_s8_mve_ort"}),
    "dw5x5_d1": (8, 8, 5, dict(group=8, pads=[2, 2, 2, 2]), (6, 5), "u8u8_wz100",
                 {M4: "tcm_depthwise_conv2d_s8_smlad_ort",
                  M55: "tcm_depthwise_conv2d_s8_mve_ort"}),
    "dw_mult2": (3, 6, 3, dict(group=3, pads=[1, 1, 1, 1]), (5, 5), "u8s8_wz-5",
                 {M4: PORTABLE, M55: "tcm_depthwise_conv2d_s8_mve_ort"}),
    "groups2": (4, 6, 3, dict(group=2, pads=[1, 1, 1, 1]), (5, 5), "s8s8",
                {M4: PORTABLE, M55: PORTABLE}),
}
ONNX_TYPE = {np.uint8: TP.UINT8, np.int8: TP.INT8}


def _weights(rng, shape, wtype, wz: int) -> np.ndarray:
    """Weights whose value minus the zero point fits int8 (within the type's range)."""
    info = np.iinfo(wtype)
    return np.clip(wz + rng.integers(-128, 128, shape), info.min, info.max).astype(wtype)


def _y_scale(xs, ws, depth: int) -> F32:
    """About 3 standard deviations of a random layer's output over the int8 range."""
    return F32(xs * float(np.max(ws)) * np.sqrt(depth) * 74 * 74 * 3 / 127)


def _conv_node(rng, name: str, x: str, y: str, in_c: int, out_c: int, k: int, attrs,
               types, xq, per_channel: bool):
    """One QLinearConv reading x (scale, zero point xq); returns (node, inits, y's (scale, zp))."""
    xt, wt, wz = types
    group = attrs.get("group", 1)
    w = _weights(rng, (out_c, in_c // group, k, k), wt, wz)
    ws = rng.uniform(0.5, 1.0, out_c if per_channel else 1).astype(F32)
    ys = _y_scale(xq[0], ws, in_c // group * k * k)
    yz = xt(131) if xt == np.uint8 else xt(-3)
    inits = [const(f"{name}_ws", ws), const(f"{name}_wz", np.full(ws.size, wz, wt)),
             const(f"{name}_w", w), const(f"{name}_ys", ys), const(f"{name}_yz", yz),
             const(f"{name}_b", rng.integers(-3000, 3000, out_c).astype(np.int32))]
    node = helper.make_node("QLinearConv", [x, f"{x}_s", f"{x}_z", f"{name}_w", f"{name}_ws",
                                            f"{name}_wz", f"{name}_ys", f"{name}_yz",
                                            f"{name}_b"], [y], **attrs)
    return node, inits, (ys, yz)


def _out_hw(hw, k, attrs):
    s, p = attrs.get("strides", [1, 1]), attrs.get("pads", [0, 0, 0, 0])
    return [(hw[a] + p[a] + p[a + 2] - k) // s[a] + 1 for a in range(2)]


def _conv_model(path: Path, case: str) -> Path:
    in_c, out_c, k, attrs, hw, zps, _ = CASES[case]
    types = ZERO_POINTS[zps]
    xt = types[0]
    rng = np.random.default_rng(len(case) + len(zps))
    xq = (F32(0.02), xt(120) if xt == np.uint8 else xt(-4))
    node, inits, (ys, yz) = _conv_node(rng, "c", "x", "y", in_c, out_c, k, attrs, types, xq,
                                       per_channel=True)
    # the output's scale and zero point are the node's own y_scale / y_zero_point inputs
    inits += [const("x_s", xq[0]), const("x_z", xq[1])]
    return save(path, [node], [value("x", ONNX_TYPE[xt], [1, in_c, *hw])],
                [value("y", ONNX_TYPE[xt], [1, out_c, *_out_hw(hw, k, attrs)])], inits)


def _kernels(path: Path, target: str, **options) -> list[tuple[str, str, dict]]:
    """(kind, kernel, passed over) of each layer, as inspect reports them."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.inspect import report
    d = report(compile_file(path, Options(name="m", target=target, **options)), tflm=False)
    return [(x["kind"], x["kernel"], dict(x["passed_over"])) for x in d["layers"]]


@pytest.mark.parametrize("case", CASES)
def test_conv_kernels_on_host_builds(tmp_path: Path, case):
    """Each target's kernel (inspect) equals onnxruntime, its DSP / MVE loop in plain C."""
    p = _conv_model(tmp_path / "m.onnx", case)
    for target, want in CASES[case][6].items():
        [(kind, kernel, _)] = [x for x in _kernels(p, target) if x[0] in MAC_KINDS]
        assert kernel == want, (target, kind)
        check(p, tmp_path / target, n=2, target=target)


@pytest.mark.parametrize("target", [M4, M55])
def test_integer_only_requantization(tmp_path: Path, target):
    """The loops' integer-only requantization (cores without an FPU, TCM_ORT_INTEGER_ONLY):
    tcm_ort_requant_at (every MAC kernel but one) and the 3x3 depthwise kernel's records."""
    for case in ("conv3x3_p1", "dw3x3_s2"):
        p = _conv_model(tmp_path / f"{case}.onnx", case)
        check(p, tmp_path / case, n=2, integer_only=True, target=target)


def test_weights_that_do_not_shift_into_int8(tmp_path: Path):
    """uint8 weights over the whole 0..255 with zero point 60: w - 60 leaves int8, so the layer
    keeps the portable kernel and says why."""
    rng = np.random.default_rng(5)
    w = rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8)
    w[0, 0, 0, 0] = 255
    inits = [const("xs", F32(0.02)), const("xz", np.uint8(128)), const("w", w),
             const("ws", F32(0.004)), const("wz", np.uint8(60)), const("ys", F32(0.5)),
             const("yz", np.uint8(128))]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"],
                            pads=[1, 1, 1, 1])
    p = save(tmp_path / "m.onnx", [node], [value("x", TP.UINT8, [1, 3, 5, 5])],
             [value("y", TP.UINT8, [1, 4, 5, 5])], inits)
    [(_, kernel, passed)] = [x for x in _kernels(p, M4) if x[0] in MAC_KINDS]
    assert kernel == PORTABLE
    assert "zero point span [-60, 195], beyond int8" in passed["tcm_conv2d_s8_smlad_ort"]
    check(p, tmp_path / "w", n=2, target=M4)


def _chain(path: Path) -> Path:
    """uint8 x -> 3x3 conv (uint8 weights, zero point 100) -> 3x3 depthwise -> 3x3 depthwise,
    stride 2 -> 5x5 depthwise -> 1x1 conv (int8 weights, zero point -5) -> Flatten ->
    QLinearMatMul (uint8 weights, zero point 100): every MAC kernel of both cores, one model."""
    rng = np.random.default_rng(3)
    u8u8, u8s8 = ZERO_POINTS["u8u8_wz100"], ZERO_POINTS["u8s8_wz-5"]
    q = (F32(0.02), np.uint8(120))
    nodes, inits = [], [const("x_s", q[0]), const("x_z", q[1])]
    layers = [("a", 4, 8, 3, dict(pads=[1, 1, 1, 1]), u8u8),
              ("b", 8, 8, 3, dict(group=8, pads=[1, 1, 1, 1]), u8u8),
              ("c", 8, 8, 3, dict(group=8, pads=[1, 1, 1, 1], strides=[2, 2]), u8u8),
              ("d", 8, 8, 5, dict(group=8, pads=[2, 2, 2, 2]), u8u8),
              ("e", 8, 12, 1, {}, u8s8)]
    x = "x"
    for name, in_c, out_c, k, attrs, types in layers:
        node, more, q = _conv_node(rng, name, x, name, in_c, out_c, k, attrs, types, (q[0], q[1]),
                                   per_channel=name != "e")
        inits += more + [const(f"{name}_s", q[0]), const(f"{name}_z", q[1])]
        nodes.append(node)
        x = name
    nodes.append(helper.make_node("Flatten", ["e"], ["flat"]))
    w = _weights(rng, (12 * 4 * 4, 10), np.uint8, 100)
    ys = _y_scale(q[0], [F32(0.01)], 12 * 16)
    inits += [const("flat_s", q[0]), const("flat_z", q[1]), const("fw", w),
              const("fws", F32(0.01)), const("fwz", np.uint8(100)), const("fys", ys),
              const("fyz", np.uint8(128))]
    nodes.append(helper.make_node("QLinearMatMul", ["flat", "flat_s", "flat_z", "fw", "fws", "fwz",
                                                    "fys", "fyz"], ["y"]))
    return save(path, nodes, [value("x", TP.UINT8, [1, 4, 8, 8])],
                [value("y", TP.UINT8, [1, 10])], inits)


CHAIN = {M4: ["tcm_conv2d_s8_smlad_ort", "tcm_depthwise_conv2d_s8_3x3_smlad_ort",
              "tcm_depthwise_conv2d_s8_3x3_smlad_ort", "tcm_depthwise_conv2d_s8_smlad_ort",
              "tcm_conv2d_s8_smlad_ort", "tcm_fully_connected_s8_smlad_ort"],
         M55: ["tcm_conv2d_s8_mve_ort"] + ["tcm_depthwise_conv2d_s8_mve_ort"] * 3 +
              ["tcm_conv2d_s8_mve_ort", "tcm_fully_connected_s8_mve_ort"]}


@pytest.mark.parametrize("target", [M4, M55])
def test_chain_under_qemu(tmp_path: Path, target):
    """verify --target: the core's outputs equal onnxruntime's on 3 random inputs."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.verify import verify
    p = _chain(tmp_path / "chain.onnx")
    macs = [k for kind, k, _ in _kernels(p, target) if kind in MAC_KINDS]
    assert macs == CHAIN[target]
    res = verify(compile_file(p, Options(name="chain", target=target)), p, n_random=3,
                 target=target, log=lambda *a: None)
    assert res.runs == 3 and res.exact, (res.max_diff, res.diff_count)
    check(p, tmp_path / "host", n=3, target=target)
