"""LOG_SOFTMAX int8 (ops/log_softmax.py, runtime_c/tcm_log_softmax.c) against TFLite BUILTIN_REF,
bit for bit.

TensorFlow 2.21's BUILTIN_REF runs reference_integer_ops::LogSoftmax (gemmlowp fixed point: exp,
a Q12.19 sum, log_x_for_x_greater_than_or_equal_to_1, the reverse-scaled cut-off):
1. Keras models (Dense -> tf.nn.log_softmax, or the input straight in), hypothesis over rows,
   depth and the calibration range (which sets the input scale).
2. The kernel over many quantizations: one converted graph input -> LOG_SOFTMAX whose shape and
   input quantization are rewritten; each case runs random rows and edge rows (all equal, one
   spike, all -128, a ramp, two levels) through the generated C and the interpreter.
3. The longest row supported (4095 equal values: the largest sum of exps) and depth 1.
4. The C contract (strict builds, ASan + UBSan, in place), Cortex-M4 and M55 under QEMU, and bad
   input (one line naming the op; TFLite refuses the same output quantization).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._int16 import ref_rejects
from tests.ops._props import assert_model_bitexact, assert_qemu_bitexact, op_of
from tests.ops._tflite_edit import set_quants, set_shape
from tests.util import assert_bitexact, compile_and_build, int8_tflite, single_layer, tf, write_model
from tinycc_ml.reference import TFLiteReference

KERAS = settings(max_examples=8, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KERNEL = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _log_softmax(k, x):
    return k.layers.Lambda(lambda t: tf().nn.log_softmax(t))(x)


@KERAS
@given(rows=st.integers(1, 4), depth=st.integers(1, 40), dense=st.booleans(),
       spread=st.sampled_from([0.5, 4.0, 30.0]))
def test_log_softmax_keras(rows, depth, dense, spread):
    def layer(k, x):
        return _log_softmax(k, k.layers.Dense(depth)(x) if dense else x)
    shape = (rows, 5) if dense else (rows, depth)
    data = int8_tflite(single_layer(shape, layer), [shape], low=-spread, high=spread)
    assert_model_bitexact(data, ["LOG_SOFTMAX"], n=6)


@lru_cache(maxsize=None)
def _model() -> bytes:
    """Graph input (4, 10) -> LOG_SOFTMAX, int8; the kernel cases are edits of it."""
    return int8_tflite(single_layer((4, 10), _log_softmax), [(4, 10)], low=-4.0, high=4.0,
                       n_calib=4)


def _variant(shape, scale: float, zero_point: int) -> bytes:
    data = _model()
    op = op_of(data, "LOG_SOFTMAX")
    for name in (op.inputs[0], op.outputs[0]):
        data = set_shape(data, name, (1,) + tuple(shape))
    return set_quants(data, {op.inputs[0]: (scale, zero_point)})


def _rows(rng, rows: int, depth: int) -> np.ndarray:
    """Random rows, then edge rows cycled in: equal, one spike, all -128, ramp, two levels."""
    x = rng.integers(-128, 128, (rows, depth))
    edges = [np.full(depth, 5), np.where(np.arange(depth) == depth // 2, 127, -128),
             np.full(depth, -128), np.linspace(-128, 127, depth).astype(int),
             np.where(np.arange(depth) % 2 == 0, 100, 100 - rng.integers(1, 60))]
    for r in range(0, rows, 2):
        x[r] = edges[(r // 2) % len(edges)]
    return x.astype(np.int8).reshape(1, rows, depth)


def _compare(data: bytes, x: np.ndarray) -> None:
    path = write_model(data, Path(tempfile.mkdtemp(prefix="tcm-logsm-")))
    want = TFLiteReference(path).run([x])[0]
    got = compile_and_build(path).run([x])[0]
    np.testing.assert_array_equal(got.reshape(-1), want.reshape(-1))


@KERNEL
@given(depth=st.integers(1, 300), scale=st.floats(2.0 ** -24, 8.0), zp=st.integers(-128, 127),
       seed=st.integers(0, 1000))
def test_log_softmax_quantizations(depth, scale, zp, seed):
    rng = np.random.default_rng(seed)
    rows = 10
    _compare(_variant((rows, depth), scale, zp), _rows(rng, rows, depth))


def test_log_softmax_longest_row_and_depth_one():
    for depth, scale in ((4095, 0.05), (4095, 2.0 ** -20), (1, 0.1)):
        x = np.stack([np.full(depth, 7), np.arange(depth) % 256 - 128]).astype(np.int8)
        _compare(_variant((2, depth), scale, 3), x.reshape(1, 2, depth))


def test_log_softmax_c_contract(tmp_path):
    path = write_model(_variant((6, 33), 0.07, -5), tmp_path)
    assert_c_contract(path, [_rows(np.random.default_rng(3), 6, 33)], tmp_path)


def test_log_softmax_runs_in_place(tmp_path):
    """Between two Dense layers LOG_SOFTMAX writes over its input, which dies there."""
    def layer(k, x):
        return k.layers.Dense(3)(_log_softmax(k, k.layers.Dense(24)(x)))
    path = write_model(int8_tflite(single_layer((2, 8), layer), [(2, 8)], low=-3, high=3),
                       tmp_path)
    host = compile_and_build(path)
    position = [op.kind for op in host.compiled.graph.ops].index("LOG_SOFTMAX")
    assert any(link.position == position for link in host.compiled.plan.inplace)
    assert_bitexact(path, n=10, host=host)


def test_log_softmax_bad_input(tmp_path):
    data = _model()
    op = op_of(data, "LOG_SOFTMAX")
    bad = set_quants(data, {op.outputs[0]: (1 / 16, 0)})
    ref_rejects(bad)
    msg = compile_error(bad, tmp_path, starts=f"bad.tflite: op {op.index} (LOG_SOFTMAX")
    assert "output must have scale 16/256 and zero point 127" in msg, msg
    long_row = _variant((1, 4096), 0.1, 0)
    msg = compile_error(long_row, tmp_path, starts=f"bad.tflite: op {op.index} (LOG_SOFTMAX")
    assert "last axis of 4096 values; 1 to 4095" in msg, msg
    tiny = _variant((2, 10), 2.0 ** -27, 0)
    msg = compile_error(tiny, tmp_path, starts=f"bad.tflite: op {op.index} (LOG_SOFTMAX")
    assert "is out of TFLite's LOG_SOFTMAX range" in msg, msg


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
def test_log_softmax_on_qemu(core):
    """4 rows of 50 values (the gemmlowp exp and log in 32-bit code): bit-exact; about 41,300
    instructions per inference on M4 and 45,300 on M55 (measured 2026-12-04)."""
    assert_qemu_bitexact(_variant((4, 50), 0.05, -3), core)
