"""The sparse kernels (ops/_sparse.py; ConvSparse, DepthwiseSparse, FCSparse): the entry form
round-trips any sparsity pattern, and single pruned layers are bit-exact with TFLite BUILTIN_REF
over random sparsity patterns, whole zero filters and chosen zero points, with the sparse
kernel actually chosen. The shared models, pruned, are in tests/models/test_sparse_models.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tests.ops._tflite_edit import set_quants
from tests.prune import prune
from tests.util import assert_bitexact, int8_tflite, single_layer, write_model
from tinycc_ml.ops import _sparse


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 9), st.integers(1, 70), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1),
       st.sampled_from([2, 4]))
def test_entry_form_round_trips(rows, cols, density, seed, multiple):
    rng = np.random.default_rng(seed)
    w = rng.integers(-128, 128, (rows, cols)).astype(np.int8)
    w[rng.random((rows, cols)) >= density] = 0
    r = _sparse.rows_of(w, multiple)
    np.testing.assert_array_equal(_sparse.unpack(r), w)
    assert r.nnz == np.count_nonzero(w)
    assert np.all(r.counts % multiple == 0) and r.gaps.size * 2 == r.entries == r.values.size
    assert r.zero_rows == int(np.sum(~w.any(axis=1)))


def test_long_gaps_take_fillers():
    w = np.zeros((2, 40), np.int8)
    w[0, 39] = 5                  # 39 = 15 + 15 + 9: two fillers, then the weight (3 -> 4)
    r = _sparse.rows_of(w)
    assert list(r.counts) == [4, 0]
    assert list(r.values) == [0, 0, 5, 0]
    assert list(r.gaps) == [15 | 15 << 4, 9]


@pytest.fixture(scope="module")
def sparse_dot(tmp_path_factory):
    """tcm_sparse_dot (tcm_sparse.h: the FULLY_CONNECTED kernel's loop, 16, 8 and 4 entries a
    turn) over rows, built for the host: there the DSP primitives are their plain C twins; the
    QEMU test below runs the Arm instructions."""
    import ctypes
    import subprocess

    from tests.util import REPO
    d = tmp_path_factory.mktemp("sparse_dot")
    (d / "dot.c").write_text(
        '#include "tcm_sparse.h"\n'
        "void dot_rows(const int8_t *x, int32_t rows, const uint16_t *counts,\n"
        "              const int8_t *values, const uint8_t *gaps, int32_t *acc)\n"
        "{\n"
        "    int32_t r;\n"
        "    for (r = 0; r < rows; ++r) {\n"
        "        acc[r] = tcm_sparse_dot(acc[r], x, counts[r], &values, &gaps);\n"
        "    }\n"
        "}\n")
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                    "-shared", "-fPIC", "-fsanitize=undefined",
                    "-fno-sanitize-recover=all", "-I", str(REPO / "runtime_c"),
                    str(d / "dot.c"), "-o", str(d / "dot.so")], check=True)
    return ctypes.CDLL(str(d / "dot.so"))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 300), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))
def test_sparse_dot_property(sparse_dot, rows, cols, density, seed):
    """Random sparsity patterns (every row length mod 16, gaps above 15, all-zero rows): the
    kernel's sums equal bias + W @ x, computed by numpy from the dense weights."""
    import ctypes
    rng = np.random.default_rng(seed)
    w = rng.integers(-128, 128, (rows, cols)).astype(np.int8)
    w[rng.random((rows, cols)) >= density] = 0
    w[rng.random(rows) < 0.2] = 0
    x = rng.integers(-128, 128, cols).astype(np.int8)
    bias = rng.integers(-2**20, 2**20, rows).astype(np.int32)
    r = _sparse.rows_of(w, 4)
    acc = bias.copy()
    ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)   # noqa: E731
    values, gaps, counts = (np.ascontiguousarray(a) for a in (r.values, r.gaps, r.counts))
    sparse_dot.dot_rows(ptr(x), ctypes.c_int32(rows), ptr(counts), ptr(values), ptr(gaps),
                        ptr(acc))
    want = bias.astype(np.int64) + w.astype(np.int64) @ x.astype(np.int64)
    np.testing.assert_array_equal(acc, want)


def test_sparsity_off_and_cost_model():
    from tinycc_ml.ops.base import Context
    w = np.zeros((64, 64), np.int8)
    w[:, ::10] = 3
    r = _sparse.rows_of(w)
    assert _sparse.off(Context(sparsity="off")) == "--sparsity off"
    assert _sparse.off(Context(sparsity="auto")) is None
    assert _sparse.off(Context()) == "--sparsity off"      # off is the default for now
    c = _sparse.cost("conv", r, 100 * w.size, 100, "cortex-m4")
    assert c.why_not("cortex-m4") is None
    dense = _sparse.rows_of(np.ones((64, 64), np.int8))
    assert "does not pay" in _sparse.cost("conv", dense, 100 * 4096, 100,
                                          "cortex-m4").why_not("cortex-m4")


