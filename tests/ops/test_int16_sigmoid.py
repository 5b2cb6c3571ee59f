"""int16 LOGISTIC and TANH (ops/unary_lut.py _WithSigmoid16, runtime_c/tcm_sigmoid_s16.c)
against TFLite BUILTIN_REF.

1. Every int16 input: the C kernel, with the parameters the compiler derives from a converted
   model whose input scale is patched to each of many values (powers of two on and off TFLite's
   power-of-two paths, log-uniform scales, hypothesis), equals the interpreter on all 65,536
   input values.
2. The generated C: hypothesis over Keras models (16x8 conversion, Dense -> sigmoid / tanh,
   shapes and calibration ranges), bit-exact; strict builds and a run under ASan + UBSan.
3. Bad input: what TFLite's int16 Prepare rejects, tinycc-ml rejects with one line.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import chosen_kernels, ref_outputs, ref_rejects, x16_tflite
from tests.ops._props import assert_model_bitexact
from tests.ops._runtime_ffi import build, struct_cdef
from tests.ops._tflite_edit import set_quants
from tests.util import keras, single_layer, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.ops.base import lookup

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
KINDS = ("LOGISTIC", "TANH")
X16 = settings(max_examples=6, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=None)
def _branches() -> bytes:
    """A 16x8 model: the int16 input [65536] feeds a sigmoid and a tanh, one output each."""
    def build_model():
        k = keras()
        x = k.Input((65536,))
        return k.Model(x, [k.layers.Activation("sigmoid")(x), k.layers.Activation("tanh")(x)])
    return x16_tflite(build_model, [(65536,)], low=-8.0, high=8.0)


@lru_cache(maxsize=None)
def _kernels(work: str):
    cdef = struct_cdef("tcm_sigmoid_s16.h", "tcm_sigmoid_s16_params") + """
    void tcm_logistic_s16(const tcm_sigmoid_s16_params *p, const int16_t *in, int16_t *out);
    void tcm_tanh_s16(const tcm_sigmoid_s16_params *p, const int16_t *in, int16_t *out);"""
    return build("sigmoid16", cdef, '#include "tcm_sigmoid_s16.h"', work,
                 sources=["tcm_sigmoid_s16.c"])


def _ours(data: bytes, mod) -> dict[str, np.ndarray]:
    """Each op's parameters as the compiler prepares them, run through the C kernel."""
    g = read(data, "m")
    out = {}
    for op in g.ops:
        opdef = lookup(op, g)
        opdef.check(op, g)
        p = opdef.prepare(op, g)
        params = mod.ffi.new("tcm_sigmoid_s16_params *", {
            "size": p.size, "input_multiplier": p.input_multiplier,
            "input_left_shift": p.input_left_shift})
        y = np.empty_like(ALL_INT16)
        getattr(mod.lib, p.kernel)(params, mod.ffi.from_buffer("int16_t[]", ALL_INT16),
                                   mod.ffi.from_buffer("int16_t[]", y))
        out[op.outputs[0]] = y
    return out


def _check_scales(scales, tmp_path) -> int:
    data = _branches()
    g = read(data, "m")
    assert sorted(op.kind for op in g.ops) == sorted(KINDS)
    mod = _kernels(str(tmp_path / "ffi"))
    compared = 0
    for scale in scales:
        edited = set_quants(data, {g.inputs[0]: (scale, 0)})
        want, got = ref_outputs(edited, ALL_INT16), _ours(edited, mod)
        for name, y in got.items():
            np.testing.assert_array_equal(y, want[name], err_msg=f"{name}, input scale {scale!r}")
            compared += 1
    return compared


def test_every_input_power_of_two_scales(tmp_path):
    """2^-12 (both kernels' shift-0 path), 2^-11 (TANH's shift-1 path, LOGISTIC's general
    path), and powers of two off those paths, on all 65,536 inputs."""
    scales = [2.0 ** e for e in range(-20, 3)]
    assert _check_scales(scales, tmp_path) == 2 * len(scales)


def test_every_input_general_scales(tmp_path):
    """Log-uniform scales from 1e-7 to 5 (the range whose multiplier fits int32 arithmetic),
    the converter's own calibrated scale among them."""
    rng = np.random.default_rng(7)
    scales = [float(s) for s in np.exp(rng.uniform(np.log(1e-7), np.log(5.0), 30))]
    scales.append(read(_branches(), "m").tensor(read(_branches(), "m").inputs[0]).qparams()[0])
    assert _check_scales(scales, tmp_path) == 2 * len(scales)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scale=st.floats(1e-8, 5.3, allow_nan=False, allow_infinity=False))
def test_every_input_any_scale(scale, tmp_path):
    assert _check_scales([scale], tmp_path) == 2


@X16
@given(kind=st.sampled_from(["sigmoid", "tanh"]), n=st.integers(1, 40),
       rows=st.integers(1, 3), scale=st.sampled_from([0.1, 1.0, 4.0, 30.0]))
def test_after_dense_bitexact(kind, n, rows, scale):
    def layer(k, x):
        return k.layers.Activation(kind)(k.layers.Dense(n, bias_initializer="random_normal")(x))
    data = x16_tflite(single_layer((rows, 5), layer), [(rows, 5)], low=-scale, high=scale)
    assert_model_bitexact(data, ["LOGISTIC" if kind == "sigmoid" else "TANH"], n=5)


def test_c_contract_and_kernels(tmp_path):
    """Warning-free strict builds, ASan + UBSan clean on every int16 input (the extremes of the
    rescale and of the table), the int16 kernels chosen, in place over their input."""
    path = write_model(_branches(), tmp_path)
    assert chosen_kernels(_branches(), tmp_path) == {"LOGISTIC": {"tcm_logistic_s16"},
                                                     "TANH": {"tcm_tanh_s16"}}
    assert_c_contract(path, [ALL_INT16.reshape(1, -1)], tmp_path)


def _one(kind: str) -> bytes:
    act = "sigmoid" if kind == "LOGISTIC" else "tanh"
    return x16_tflite(single_layer((8,), lambda k, x: k.layers.Activation(act)(x)), [(8,)])


@pytest.mark.parametrize("kind,scale,message", [
    ("LOGISTIC", 1 / 16384, "int16 LOGISTIC output must have scale 1/32768"),
    ("TANH", 1 / 16384, "int16 TANH output must have scale 2^-15"),
])
def test_output_scale_rejected(kind, scale, message, tmp_path):
    data = _one(kind)
    y = read(data, "m").ops[0].outputs[0]
    bad = set_quants(data, {y: (scale, 0)})
    ref_rejects(bad)
    assert message in compile_error(bad, tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_input_scale_too_large(kind, tmp_path):
    """An input scale of 100 needs the multiplier 1228800: x * multiplier overflows int32 in
    TFLite's kernel (undefined behaviour), so tinycc-ml refuses it."""
    data = _one(kind)
    bad = set_quants(data, {read(data, "m").inputs[0]: (100.0, 0)})
    assert f"is out of TFLite's int16 {kind} range" in compile_error(bad, tmp_path)


def test_input_zero_point_rejected(tmp_path):
    data = _one("TANH")
    bad = set_quants(data, {read(data, "m").inputs[0]: (0.001, 3)})
    ref_rejects(bad)
    assert "zero point 3; int16 activations are symmetric" in compile_error(bad, tmp_path)
