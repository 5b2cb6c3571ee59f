"""SOFTMAX (ops/softmax.py, runtime_c/tcm_softmax.c) against TFLite BUILTIN_REF, bit for bit.

TensorFlow 2.21's BUILTIN_REF runs reference_ops::Softmax for int8 input (gemmlowp fixed point,
no table); the generated C must reproduce it:
1. Keras models (Dense -> Softmax, rescaled for sharper or flatter rows; rows of 1 to 1000
   values; several rows per tensor), compiled and built, on random inputs.
2. Edge rows fed straight to the op (graph input -> SOFTMAX): all equal, one spike, all -128,
   near-uniform, two levels, values at the diff_min cut-off.
3. The kernel over many quantizations: one converted model whose input scale, zero point, beta
   and shape are rewritten; the interpreter runs each variant, and the kernel (built once
   through cffi) runs with the constants ops/softmax.py prepares for it. Each case is a tensor
   of many rows, one edge or random row each.
4. int8 -> int16 output (TFLite's SoftmaxQuantized<int8_t, int16_t>), which the converter does
   not write: the output tensor's type is rewritten.
5. The C contract (strict builds, ASan + UBSan, in place) and bad input (one line naming the op).

TFLite 2.21 aborts the whole process (TFLITE_CHECK in softmax.h) on an int8-output row whose
exps sum to 512 or more, which needs at least 512 values: `_reference` never sends it such a
row, and test_reference_aborts_on_long_flat_rows shows the abort (in a subprocess) and what the
kernel writes instead.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest

from tests.cli.tflite_edit import edit, schema
from tests.ops import _ir
from tests.ops._c_contract import assert_c_contract, compile_error
from tests.ops._runtime_ffi import build, struct_cdef
from tests.util import assert_bitexact, compile_and_build, int8_tflite, keras, tf, write_model
from tinycc_ml.frontends.tflite import read
from tinycc_ml.ops.base import lookup

INT16_OUTPUT = (1 / 65536, -32768)   # what the int16 kernel writes: probability * 65536 - 32768


# --- helpers ----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _softmax_model() -> bytes:
    """Graph input (4, 10) -> SOFTMAX, int8; every other op-level case is an edit of it."""
    def build_model():
        k = keras()
        inp = k.Input((4, 10))
        return k.Model(inp, k.layers.Softmax()(inp))
    return int8_tflite(build_model, [(4, 10)], low=-4.0, high=4.0, n_calib=4)


def _variant(shape, scale: float, zero_point: int, beta: float = 1.0, int16: bool = False,
             out_quant: tuple[float, int] | None = None) -> bytes:
    """_softmax_model() with input and output of `shape`, the input quantized as (scale,
    zero_point), the op's beta, and optionally an int16 output or another output quantization."""
    types = schema().TensorType

    def change(m):
        sg = m.subgraphs[0]
        op = sg.operators[0]
        x, y = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
        for t in (x, y):
            t.shape = np.array(shape, np.int32)
            t.shapeSignature = None
        x.quantization.scale = np.array([scale], np.float32)
        x.quantization.zeroPoint = np.array([zero_point], np.int64)
        op.builtinOptions.beta = beta
        if int16:
            y.type = types.INT16
        q = out_quant or (INT16_OUTPUT if int16 else None)
        if q is not None:
            y.quantization.scale = np.array([q[0]], np.float32)
            y.quantization.zeroPoint = np.array([q[1]], np.int64)
    return edit(_softmax_model(), change)


def _prepared(data: bytes):
    """ops/softmax.py's check and prepare on the model's only op: its SoftmaxParams."""
    g = read(data, "model.tflite")
    op = g.ops[0]
    opdef = lookup(op, g)
    opdef.check(op, g)
    return opdef.prepare(op, g)


def _exp_sum_bound(x: np.ndarray, scale: float, beta: float) -> float:
    """An upper bound (in real numbers, with margin) on the largest sum of exps of x's rows."""
    rows = x.reshape(-1, x.shape[-1]).astype(np.float64)
    diffs = rows - rows.max(axis=1, keepdims=True)
    return float(np.exp(beta * scale * diffs).sum(axis=1).max()) * 1.01 + 1.0


