"""ONNX's own node tests (onnx/backend/test/case/node, the generators of
onnx/backend/test/data/node) for the quantized ops and the int8/uint8 cases of the ops tinycc-ml
compiles: models this project was not written against.

Each case is the model and the first data set the `onnx` package generates. A compiled model
has constant parameters, so every graph input but the first (scales, zero points, weights, the
second operand) becomes an initializer holding the case's value; the first stays the input.
Opset 28's QuantizeLinear / DequantizeLinear, which onnxruntime does not implement yet, are
declared opset 21, whose definition is the same for int8 / uint8 without the later attributes
(onnx.checker, run by the compiler, refuses an attribute opset 21 lacks).

A case either compiles, and the C equals onnxruntime and the case's own expected output exactly,
or stops with the one-line error (exit code 2) whose reason OUTCOMES gives. OUTCOMES lists every
case: a case added, removed or changing outcome fails here.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from tests.cli.test_errors import assert_one_line_error, time_limit
from tinycc_ml.cli import main

# the generator modules of onnx.backend.test.case.node read here
MODULES = ("qlinearconv", "qlinearmatmul", "convinteger", "matmulinteger", "quantizelinear",
           "dequantizelinear", "dynamicquantizelinear", "add", "mul", "maxpool")
QUANTIZED_OPS = {"QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
                 "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"}
INT8_TYPES = {onnx.TensorProto.INT8, onnx.TensorProto.UINT8}
ORT_OPSET = 21      # the highest opset of QuantizeLinear / DequantizeLinear onnxruntime runs

EXACT = None
_PER_AXIS = r"per-axis quantization of an activation \(3 scales\) is not supported"
_BLOCKED = r"blocked quantization \(block_size 2\) is not supported"
_FLOAT16_SCALE = r"constant '[a-z_]*scale' has type FLOAT16; supported: "
_DYNAMIC = (r"DynamicQuantizeLinear computes its scale and zero point at run time \(dynamic "
            r"quantization\); tinycc-ml compiles statically quantized models")
_BATCHED_B = r"one weight matrix per batch \(\[2, 4, 3\]\) is not supported; 2-D weights"


def _type(name: str) -> str:
    return rf"type {name}; supported: "


# case -> EXACT (compiles, equals onnxruntime and the expected output) or the refusal's reason
OUTCOMES = {
    "test_add_int8": r"graph input 'x' is an integer tensor that no quantized op reads|"
                     r"float ops are not supported",
    "test_add_uint8": r"graph input 'x' is an integer tensor that no quantized op reads|"
                      r"float ops are not supported",
    "test_mul_int8": r"float ops are not supported",
    "test_mul_uint8": r"float ops are not supported",
    "test_maxpool_2d_uint8": r"has no quantization parameters",
    "test_convinteger_without_padding": EXACT,
    "test_convinteger_with_padding": r"per-channel weight zero points: onnxruntime's "
                                     r"ConvInteger takes one",
    "test_matmulinteger": EXACT,
    "test_qlinearconv": EXACT,
    "test_qlinearmatmul_2D_uint8_float32": EXACT,
    "test_qlinearmatmul_2D_int8_float32": EXACT,
    "test_qlinearmatmul_3D_uint8_float32": _BATCHED_B,
    "test_qlinearmatmul_3D_int8_float32": _BATCHED_B,
    "test_qlinearmatmul_2D_uint8_float16": _FLOAT16_SCALE,
    "test_qlinearmatmul_2D_int8_float16": _FLOAT16_SCALE,
    "test_qlinearmatmul_3D_uint8_float16": _FLOAT16_SCALE,
    "test_qlinearmatmul_3D_int8_float16": _FLOAT16_SCALE,
    "test_quantizelinear": EXACT,
    "test_quantizelinear_axis": _PER_AXIS,
    "test_quantizelinear_blocked_asymmetric": _BLOCKED,
    "test_quantizelinear_blocked_symmetric": _BLOCKED,
    "test_quantizelinear_e4m3fn": _type("FLOAT8E4M3FN"),
    "test_quantizelinear_e5m2": _type("FLOAT8E5M2"),
    "test_quantizelinear_float4e2m1": _type("FLOAT4E2M1"),
    "test_quantizelinear_int16": _type("INT16"),
    "test_quantizelinear_uint16": _type("UINT16"),
    "test_quantizelinear_int4": _type("INT4"),
    "test_quantizelinear_uint4": _type("UINT4"),
    "test_quantizelinear_int2": _type("INT2"),
    "test_quantizelinear_uint2": _type("UINT2"),
    "test_dequantizelinear": EXACT,
    "test_dequantizelinear_axis": _PER_AXIS,
    "test_dequantizelinear_blocked": _BLOCKED,
    "test_dequantizelinear_e4m3fn": _type("FLOAT8E4M3FN"),
    "test_dequantizelinear_e4m3fn_float16": _type("FLOAT16"),
    "test_dequantizelinear_e4m3fn_zero_point": _type("FLOAT8E4M3FN"),
    "test_dequantizelinear_e5m2": _type("FLOAT8E5M2"),
    "test_dequantizelinear_float4e2m1": _type("FLOAT4E2M1"),
    "test_dequantizelinear_int16": _type("INT16"),
    "test_dequantizelinear_uint16": _type("UINT16"),
    "test_dequantizelinear_int4": _type("INT4"),
    "test_dequantizelinear_uint4": _type("UINT4"),
    "test_dequantizelinear_int2": _type("INT2"),
    "test_dequantizelinear_uint2": _type("UINT2"),
    "test_dynamicquantizelinear": _DYNAMIC,
    "test_dynamicquantizelinear_max_adjusted": _DYNAMIC,
    "test_dynamicquantizelinear_min_adjusted": _DYNAMIC,
}


def _cases() -> dict:
    """name -> onnx TestCase: every case of MODULES with a quantized op or an int8 / uint8
    graph input or output (not the *_expanded function bodies, made of float ops)."""
    import warnings
    from onnx.backend.test.case import node
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in MODULES:
            importlib.import_module(f"onnx.backend.test.case.node.{m}")
    found = {}
    for c in node._NodeTestCases:
        g = c.model.graph
        ops = {n.op_type for n in g.node}
        types = {v.type.tensor_type.elem_type for v in list(g.input) + list(g.output)}
        if (ops & QUANTIZED_OPS or types & INT8_TYPES) and not c.name.endswith("_expanded"):
            found[c.name] = c
    return found


CASES = _cases()


def _array(v) -> np.ndarray:
    return numpy_helper.to_array(v) if isinstance(v, onnx.TensorProto) else np.asarray(v)


def _compiled_model(case) -> tuple[onnx.ModelProto, np.ndarray, list[np.ndarray]]:
    """(the model with its parameters as initializers, the first input's value, the expected
    outputs)."""
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    g = m.graph
    first = g.input[0]
    for vi, v in list(zip(g.input, inputs))[1:]:
        if isinstance(v, onnx.TensorProto):
            t = onnx.TensorProto()
            t.CopyFrom(v)
            t.name = vi.name
        else:
            t = numpy_helper.from_array(np.asarray(v), vi.name)
        g.initializer.append(t)
    keep = onnx.ValueInfoProto()
    keep.CopyFrom(first)
    del g.input[:]
    g.input.append(keep)
    if {n.op_type for n in g.node} & {"QuantizeLinear", "DequantizeLinear"}:
        for o in m.opset_import:
            if o.domain in ("", "ai.onnx"):
                o.version = min(o.version, ORT_OPSET)
    return m, _array(inputs[0]), [_array(o) for o in outputs]


def test_outcomes_list_every_case():
    assert sorted(CASES) == sorted(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_node_case(tmp_path: Path, capsys, name):
    model, x, expected = _compiled_model(CASES[name])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    want = OUTCOMES[name]
    if want is not EXACT:
        with time_limit(30):
            rc = main(["compile", str(path), "-o", str(tmp_path / "out"), "-q"])
        cap = capsys.readouterr()
        assert_one_line_error(rc, cap.out, cap.err, tmp_path, name=path.name, expect=want)
        return
    from tests.onnx._ort import ort_run
    from tinycc_ml import hostbuild
    from tinycc_ml.compiler import Options, compile_file
    reference = ort_run(path, [x])
    for r, e in zip(reference, expected):
        np.testing.assert_array_equal(r, e)        # onnxruntime agrees with the case
    got = hostbuild.build(compile_file(path, Options(name="m")), tmp_path / "w").run([x])
    assert len(got) == len(expected)
    for g_, e in zip(got, expected):
        assert np.asarray(g_).dtype == e.dtype
        np.testing.assert_array_equal(np.asarray(g_).reshape(e.shape), e)
