"""Small float models quantized by onnxruntime's own tool (quantize_static), in QDQ and
QOperator forms, int8 and uint8 activations, per-tensor and per-channel weights: the compiled
C equals onnxruntime on random inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, save, value

F32 = np.float32


def _float_model(path: Path, residual: bool = True) -> Path:
    """Conv-Relu, depthwise Conv-Clip, a residual Add, MaxPool, AveragePool with padding,
    GlobalAveragePool, Flatten, Gemm: the ops of the MLPerf Tiny CNNs and more."""
    rng = np.random.default_rng(1)
    f = lambda *s: rng.normal(0, 0.3, size=s).astype(F32)  # noqa: E731
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], group=8),
             helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"]),
             helper.make_node("Add", ["r2", "r1"], ["s"]),
             helper.make_node("Relu", ["s"], ["rs"]),
             helper.make_node("Conv", ["rs", "w3", "b3"], ["c3"], strides=[2, 2]),
             helper.make_node("MaxPool", ["c3"], ["m"], kernel_shape=[2, 2], strides=[1, 1]),
             helper.make_node("AveragePool", ["m"], ["ap"], kernel_shape=[2, 2],
                              pads=[0, 0, 1, 1]),
             helper.make_node("GlobalAveragePool", ["ap"], ["g"]),
             helper.make_node("Flatten", ["g"], ["fl"]),
             helper.make_node("Gemm", ["fl", "w4", "b4"], ["y"], transB=1)]
    if not residual:
        nodes[4:6] = []
        nodes[4].input[0] = "r2"
    inits = [const("w1", f(8, 3, 3, 3)), const("b1", f(8)), const("w2", f(8, 1, 3, 3)),
             const("b2", f(8)), const("lo", F32(0)), const("hi", F32(6)),
             const("w3", f(6, 8, 3, 3)), const("b3", f(6)), const("w4", f(5, 6)),
             const("b4", f(5))]
    return save(path, nodes, [value("x", TP.FLOAT, [1, 3, 12, 12])],
                [value("y", TP.FLOAT, [1, 5])], inits)


@pytest.fixture(scope="module")
def float_models(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("float")
    return {r: _float_model(d / f"f{int(r)}.onnx", r) for r in (True, False)}


def _quantize(src: Path, dst: Path, fmt: str, act: str, per_channel: bool) -> Path:
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    rng = np.random.default_rng(2)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.data = iter([{"x": rng.normal(0, 1, (1, 3, 12, 12)).astype(F32)}
                              for _ in range(8)])

        def get_next(self):
            return next(self.data, None)

    quantize_static(str(src), str(dst), Reader(), quant_format=getattr(QuantFormat, fmt),
                    activation_type=getattr(QuantType, act), weight_type=QuantType.QInt8,
                    per_channel=per_channel)
    return dst


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("act", ["QInt8", "QUInt8"])
@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_quantize_static(tmp_path: Path, float_models, fmt, act, per_channel):
    """int8 QDQ with the residual Add is the exception (next test): there onnxruntime itself
    computes part of the model in float32, so it is checked on the model without the Add."""
    residual = not (fmt == "QDQ" and act == "QInt8")
    q = _quantize(float_models[residual], tmp_path / "q.onnx", fmt, act, per_channel)
    check(q, tmp_path / "w", n=10)


def test_int8_qdq_fanout_stays_float_in_onnxruntime(tmp_path: Path, float_models):
    """On x86-64, onnxruntime fuses int8 QDQ groups only after rewriting their Q/DQ pairs to
    uint8 (QDQS8ToU8Transformer); a quantized tensor read by two nodes (the residual Add's
    input) keeps int8, and the Conv and Add around it run as float32 Conv/Add between
    DequantizeLinear and QuantizeLinear (MLAS SGEMM: not reproducible by integer code in
    general). tinycc-ml compiles such a model with its integer kernels; this test pins down the
    reference behaviour that README.md documents."""
    import onnx
    import onnxruntime as ort
    q = _quantize(float_models[True], tmp_path / "q.onnx", "QDQ", "QInt8", False)
    opts = ort.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "opt.onnx")
    opts.log_severity_level = 3
    ort.InferenceSession(str(q), opts, providers=["CPUExecutionProvider"])
    kinds = [n.op_type for n in onnx.load(str(tmp_path / "opt.onnx")).graph.node]
    assert "Conv" in kinds and "Add" in kinds and "QLinearAdd" not in kinds


def test_c_contract(tmp_path: Path, float_models):
    """The generated C of a QOperator and a QDQ model builds with -Werror -pedantic under gcc,
    clang and arm-none-eabi-gcc, and runs clean under ASan + UBSan with onnxruntime's result."""
    from tests.onnx._ort import ort_run
    from tests.ops._c_contract import sanitized_run, strict_builds
    rng = np.random.default_rng(3)
    for fmt, act in (("QOperator", "QUInt8"), ("QDQ", "QInt8")):
        q = _quantize(float_models[fmt == "QOperator"], tmp_path / f"{fmt}.onnx", fmt, act,
                      True)
        strict_builds(q, tmp_path / f"strict_{fmt}")
        x = rng.normal(0, 1, (1, 3, 12, 12)).astype(F32)
        got = sanitized_run(q, [x], tmp_path / f"san_{fmt}")
        want = ort_run(q, [x])
        np.testing.assert_array_equal(np.asarray(got[0]).reshape(want[0].shape), want[0])