def _reference(data: bytes, x: np.ndarray) -> np.ndarray:
    """TFLite BUILTIN_REF's output for input x; refuses rows on which TFLite 2.21 would abort."""
    g = read(data, "model.tflite")
    xt, yt = g.tensor(g.inputs[0]), g.tensor(g.outputs[0])
    if yt.dtype == "int8" and x.shape[-1] >= 512:
        beta = float(np.float32(g.ops[0].attrs.get("beta", 1.0)))
        assert _exp_sum_bound(x, xt.qparams()[0], beta) < 512, \
            "a row's exps may sum to 512 or more: TFLite 2.21 would abort"
    lite = tf().lite
    ref_kernels = lite.experimental.OpResolverType.BUILTIN_REF
    it = lite.Interpreter(model_content=data, experimental_op_resolver_type=ref_kernels)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.ascontiguousarray(x, np.int8).reshape(d["shape"]))
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def _edge_rows(depth: int, diff_min: int, rng: np.random.Generator) -> np.ndarray:
    """int8 [rows, depth]: one row per case where a bit slips first, plus random rows."""
    rows = [rng.integers(-128, 128, depth) for _ in range(4)]
    for spread in (0, 1, 3, 10):                                # narrow rows around a value
        center = rng.integers(-128, 128)
        rows.append(center + rng.integers(-spread, spread + 1, depth))
    rows += [np.full(depth, v) for v in (-128, -1, 0, 127)]     # all equal
    for at in (0, depth // 2, depth - 1):                       # one spike on -128
        r = np.full(depth, -128)
        r[at] = 127
        rows.append(r)
    for top in (127, -127):                                     # one above a flat rest
        r = np.full(depth, top - 1)
        r[rng.integers(0, depth)] = top
        rows.append(r)
    for gap in (1, 2, 7):                                       # two levels
        rows.append(np.where(np.arange(depth) % 2 == 0, 100, 100 - gap))
    top = 127                                                   # around the diff_min cut-off
    cut = [top, top + diff_min, top + diff_min - 1, top + diff_min + 1]
    rows.append(np.resize(cut, depth))
    rows.append(127 - np.arange(depth) % 256)                   # staircase
    return np.clip(np.array(rows), -128, 127).astype(np.int8)


EDGE_ROWS = len(_edge_rows(3, -1, np.random.default_rng(0)))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """tcm_softmax_s8 / tcm_softmax_s8_s16 through cffi: run(params, x) -> output."""
    cdef = struct_cdef("tcm_softmax.h", "tcm_softmax_params") + """
        void tcm_softmax_s8(const tcm_softmax_params *p, const int8_t *input, int8_t *output);
        void tcm_softmax_s8_s16(const tcm_softmax_params *p, const int8_t *input,
                                int16_t *output);"""
    mod = build("softmax", cdef, '#include "tcm_softmax.h"', tmp_path_factory.mktemp("ffi"),
                sources=["tcm_softmax.c"])
    ffi, lib = mod.ffi, mod.lib

    def run(p, x: np.ndarray) -> np.ndarray:
        assert p.rows * p.depth == x.size
        c = ffi.new("tcm_softmax_params *", {"rows": p.rows, "depth": p.depth,
                                             "input_multiplier": p.rq.multiplier,
                                             "input_left_shift": p.rq.shift,
                                             "diff_min": p.diff_min})
        x = np.ascontiguousarray(x, np.int8)
        if p.output_dtype == "int8":
            y = np.zeros(x.shape, np.int8)
            lib.tcm_softmax_s8(c, ffi.from_buffer("int8_t[]", x), ffi.from_buffer("int8_t[]", y))
        else:
            y = np.zeros(x.shape, np.int16)
            lib.tcm_softmax_s8_s16(c, ffi.from_buffer("int8_t[]", x),
                                   ffi.from_buffer("int16_t[]", y))
        return y
    return run


def _assert_kernel_matches(kernel, data: bytes, rng, x=None) -> None:
    p = _prepared(data)
    if x is None:
        x = _edge_rows(p.depth, p.diff_min, rng)
    want = _reference(data, x)
    got = kernel(p, x)
    np.testing.assert_array_equal(got.reshape(-1), want.reshape(-1))


# --- 1. Keras models, compiled ----------------------------------------------------------------

def _dense_softmax(n_in, n_out, scale=1.0, rows=None, then=None):
    """Dense(n_out) [-> Rescaling(scale)] [-> Reshape(rows)] -> Softmax [-> Dense(then)]."""
    def build_model():
        k = keras()
        inp = k.Input((n_in,))
        x = k.layers.Dense(n_out, bias_initializer="random_normal")(inp)
        if scale != 1.0:
            x = k.layers.Rescaling(scale)(x)
        if rows:
            x = k.layers.Reshape(rows)(x)
        x = k.layers.Softmax()(x)
        if then:
            x = k.layers.Dense(then)(x)
        return k.Model(inp, x)
    return build_model


KERAS = {
    "len1": dict(n_in=8, n_out=1),
    "len2": dict(n_in=8, n_out=2),
    "len10": dict(n_in=16, n_out=10),
    "len12_kws": dict(n_in=64, n_out=12),
    "len100_x3": dict(n_in=32, n_out=100, scale=3.0),
    "len10_flat": dict(n_in=16, n_out=10, scale=0.05),
    "len10_sharp": dict(n_in=16, n_out=10, scale=20.0),
    "rows_3x7": dict(n_in=16, n_out=21, rows=(3, 7)),
    "rows_2x3x5": dict(n_in=16, n_out=30, rows=(2, 3, 5)),
    # 1000 values: x30 keeps every row's sum of exps far below 512 (see the module docstring)
    "len1000_x30": dict(n_in=16, n_out=1000, scale=30.0),
}


@pytest.mark.parametrize("case", list(KERAS), ids=list(KERAS))
def test_keras_bitexact(case, tmp_path):
    kw = KERAS[case]
    path = write_model(int8_tflite(_dense_softmax(**kw), [(kw["n_in"],)], seed=kw["n_out"],
                                   n_calib=16), tmp_path)
    assert "SOFTMAX" in {op.kind for op in read(path.read_bytes(), path.name).ops}
    assert_bitexact(path, n=40, seed=kw["n_out"])


def test_runs_in_place(tmp_path):
    """Between two Dense layers the softmax writes over its input, which dies there."""
    from tinycc_ml.compiler import Options, compile_file
    path = write_model(int8_tflite(_dense_softmax(16, 24, then=4), [(16,)], n_calib=16), tmp_path)
    compiled = compile_file(path, Options(name="m"))
    position = [op.kind for op in compiled.graph.ops].index("SOFTMAX")
    assert any(link.position == position for link in compiled.plan.inplace)
    assert_bitexact(path, n=30)


# --- 2. edge rows through the generated C -----------------------------------------------------

@pytest.mark.parametrize("shape", [(1,), (2,), (10,), (12,), (3, 7), (100,), (1000,)],
                         ids=lambda s: "x".join(map(str, s)))
def test_generated_c_edge_rows(shape, tmp_path):
    """Graph input -> SOFTMAX compiled; each edge row sent as the whole input (rows of 1000
    that TFLite cannot run are left out: all equal, near-uniform)."""
    data = _variant(shape, 0.05, 3)
    path = write_model(data, tmp_path)
    host = compile_and_build(path)
    p = _prepared(data)
    rng = np.random.default_rng(len(shape) * 1000 + shape[-1])
    checked = 0
    for row in _edge_rows(p.depth, p.diff_min, rng):
        x = np.resize(row, shape).astype(np.int8)
        if shape[-1] >= 512 and _exp_sum_bound(x, 0.05, 1.0) >= 512:
            continue
        want = _reference(data, x)
        np.testing.assert_array_equal(host.run([x])[0].reshape(-1), want.reshape(-1))
        checked += 1
    assert checked >= 8


# --- 3. the kernel over many quantizations ----------------------------------------------------

def _random_quantizations(n: int, depths, seed: int):
    rng = np.random.default_rng(seed)
    for k in range(n):
        depth = int(depths[k % len(depths)])
        scale = float(np.float32(10 ** rng.uniform(-4, 1)))
        beta = 1.0 if k % 3 == 0 else float(np.float32(10 ** rng.uniform(-1.5, 1.5)))
        yield depth, scale, int(rng.integers(-128, 128)), beta


@pytest.mark.parametrize("depth,scale,zero_point,beta", [
    *_random_quantizations(48, (1, 2, 3, 10, 12, 100, 511), seed=1),
    (10, 0.0039215689, -128, 1.0),     # a converter-like scale
    (12, 10.0, 0, 1.0),                # diff_min = -1: only the max and max - 1 count
    (12, 0.1, 5, 1e9),                 # multiplier capped at 2^31 - 1: shift 31, diff_min 0
    (12, 2e-8, 0, 1.0),                # beta * scale * 2^26 = 1.34, just above TFLite's limit
    (100, 1e-4, -7, 333.0),            # a large beta on a tiny scale
    (511, 0.5, 0, 0.01),               # small beta: nearly uniform long rows
])
def test_kernel_quantizations(kernel, depth, scale, zero_point, beta):
    rng = np.random.default_rng(depth * 7 + zero_point + 1000)
    _assert_kernel_matches(kernel, _variant((EDGE_ROWS, depth), scale, zero_point, beta), rng)


def test_kernel_random_tensors(kernel):
    """Whole tensors of random rows, higher rank, on random quantizations."""
    rng = np.random.default_rng(5)
    for depth, scale, zp, beta in _random_quantizations(12, (5, 16, 64), seed=2):
        shape = (3, 4, depth)
        x = rng.integers(-128, 128, shape, dtype=np.int8)
        _assert_kernel_matches(kernel, _variant(shape, scale, zp, beta), rng, x)


# --- 4. int8 -> int16 output ------------------------------------------------------------------

@pytest.mark.parametrize("depth,scale,zero_point,beta", [
    *_random_quantizations(10, (1, 10, 100), seed=3),
    (1000, 0.05, 0, 1.0),
    (1000, 1e-3, 10, 1.0),     # nearly uniform: the sum of exps nears 1000
    (5000, 0.02, -3, 1.0),     # all-equal rows wrap the int32 sum, as TFLite's does
])
def test_kernel_int16_output(kernel, depth, scale, zero_point, beta):
    rng = np.random.default_rng(depth + 17)
    data = _variant((EDGE_ROWS, depth), scale, zero_point, beta, int16=True)
    assert _prepared(data).output_dtype == "int16"
    _assert_kernel_matches(kernel, data, rng)


def test_int16_output_generated_c(tmp_path):
    """Graph input -> SOFTMAX -> int16 graph output: generated C, strict builds, ASan + UBSan."""
    data = _variant((3, 12), 0.08, -5, 1.5, int16=True)
    path = write_model(data, tmp_path)
    assert_bitexact(path, n=20)
    x = _edge_rows(12, _prepared(data).diff_min, np.random.default_rng(0))[:3]
    assert_c_contract(path, [x], tmp_path, want=[_reference(data, x)])


# --- 5. C contract, TFLite's abort, bad input -------------------------------------------------

def test_generated_c_contract(tmp_path):
    """int8 output: strict builds with gcc, clang, arm-none-eabi-gcc; ASan + UBSan on edge rows
    (one edge row per row of the input tensor)."""
    data = _variant((EDGE_ROWS, 10), 0.05, 3)
    path = write_model(data, tmp_path)
    x = _edge_rows(10, _prepared(data).diff_min, np.random.default_rng(1))
    assert_c_contract(path, [x], tmp_path, want=[_reference(data, x)])


ABORT_SCRIPT = """
import sys, numpy as np, tensorflow as tf
lite = tf.lite
it = lite.Interpreter(model_content=open(sys.argv[1], 'rb').read(),
                      experimental_op_resolver_type=lite.experimental.OpResolverType.BUILTIN_REF)
it.allocate_tensors()
d = it.get_input_details()[0]
it.set_tensor(d['index'], np.zeros(d['shape'], np.int8))
it.invoke()
print('no abort')
"""


def test_reference_aborts_on_long_flat_rows(kernel, tmp_path):
    """511 equal values run in TFLite 2.21 (and match); 512 abort it (SIGABRT: its final shift
    would be 32). There the kernel writes -128, the nearest int8 output to 1/512."""
    flat511 = _variant((1, 511), 0.05, 0)
    _assert_kernel_matches(kernel, flat511, None, np.zeros((1, 511), np.int8))
    flat512 = _variant((1, 512), 0.05, 0)
    path = write_model(flat512, tmp_path)
    proc = subprocess.run([sys.executable, "-c", ABORT_SCRIPT, str(path)], capture_output=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGABRT and b"no abort" not in proc.stdout
    got = kernel(_prepared(flat512), np.zeros((1, 512), np.int8))
    assert (got == -128).all()


def _compile_error(data: bytes, tmp_path) -> str:
    return compile_error(data, tmp_path, starts="bad.tflite: op 0 (SOFTMAX ")


def _interpreter_rejects(data: bytes) -> None:
    with pytest.raises(RuntimeError):
        _reference(data, np.zeros((4, 10), np.int8))


@pytest.mark.parametrize("quant", [(1 / 128, -128), (1 / 256, 0), (1 / 256 * 1.002, -128)],
                         ids=["scale_1_128", "zero_point_0", "scale_off_by_0.2%"])
def test_int8_output_quantization_must_be_1_256(quant, tmp_path):
    bad = _variant((4, 10), 0.05, 0, out_quant=quant)
    _interpreter_rejects(bad)
    assert "int8 output must have scale 1/256 and zero point -128" in _compile_error(bad, tmp_path)


def test_int8_output_scale_within_tolerance(kernel, tmp_path):
    """TF_LITE_ENSURE_NEAR accepts 1/256 within 0.1 %: so does the compiler."""
    data = _variant((EDGE_ROWS, 10), 0.05, 0, out_quant=(1 / 256 * 1.0009, -128))
    _assert_kernel_matches(kernel, data, np.random.default_rng(2))


@pytest.mark.parametrize("scale,beta", [(1e-8, 1.0), (0.05, -1.0), (0.05, 0.0)],
                         ids=["tiny_scale", "negative_beta", "zero_beta"])
def test_beta_times_scale_too_small(scale, beta, tmp_path):
    """beta * scale * 2^26 <= 1 fails QuantizeMultiplierGreaterThanOne's check (TFLite aborts)."""
    bad = _variant((4, 10), scale, 0, beta)
    assert "must be above 2^-26" in _compile_error(bad, tmp_path)


def test_float_softmax_rejected(tmp_path):
    """A float32 SOFTMAX (a model converted without quantization)."""
    def build_model():
        k = keras()
        inp = k.Input((10,))
        return k.Model(inp, k.layers.Softmax()(inp))
    t = tf()
    t.keras.utils.set_random_seed(0)
    data = t.lite.TFLiteConverter.from_keras_model(build_model()).convert()
    msg = _compile_error(data, tmp_path)
    assert "has type float32; supported: int8" in msg


@pytest.mark.parametrize("x,y,expect", [
    (dict(dtype="int16", scale=1 / 4096), dict(dtype="int16", scale=1 / 32768),
     "int16 SOFTMAX needs zero point 0 in and out"),
    (dict(dtype="uint8", zero_point=128), dict(dtype="uint8", scale=1 / 256),
     "has type uint8; supported: int8, int16"),
    (dict(), dict(dtype="float32", scale=None), "has type float32; supported: int8, int16"),
    (dict(shape=()), dict(shape=(), scale=1 / 256, zero_point=-128), "rank 1 or more"),
    (dict(shape=(2, 5)), dict(shape=(5, 2), scale=1 / 256, zero_point=-128), "one shape"),
    (dict(scale=None), dict(scale=1 / 256, zero_point=-128), "no quantization parameters"),
], ids=["int16_output_zero_point", "uint8_input", "float_output", "rank0", "shape_mismatch", "no_quant"])
def test_bad_types_and_shapes(x, y, expect):
    xs = {"shape": (2, 5), "dtype": "int8", "scale": 0.05, "zero_point": 0, **x}
    ys = {"shape": xs["shape"], "dtype": "int8", "scale": 1 / 256, "zero_point": -128, **y}
    g = _ir.single_op("SOFTMAX", [_ir.tensor("x", **xs)], _ir.tensor("y", **ys), beta=1.0)
    msg = _ir.compile_error(g)
    assert msg.startswith("bad.tflite: op 0 (SOFTMAX 'y'): ") and expect in msg
