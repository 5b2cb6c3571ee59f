"""ONNX Resize, mode linear, of int8 / uint8 tensors (height and width): onnxruntime runs a
Resize of a graph input in NCHW with float32 weights (UpsampleBilinear<T>) and, after its NHWC
transformer moved it, one after a QLinearConv in NHWC with weights in 1/1024
(NhwcUpsampleBilinearInteger); both are compiled and compared with onnxruntime exactly, over
coordinate modes, scales and sizes; the contexts where onnxruntime's choice is not reproduced
are refused in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto as TP, helper

from tests.cli.test_errors import assert_one_line_error
from tests.onnx._ort import check, const, save, value
from tests.onnx.test_errors import _compile

F32 = np.float32
MODES = ("half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners",
         "tf_half_pixel_for_nn")
CASES = {  # id: (hw, scales or None, sizes or None)
    "x2": ((4, 5), (2.0, 2.0), None),
    "odd_scales": ((5, 7), (1.7, 0.6), None),
    "sizes": ((6, 4), None, (11, 9)),
    "down": ((9, 8), None, (4, 3)),
}


def _resize(name_in: str, name_out: str, mode: str, scales, sizes):
    inputs = [name_in, "", "rz_scales"] if scales else [name_in, "", "", "rz_sizes"]
    return helper.make_node("Resize", inputs, [name_out], mode="linear",
                            coordinate_transformation_mode=mode)


def _params(c: int, scales, sizes):
    if scales:
        return [const("rz_scales", np.array([1, 1, *scales], F32))]
    return [const("rz_sizes", np.array([1, c, *sizes], np.int64))]


@pytest.mark.parametrize("dtype", [TP.INT8, TP.UINT8], ids=["int8", "uint8"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_resize_of_graph_input(tmp_path: Path, case, mode, dtype):
    hw, scales, sizes = CASES[case]
    p = save(tmp_path / "m.onnx", [_resize("x", "y", mode, scales, sizes)],
             [value("x", dtype, [1, 3, *hw])], [value("y", dtype, None)],
             _params(3, scales, sizes), opset=18)
    check(p, tmp_path / "w", n=2)


def test_resize_nhwc_io(tmp_path: Path):
    p = save(tmp_path / "m.onnx", [_resize("x", "y", "half_pixel", (1.5, 2.5), None)],
             [value("x", TP.UINT8, [1, 2, 5, 4])], [value("y", TP.UINT8, None)],
             _params(2, (1.5, 2.5), None), opset=18)
    check(p, tmp_path / "w", n=2, io_layout="nhwc")


def _conv_resize(tmp_path, dtype, mode, scales, sizes, conv_after: bool):
    npt = np.int8 if dtype == TP.INT8 else np.uint8
    zp = npt(3) if dtype == TP.INT8 else npt(131)
    rng = np.random.default_rng(2)
    inits = [const("xs", F32(0.05)), const("xz", zp), const("ys", F32(0.08)), const("yz", zp),
             const("w", rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)),
             const("w2", rng.integers(-127, 128, (2, 4, 1, 1)).astype(np.int8)),
             const("ws", F32(0.01)), const("wz", np.int8(0))] + _params(4, scales, sizes)
    nodes = [helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"],
                              ["c"], pads=[1, 1, 1, 1]),
             _resize("c", "r", mode, scales, sizes)]
    out = "r"
    if conv_after:
        nodes.append(helper.make_node("QLinearConv", ["r", "ys", "yz", "w2", "ws", "wz", "ys",
                                                      "yz"], ["y"]))
        out = "y"
    return save(tmp_path / "m.onnx", nodes, [value("x", dtype, [1, 3, 6, 5])],
                [value(out, dtype, None)], inits, opset=18)


@pytest.mark.parametrize("dtype", [TP.INT8, TP.UINT8], ids=["int8", "uint8"])
@pytest.mark.parametrize("mode,case,conv_after", [
    ("half_pixel", "x2", True), ("asymmetric", "odd_scales", False),
    ("align_corners", "sizes", True), ("pytorch_half_pixel", "down", False),
    ("tf_half_pixel_for_nn", "odd_scales", True)])
def test_resize_after_qlinearconv(tmp_path: Path, dtype, mode, case, conv_after):
    """onnxruntime's NHWC integer kernel (under both sessions)."""
    _, scales, sizes = CASES[case]
    p = _conv_resize(tmp_path, dtype, mode, scales, sizes, conv_after)
    check(p, tmp_path / "w1", n=2)
    check(p, tmp_path / "w2", n=2, ort_reference="x86-s8")