def _movement_model(path: Path) -> Path:
    """Conv-Relu, Pad (constant), Resize (nearest x2, PyTorch's asymmetric / floor), Slice,
    Conv, Mul by a per-channel constant and by an activation, Pad (reflect), GlobalAveragePool,
    Flatten, Gemm."""
    rng = np.random.default_rng(5)
    f = lambda *s: rng.normal(0, 0.3, size=s).astype(F32)  # noqa: E731
    i64 = lambda *v: const(v[0], np.array(v[1:], np.int64))  # noqa: E731
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Pad", ["r1", "p1"], ["pd"]),
             helper.make_node("Resize", ["pd", "", "sc"], ["rz"], mode="nearest",
                              coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
             helper.make_node("Slice", ["rz", "st", "en", "ax", "sp"], ["sl"]),
             helper.make_node("Conv", ["sl", "w2", "b2"], ["c2"], strides=[2, 2]),
             helper.make_node("Mul", ["c2", "k"], ["m1"]),
             helper.make_node("Mul", ["m1", "c2"], ["m2"]),
             helper.make_node("Pad", ["m2", "p2"], ["pr"], mode="reflect"),
             helper.make_node("GlobalAveragePool", ["pr"], ["g"]),
             helper.make_node("Flatten", ["g"], ["fl"]),
             helper.make_node("Gemm", ["fl", "w3", "b3"], ["y"], transB=1)]
    inits = [const("w1", f(6, 3, 3, 3)), const("b1", f(6)), i64("p1", 0, 0, 1, 2, 0, 0, 2, 1),
             const("sc", np.array([1, 1, 2, 2], F32)), i64("st", 1, -2), i64("en", 29, 0),
             i64("ax", 2, 3), i64("sp", 1, -2), const("w2", f(4, 6, 3, 3)), const("b2", f(4)),
             const("k", rng.uniform(0.5, 2, (4, 1, 1)).astype(F32)),
             i64("p2", 0, 0, 1, 1, 0, 0, 2, 1), const("w3", f(5, 4)), const("b3", f(5))]
    return save(path, nodes, [value("x", TP.FLOAT, [1, 3, 12, 12])],
                [value("y", TP.FLOAT, [1, 5])], inits)


@pytest.mark.parametrize("act", ["QInt8", "QUInt8"])
@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_quantize_static_movement_and_mul(tmp_path: Path, fmt, act):
    """Pad, Resize, Slice and Mul as quantize_static writes them (int8 QDQ under x86-s8: the
    second Mul reads a tensor that two nodes read, which the x86 default leaves in float32)."""
    q = _quantize(_movement_model(tmp_path / "f.onnx"), tmp_path / "q.onnx", fmt, act, True)
    reference = "x86-s8" if (fmt, act) == ("QDQ", "QInt8") else "x86"
    check(q, tmp_path / "w", n=6, ort_reference=reference)


def test_c_contract_movement_and_mul(tmp_path: Path):
    """The same for the Pad/Resize/Slice/Mul model (QOperator, uint8: QLinearMul with the
    uint8 zero point)."""
    from tests.onnx._ort import ort_run
    from tests.ops._c_contract import sanitized_run, strict_builds
    q = _quantize(_movement_model(tmp_path / "f.onnx"), tmp_path / "q.onnx", "QOperator",
                  "QUInt8", True)
    strict_builds(q, tmp_path / "strict")
    x = np.random.default_rng(4).normal(0, 1, (1, 3, 12, 12)).astype(F32)
    got = sanitized_run(q, [x], tmp_path / "san")
    want = ort_run(q, [x])
    np.testing.assert_array_equal(np.asarray(got[0]).reshape(want[0].shape), want[0])