def _conv(k, x):
    return k.layers.Conv2D(24, 3, strides=1, padding="same", activation="relu")(x)


def _conv_valid(k, x):
    return k.layers.Conv2D(16, (3, 2), strides=2, padding="valid")(x)


def _depthwise(k, x):
    return k.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)


def _dense(k, x):
    return k.layers.Dense(40, activation="relu")(x)


LAYERS = {"conv": (_conv, (9, 7, 12), "tcm_conv2d_s8_sparse"),
          "conv_valid": (_conv_valid, (9, 8, 6), "tcm_conv2d_s8_sparse"),
          "depthwise": (_depthwise, (8, 8, 16), "tcm_depthwise_conv2d_s8_sparse"),
          "dense": (_dense, (60,), "tcm_fully_connected_s8_sparse")}


def _compiled_kernels(path, target):
    from tinycc_ml.compiler import Options, compile_file
    return {x.kernel for x in compile_file(path, Options(name="m", target=target,
                                                             sparsity="auto")).layers}


@pytest.mark.parametrize("layer", sorted(LAYERS))
@pytest.mark.parametrize("level,whole,zp", [(0.9, False, -128), (0.8, False, 37),
                                            (0.97, False, 5), (0.75, True, -3)])
def test_pruned_layer_bitexact(layer, level, whole, zp, tmp_path, monkeypatch):
    """The sparse kernel wherever it applies (the work bound lifted: this checks its numbers,
    not the cost model's choice), against BUILTIN_REF on the pruned model."""
    from tinycc_ml.frontends import load
    monkeypatch.setattr(_sparse, "WORK_GAIN", 1e9)
    fn, shape, kernel = LAYERS[layer]
    if whole and layer != "depthwise":
        kernel = "tcm_expand_channels_s8"     # whole filters: passes/channels.py removes them
    data = prune(int8_tflite(single_layer(shape, fn), [shape], seed=len(layer)), level, whole)
    path = write_model(data, tmp_path)
    # a chosen input zero point (scale kept): the folded offset input_offset * sum(row)
    g = load(path)
    x = g.tensor(g.inputs[0])
    path = write_model(set_quants(data, {x.name: (float(x.scale[0]), zp)}), tmp_path)
    assert kernel in _compiled_kernels(path, "generic")
    assert_bitexact(path, n=6, seed=int(level * 100), sparsity="auto")
    assert kernel not in _compiled_kernels_off(path)


def _compiled_kernels_off(path):
    from tinycc_ml.compiler import Options, compile_file
    return {x.kernel for x in compile_file(path, Options(name="m", sparsity="off")).layers}


def _fc_parallel(k, inp):
    """FULLY_CONNECTED layers side by side: rows of about 75, 10 and 32 entries at 75%."""
    h = k.layers.Dense(40)(inp)
    return [k.layers.Dense(24)(inp), k.layers.Dense(7, activation="relu")(inp),
            k.layers.Dense(5)(h), k.layers.Dense(130, activation="relu")(inp)]


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
def test_sparse_fc_on_qemu(core, tmp_path, monkeypatch):
    """tcm_fully_connected_s8_sparse's Arm build (UXTAB, SXTB16, PKHBT, SMLAD) on pruned layers
    with a chosen input zero point: bit-exact with BUILTIN_REF under QEMU."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.frontends import load
    from tinycc_ml.reference import TFLiteReference, random_inputs
    from tests.util import keras
    monkeypatch.setattr(_sparse, "WORK_GAIN", 1e9)

    def build():
        k = keras()
        inp = k.Input((300,))
        return k.Model(inp, _fc_parallel(k, inp))
    data = prune(int8_tflite(build, [(300,)], seed=9), 0.75)
    g = load(write_model(data, tmp_path))
    x = g.tensor(g.inputs[0])
    path = write_model(set_quants(data, {x.name: (float(x.scale[0]), 11)}), tmp_path)
    c = compile_file(path, Options(name="m", target=core, sparsity="auto"))
    assert {x.kernel for x in c.layers if x.kind == "FULLY_CONNECTED"} == {
        "tcm_fully_connected_s8_sparse"}
    rng = np.random.default_rng(3)
    inputs = [random_inputs([((1, 300), np.int8)], rng) for _ in range(3)]
    run = build_and_run(c, inputs, core, work=tmp_path / "build")
    ref = TFLiteReference(path)
    for xs, got in zip(inputs, run.outputs):
        for a, b in zip(got, ref.run(xs)):
            np.testing.assert_array_equal(a, b.reshape(a.shape))
