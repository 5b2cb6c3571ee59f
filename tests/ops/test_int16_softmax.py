"""int16 SOFTMAX (ops/softmax.py softmax16_params, runtime_c/tcm_softmax_s16.c) against TFLite
BUILTIN_REF.

1. The kernel with the compiler's parameters and tables: a converted 16x8 model whose input
   scale and beta are patched (hypothesis), run on random rows, constant rows, one-hot rows and
   the int16 extremes, equals the interpreter.
2. The generated C: hypothesis over Keras models (Dense -> Softmax, shapes, calibration range),
   bit-exact; strict builds and a run under ASan + UBSan.
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
from tests.ops._props import assert_model_bitexact, op_index
from tests.ops._runtime_ffi import build, struct_cdef
from tests.ops._tflite_edit import set_option, set_quants
from tests.util import single_layer, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.ops.base import lookup

X16 = settings(max_examples=6, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=None)
def _softmax_model(depth: int) -> bytes:
    """A 16x8 model whose int16 input [8, depth] feeds a SOFTMAX directly."""
    return x16_tflite(single_layer((8, depth), lambda k, x: k.layers.Softmax()(x)),
                      [(8, depth)], low=-4.0, high=4.0)


@lru_cache(maxsize=None)
def _kernel(work: str):
    cdef = struct_cdef("tcm_softmax_s16.h", "tcm_softmax_s16_params") + """
    void tcm_softmax_s16(const tcm_softmax_s16_params *p, const int16_t *in, int16_t *out);"""
    return build("softmax16", cdef, '#include "tcm_softmax_s16.h"', work,
                 sources=["tcm_softmax_s16.c"])


def _inputs(rng, depth: int) -> np.ndarray:
    """[8, depth] int16: random full-range rows, small-range rows, a constant row, a one-hot
    row, the extremes."""
    rows = [rng.integers(-32768, 32768, depth), rng.integers(-300, 300, depth),
            rng.integers(-5000, 5000, depth), np.full(depth, 1234),
            np.where(np.arange(depth) == depth // 2, 32767, -32768),
            np.full(depth, -32768), np.full(depth, 32767), rng.integers(32000, 32768, depth)]
    return np.array(rows, np.int16)


def _interpreter(data: bytes, x: np.ndarray) -> np.ndarray:
    (y,) = ref_outputs(data, x).values()
    return y.reshape(x.shape)


def _ours(data: bytes, x: np.ndarray, mod) -> np.ndarray:
    g = read(data, "m")
    (op,) = [op for op in g.ops if op.kind == "SOFTMAX"]
    opdef = lookup(op, g)
    opdef.check(op, g)
    p = opdef.prepare(op, g)
    exp_lut = np.ascontiguousarray(p.exp_lut, np.int16)
    recip_lut = np.ascontiguousarray(p.recip_lut, np.int16)
    keep = [mod.ffi.from_buffer("int16_t[]", exp_lut), mod.ffi.from_buffer("int16_t[]", recip_lut)]
    params = mod.ffi.new("tcm_softmax_s16_params *", {
        "rows": p.rows, "depth": p.depth, "input_multiplier": p.input_multiplier,
        "input_shift": p.input_shift, "exp_lut": keep[0], "recip_lut": keep[1]})
    x = np.ascontiguousarray(x, np.int16)
    y = np.empty_like(x)
    mod.lib.tcm_softmax_s16(params, mod.ffi.from_buffer("int16_t[]", x),
                            mod.ffi.from_buffer("int16_t[]", y))
    return y


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(depth=st.sampled_from([1, 2, 5, 16, 100]),
       scale=st.floats(1e-6, 0.05, allow_nan=False),
       beta=st.sampled_from([1.0, 0.5, 2.0, 0.1, 7.0]), seed=st.integers(0, 2**16))
def test_kernel_matches_interpreter(depth, scale, beta, seed, tmp_path):
    data = _softmax_model(depth)
    g = read(data, "m")
    data = set_quants(data, {g.inputs[0]: (scale, 0)})
    if beta != 1.0:
        data = set_option(data, op_index(data, "SOFTMAX"), "beta", beta)
    x = _inputs(np.random.default_rng(seed), depth)
    want = _interpreter(data, x)
    got = _ours(data, x, _kernel(str(tmp_path / "ffi")))
    np.testing.assert_array_equal(got, want, err_msg=f"scale {scale!r}, beta {beta}")


def test_kernel_long_rows(tmp_path):
    """A row of 4000: sums of exps far above 2^15 (the reciprocal's headroom shifts)."""
    data = _softmax_model(4000)
    x = _inputs(np.random.default_rng(3), 4000)
    np.testing.assert_array_equal(_ours(data, x, _kernel(str(tmp_path / "ffi"))),
                                  _interpreter(data, x))


@X16
@given(n=st.integers(1, 40), rows=st.integers(1, 3), scale=st.sampled_from([0.1, 1.0, 8.0]))
def test_after_dense_bitexact(n, rows, scale):
    def layer(k, x):
        return k.layers.Softmax()(k.layers.Dense(n, bias_initializer="random_normal")(x))
    data = x16_tflite(single_layer((rows, 5), layer), [(rows, 5)], low=-scale, high=scale)
    assert_model_bitexact(data, ["SOFTMAX"], n=5)


def test_c_contract_and_kernel(tmp_path):
    data = _softmax_model(16)
    assert chosen_kernels(data, tmp_path)["SOFTMAX"] == {"tcm_softmax_s16"}
    x = _inputs(np.random.default_rng(1), 16).reshape(1, 8, 16)
    assert_c_contract(write_model(data, tmp_path), [x], tmp_path)


@pytest.mark.parametrize("which,quant", [("output", (1 / 16384, 0)), ("output", (1 / 32768, 4)),
                                         ("input", (0.001, -2))])
def test_prepare_rejects(which, quant, tmp_path):
    data = _softmax_model(5)
    op = read(data, "m").ops[0]
    name = op.outputs[0] if which == "output" else op.inputs[0]
    bad = set_quants(data, {name: quant})
    ref_rejects(bad)
    assert "int16 SOFTMAX needs zero point 0 in and out" in compile_error(bad, tmp_path)

