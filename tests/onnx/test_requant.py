"""The "ort_float" requantization (onnxruntime's MlasRequantizeOutput): the numpy float32 form
(tinycc_ml/quant_ort.py requant), its integer-only spec (requant_int) and the two C forms of
runtime_c/tcm_ort.h agree over wide random domains, and onnxruntime agrees with them on a
QLinearMatMul whose accumulators pass 2^24 (where float32(acc) itself rounds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto as TP, helper

from tests.onnx._ort import check, const, save, value
from tests.ops._runtime_ffi import build
from tinycc_ml import quant_ort

F32 = np.float32


def _domain(rng, n: int):
    """acc over all of int32 (extremes included), multipliers over 2^-40 .. 2^6, clamp ranges."""
    acc = np.concatenate([
        rng.integers(-2**31, 2**31, n // 2, dtype=np.int64),
        rng.integers(-2**20, 2**20, n // 4, dtype=np.int64),
        rng.integers(-4000, 4000, n - n // 2 - n // 4 - 4, dtype=np.int64),
        np.array([-2**31, 2**31 - 1, 0, 2**24 + 1], np.int64)])
    xs = F32(2.0) ** rng.uniform(-12, 0, n).astype(F32)
    ws = F32(2.0) ** rng.uniform(-14, 0, n).astype(F32)
    ys = F32(2.0) ** rng.uniform(-14, 2, n).astype(F32)
    m = quant_ort.ort_multiplier(1.0, xs * ws, 1.0) / ys
    m = np.where(rng.random(n) < 0.05, F32(2.0) ** rng.integers(-40, 6, n).astype(F32), m)
    zp = rng.integers(-128, 128, n)
    lo = np.where(rng.random(n) < 0.3, zp, -128)
    hi = np.where(rng.random(n) < 0.3, np.minimum(127, zp + rng.integers(0, 100, n)), 127)
    return acc, m.astype(F32), zp, lo, np.maximum(lo, hi)


def test_integer_spec_equals_float32():
    rng = np.random.default_rng(1)
    acc, m, zp, lo, hi = _domain(rng, 20000)
    want = np.array([quant_ort.requant(a, k, z, l, h) for a, k, z, l, h in
                     zip(acc, m, zp, lo, hi)]).reshape(-1)
    mant, shift = quant_ort.ort_mantissa_shift(m)
    got = [quant_ort.requant_int(int(a), int(M), int(s), int(z), int(l), int(h))
           for a, M, s, z, l, h in zip(acc, mant, shift, zp, lo, hi)]
    np.testing.assert_array_equal(np.array(got), want)


def test_mantissa_shift_is_exact():
    rng = np.random.default_rng(2)
    m = (F32(2.0) ** rng.uniform(-60, 20, 5000).astype(F32)).astype(F32)
    mant, shift = quant_ort.ort_mantissa_shift(m)
    ok = shift < 62
    assert np.all(mant < 2**24)
    np.testing.assert_array_equal(np.ldexp(mant[ok].astype(np.float64), -shift[ok]),
                                  m[ok].astype(np.float64))
    with pytest.raises(ValueError):
        quant_ort.ort_mantissa_shift([F32(2.0**24)])


_CDEF = """
void run_int(int n, const int32_t *acc, const int32_t *mant, const int32_t *shift,
             const int32_t *zp, const int32_t *lo, const int32_t *hi, int32_t *out);
void run_f32(int n, const int32_t *acc, const float *m, const int32_t *zp, const int32_t *lo,
             const int32_t *hi, int32_t *out);
"""
_SRC = """
#include "tcm_ort.h"
void run_int(int n, const int32_t *acc, const int32_t *mant, const int32_t *shift,
             const int32_t *zp, const int32_t *lo, const int32_t *hi, int32_t *out)
{
    int i;
    for (i = 0; i < n; i++)
        out[i] = tcm_ort_requant_int(acc[i], mant[i], shift[i], zp[i], lo[i], hi[i]);
}
void run_f32(int n, const int32_t *acc, const float *m, const int32_t *zp, const int32_t *lo,
             const int32_t *hi, int32_t *out)
{
    int i;
    for (i = 0; i < n; i++)
        out[i] = tcm_ort_requant_f32(acc[i], m[i], zp[i], lo[i], hi[i]);
}
"""


@pytest.fixture(scope="module")
def clib(tmp_path_factory):
    return build("ort_requant", _CDEF, _SRC, tmp_path_factory.mktemp("ffi"),
                 cflags=("-O2", "-ffp-contract=fast", "-march=native"))


def test_c_forms_equal_numpy(clib):
    """Both C forms against the numpy float32 form; built with -ffp-contract=fast and
    -march=native (FMA available): the float form cannot be contracted."""
    ffi, lib = clib.ffi, clib.lib
    rng = np.random.default_rng(3)
    acc, m, zp, lo, hi = _domain(rng, 400000)
    want = quant_ort.requant(acc, m, 0, -2**40, 2**40)      # unclamped, then per-element clamp
    want = np.clip(want, lo - zp, hi - zp) + zp
    mant, shift = quant_ort.ort_mantissa_shift(m)
    arrays = [np.ascontiguousarray(a.astype(np.int32)) for a in (acc, mant, shift, zp, lo, hi)]
    out = np.zeros(len(acc), np.int32)
    ptr = lambda a: ffi.cast(("float *" if a.dtype == F32 else "int32_t *"),  # noqa: E731
                             ffi.from_buffer(a))
    lib.run_int(len(acc), *[ptr(a) for a in arrays], ptr(out))
    np.testing.assert_array_equal(out, want)
    mm = np.ascontiguousarray(m)
    lib.run_f32(len(acc), ptr(arrays[0]), ptr(mm), ptr(arrays[3]), ptr(arrays[4]),
                ptr(arrays[5]), ptr(out))
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("integer_only", [False, True], ids=["float", "integer"])
def test_onnxruntime_large_accumulators(tmp_path: Path, integer_only: bool):
    """QLinearMatMul, depth 2048, 64 columns with scales over 2^-16 .. 2^-4: accumulators
    beyond 2^24 (float32(acc) rounds) and multipliers of every exponent class."""
    rng = np.random.default_rng(4)
    k, n = 2048, 64
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    b[:, :8] = 127                                      # large sums
    b_scale = (F32(2.0) ** rng.uniform(-16, -4, n).astype(F32)).astype(F32)
    nodes = [helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
                              ["y"])]
    inits = [const("as", F32(0.02)), const("az", np.int8(-3)), const("b", b),
             const("bs", b_scale), const("bz", np.zeros(n, np.int8)),
             const("ys", F32(0.9)), const("yz", np.int8(5))]
    p = save(tmp_path / "mm.onnx", nodes, [value("a", TP.INT8, [1, k])],
             [value("y", TP.INT8, [1, n])], inits)
    check(p, tmp_path / "w", n=10, integer_only=integer_only)
