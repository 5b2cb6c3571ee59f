"""ABS and RSQRT int8, ABS int16 (ops/abs_rsqrt.py) against TFLite BUILTIN_REF: hypothesis over
input and output quantization written into a converted model, each int8 one run on all 256
input values (RSQRT's input zero point -128, so every value is in its domain), each int16 one
(the 16x8 scheme, zero points 0) on the int16 extremes and random values, through the
generated C; the C contract (int8, int16); int8 SQRT and int16 RSQRT refused, and an int16
ABS whose rescale overflows TFLite's int32 arithmetic."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import x16_tflite
from tests.ops._props import MODELS, op_of
from tests.ops._tflite_edit import set_opcode, set_quants
from tests.util import compile_and_build, int8_tflite, single_layer, tf, write_model
from tinycc_ml.reference import TFLiteReference

ALL = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)


@lru_cache(maxsize=None)
def _model(kind: str, int16: bool = False) -> bytes:
    """ABS or RSQRT of a 256-value (int8) or 512-value (16x8) vector, converted by TFLite."""
    n, convert = (512, x16_tflite) if int16 else (256, int8_tflite)
    if kind == "ABS":
        return convert(single_layer((n,), lambda k, x: k.ops.abs(x)), [(n,)], low=-3.0, high=2.0)
    return convert(single_layer((n,), lambda k, x: k.layers.Lambda(
        lambda t: tf().math.rsqrt(t))(x)), [(n,)], low=0.05, high=4.0)


def _exhaustive(data: bytes) -> None:
    path = write_model(data, Path(tempfile.mkdtemp(prefix="tcm-prop-")))
    want = TFLiteReference(path).run([ALL])[0]
    got = compile_and_build(path).run([ALL])[0]
    np.testing.assert_array_equal(got.reshape(-1), want.reshape(-1))


@MODELS
@given(in_scale=st.floats(0.001, 0.5), in_zp=st.integers(-128, 127),
       out_scale=st.floats(0.001, 0.5), out_zp=st.integers(-128, 127), same_scale=st.booleans())
def test_abs_all_inputs(in_scale, in_zp, out_scale, out_zp, same_scale):
    data = _model("ABS")
    op = op_of(data, "ABS")
    out_scale = in_scale if same_scale else out_scale       # needs_rescale false / true
    _exhaustive(set_quants(data, {op.inputs[0]: (in_scale, in_zp),
                                  op.outputs[0]: (out_scale, out_zp)}))


@MODELS
@given(in_scale=st.floats(1e-3, 0.5), out_scale=st.floats(1e-3, 0.5),
       out_zp=st.integers(-128, 127))
def test_rsqrt_all_inputs(in_scale, out_scale, out_zp):
    data = _model("RSQRT")
    op = op_of(data, "RSQRT")
    _exhaustive(set_quants(data, {op.inputs[0]: (in_scale, -128),
                                  op.outputs[0]: (out_scale, out_zp)}))


def test_abs_rsqrt_converted_and_c_contract(tmp_path):
    for kind in ("ABS", "RSQRT"):
        path = write_model(_model(kind), tmp_path, f"{kind}.tflite")
        assert_c_contract(path, [ALL], tmp_path / kind)


def test_sqrt_int8_is_refused(tmp_path):
    data = set_opcode(_model("RSQRT"), "RSQRT", "SQRT", version=1)
    op = op_of(data, "SQRT")
    msg = compile_error(data, tmp_path, starts=f"bad.tflite: op {op.index} (SQRT")
    assert "not supported (`tinycc-ml ops` lists the supported ops)" in msg, msg


# --- int16 (the 16x8 scheme) ---

def _all16() -> np.ndarray:
    edges = np.array([-32768, -32767, -256, -1, 0, 1, 255, 32766, 32767])
    rest = np.random.default_rng(0).integers(-32768, 32768, 512 - edges.size)
    return np.concatenate([edges, rest]).astype(np.int16).reshape(1, 512)


@MODELS
@given(in_scale=st.floats(1e-5, 0.5), out_scale=st.floats(1e-4, 0.5), same_scale=st.booleans())
def test_abs_int16(in_scale, out_scale, same_scale):
    data = _model("ABS", int16=True)
    op = op_of(data, "ABS")
    out_scale = in_scale if same_scale else out_scale
    path = write_model(set_quants(data, {op.inputs[0]: (in_scale, 0),
                                         op.outputs[0]: (out_scale, 0)}),
                       Path(tempfile.mkdtemp(prefix="tcm-prop-")))
    want = TFLiteReference(path).run([_all16()])[0]
    got = compile_and_build(path).run([_all16()])[0]
    np.testing.assert_array_equal(got.reshape(-1), want.reshape(-1))


def test_abs_int16_c_contract(tmp_path):
    data = _model("ABS", int16=True)
    op = op_of(data, "ABS")
    for name, quants in (("same", (0.01, 0.01)), ("rescaled", (0.01, 0.003))):
        path = write_model(set_quants(data, {op.inputs[0]: (quants[0], 0),
                                             op.outputs[0]: (quants[1], 0)}), tmp_path,
                           f"{name}.tflite")
        assert_c_contract(path, [_all16()], tmp_path / name)


def test_int16_refusals(tmp_path):
    data = _model("ABS", int16=True)
    op = op_of(data, "ABS")
    big = set_quants(data, {op.inputs[0]: (1.0, 0), op.outputs[0]: (1e-5, 0)})
    msg = compile_error(big, tmp_path, starts=f"bad.tflite: op {op.index} (ABS")
    assert "more than 2^15 x the output scale" in msg, msg
    rsqrt = _model("RSQRT", int16=True)
    op = op_of(rsqrt, "RSQRT")
    msg = compile_error(rsqrt, tmp_path, starts=f"bad.tflite: op {op.index} (RSQRT")
    assert "has type int16; supported: int8" in msg, msg