def test_resize_to_the_same_shape_is_a_copy(tmp_path: Path):
    """A scale != 1 whose output size equals the input's: onnxruntime copies the input."""
    p = _conv_resize(tmp_path, TP.INT8, "half_pixel", (1.1, 1.15), None, True)
    check(p, tmp_path / "w", n=2)


REFUSED = {
    "qdq": r"supported where that is known: a Resize of a graph input \(NCHW\) or of a "
           r"QLinearConv's output \(NHWC\)",
    "cubic": r"mode 'cubic' is not supported; supported: nearest, linear",
    "crop": r"coordinate_transformation_mode 'tf_crop_and_resize' is not supported with mode "
            r"linear",
    "symmetric": r"coordinate_transformation_mode 'half_pixel_symmetric' is not supported "
                 r"with mode linear",
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused(tmp_path: Path, capsys, case):
    inits = _params(2, (2.0, 2.0), None) + [const("s", F32(0.1)), const("z", np.int8(0))]
    mode = {"crop": "tf_crop_and_resize", "symmetric": "half_pixel_symmetric"}.get(
        case, "half_pixel")
    node = _resize("d" if case == "qdq" else "x", "r", mode, (2.0, 2.0), None)
    if case == "cubic":
        node = helper.make_node("Resize", ["x", "", "rz_scales"], ["r"], mode="cubic")
    nodes = [node]
    if case == "qdq":
        nodes = [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["d"]), node,
                 helper.make_node("QuantizeLinear", ["r", "s", "z"], ["q"])]
    save(tmp_path / "src.onnx", nodes, [value("x", TP.INT8, [1, 2, 4, 4])],
         [value("q" if case == "qdq" else "r", TP.INT8, None)], inits, opset=18)
    rc, out, err = _compile((tmp_path / "src.onnx").read_bytes(), tmp_path, capsys)
    assert_one_line_error(rc, out, err, tmp_path, name="bad.onnx", expect=REFUSED[case])


def test_asan_ubsan(tmp_path: Path):
    """Both kernels under ASan + UBSan."""
    from tests.onnx._ort import sanitized_check
    sanitized_check(save(tmp_path / "m.onnx", [_resize("x", "y", "half_pixel", None, (9, 3))],
                         [value("x", TP.UINT8, [1, 3, 4, 5])], [value("y", TP.UINT8, None)],
                         _params(3, None, (9, 3)), opset=18), tmp_path / "a")
    sanitized_check(_conv_resize(tmp_path, TP.INT8, "asymmetric", (1.7, 0.6), None, True),
                    tmp_path / "b")


def _on_core(path: Path, target: str) -> None:
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.verify import verify
    c = compile_file(path, Options(name="m", target=target))
    res = verify(c, path, n_random=2, target=target, log=lambda *a: None)
    assert res.runs == 2 and res.exact, (res.max_diff, res.diff_count)


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
def test_on_core(tmp_path: Path, target):
    """verify --target under QEMU (the float32 kernel on the cores' FPU, the integer one)."""
    _on_core(save(tmp_path / "f.onnx", [_resize("x", "y", "half_pixel", (1.5, 2.5), None)],
                  [value("x", TP.UINT8, [1, 3, 8, 8])], [value("y", TP.UINT8, None)],
                  _params(3, (1.5, 2.5), None), opset=18), target)
    _on_core(_conv_resize(tmp_path, TP.INT8, "half_pixel", (2.0, 2.0), None, True), target)
