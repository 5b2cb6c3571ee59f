"""The Cortex-M 16x8 kernels of FULLY_CONNECTED, CONV_2D (runtime_c/tcm_fc_s16.c,
tcm_conv_s16.c over tcm_dot_s16.h) and DEPTHWISE_CONV_2D (tcm_depthwise_s16.c): SMLAD on
cortex-m4, Helium on cortex-m55, against TFLite BUILTIN_REF: under QEMU on both cores and as
their plain C on the host, with `inspect` naming the kernel chosen.

One model gathers the layer forms as parallel outputs, so one QEMU run checks them all: 1x1
windows read in place (odd in_c) and gathered (stride 2), 3x3 with SAME padding and stride 2
VALID, a 5x3 window, a deep window of 360 taps, channel counts with every remainder
mod 4 and depths with every remainder mod 8 (the kernels' tails), fully connected layers with
batches above 1, depthwise layers with padding, strides and channel tails of 1 to 3. A second model holds layers whose int32 bound just exceeds 2^31 (FC depth 517
and a 3x3x58 window, every weight at +-127): tcm_dot_s16.h then sums in runs of 256 values, and
inputs at the int16 extremes drive a whole-row int32 sum past the int32 range, so a kernel that
summed the row in int32 would wrap. The last test pins ops/_int16.py dot_chunk's boundary."""

from __future__ import annotations

import functools
import shutil

import numpy as np
import pytest

from tests.ops._int16 import x16_tflite
from tests.util import keras, quantize, write_model
from tinycc_ml.ops import _int16

QEMU = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm")),
    reason="arm-none-eabi-gcc and qemu-system-arm run the Cortex-M code")
KERNELS = {core: {"CONV_2D": f"tcm_conv2d_s16_{s}",
                  "DEPTHWISE_CONV_2D": f"tcm_depthwise_conv2d_s16_{s}",
                  "FULLY_CONNECTED": f"tcm_fully_connected_s16_{s}"}
           for core, s in (("cortex-m4", "smlad"), ("cortex-m55", "mve"))}
SHAPE = (9, 11, 5)
WIDE = (517,)           # 517 * 127 = 65,659 > 2^16: 2^15 * sum(|w|) just over 2^31
DEEP = (3, 3, 58)       # 3 * 3 * 58 = 522 taps


def _layers():
    k = keras()
    inp = k.Input(SHAPE)
    conv, dw = k.layers.Conv2D, k.layers.DepthwiseConv2D
    wide = conv(40, 1, activation="relu")(inp)
    half = conv(16, 3, strides=2, padding="valid")(inp)
    outs = [
        conv(7, 3, padding="same", activation="relu")(inp),      # 45 taps, 7 channels
        half,
        conv(19, 1)(inp),                                         # 1x1 in place, in_c 5
        conv(4, 1, strides=2, padding="same", activation="relu")(inp),
        conv(9, (5, 3), strides=(2, 1), padding="same")(inp),
        conv(13, 3, padding="same")(wide),                        # 360 taps
        dw(3, padding="same", activation="relu")(wide),           # 40 channels
        dw(3, strides=2, padding="valid")(inp),                   # 5: a tail of 1
        dw((5, 3), strides=(1, 2), padding="same")(conv(7, 1)(inp)),     # 7: a tail of 3
        dw(2, padding="same")(conv(6, 1)(inp)),                   # 6: a tail of 2
        k.layers.Dense(10)(k.layers.Flatten()(inp)),              # depth 495
        k.layers.Dense(3)(k.layers.Dense(37, activation="relu")(k.layers.Flatten()(half))),
        k.layers.Dense(6)(k.layers.Reshape((99, 5))(inp)),        # 99 rows of depth 5
    ]
    return k.Model(inp, outs)


def _extreme_weights(shape, rng):
    """Rows of the four kinds the bound depends on: all +1, all -1, alternating, random +-1."""
    w = rng.choice([-1.0, 1.0], shape).astype(np.float32)
    w[..., 0] = 1.0
    w[..., 1] = -1.0
    if shape[-1] > 2:
        w[..., 2] = np.where(np.arange(int(np.prod(shape[:-1]))).reshape(shape[:-1]) % 2, 1, -1)
    return w


def _bound_layers():
    k = keras()
    rng = np.random.default_rng(5)
    a, b = k.Input(WIDE, name="wide"), k.Input(DEEP, name="deep")
    fc = k.layers.Dense(5)
    conv = k.layers.Conv2D(4, 3, padding="same")
    model = k.Model([a, b], [fc(a), conv(b)])
    fc.set_weights([_extreme_weights((WIDE[0], 5), rng), rng.normal(0, 1, 5).astype(np.float32)])
    conv.set_weights([_extreme_weights((3, 3, DEEP[2], 4), rng),
                      rng.normal(0, 1, 4).astype(np.float32)])
    return model


@functools.lru_cache(maxsize=None)
def _model(name: str) -> bytes:
    if name == "layers":
        return x16_tflite(_layers, [SHAPE], seed=8, n_calib=8)
    from tests.util import tf
    tf().keras.utils.set_random_seed(9)
    model = _bound_layers()
    rng = np.random.default_rng(9)

    def rep():      # the extremes too, so that the output scales cover the largest sums
        for v in (1.0, -1.0, None, None, None, None):
            xs = [np.full((1,) + s, v, np.float32) if v is not None else
                  rng.uniform(-1, 1, (1,) + s).astype(np.float32) for s in (WIDE, DEEP)]
            yield {"wide": xs[0], "deep": xs[1]}
    return quantize(model, rep, io_type="int16", scheme="16x8")


def _inputs(path, name: str):
    """Random int16 inputs; for the bound model also every input at +32767 and at -32768."""
    from tinycc_ml.reference import TFLiteReference, random_inputs
    specs = [(d["shape"], d["dtype"]) for d in TFLiteReference(path).inputs]
    rng = np.random.default_rng(len(name))
    xs = [random_inputs(specs, rng) for _ in range(2)]
    if name == "bound":
        xs += [[np.full(s, v, np.int16) for s, _ in specs] for v in (32767, -32768)]
    return xs


def _assert_equal(path, inputs, outputs, name):
    from tinycc_ml.reference import TFLiteReference
    ref = TFLiteReference(path)
    for k, (xs, got) in enumerate(zip(inputs, outputs)):
        want = ref.run(xs)
        assert len(got) == len(want)
        for j, (a, b) in enumerate(zip(got, want)):
            np.testing.assert_array_equal(a, b.reshape(a.shape),
                                          err_msg=f"{name}: input {k}, output {j}")


@QEMU
@pytest.mark.parametrize("core", sorted(KERNELS))
@pytest.mark.parametrize("name", ["layers", "bound"])
def test_int16_cortexm_kernels_on_qemu(name, core, tmp_path):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    path = write_model(_model(name), tmp_path)
    c = compile_file(path, Options(name="m", target=core))
    chosen = {(op.kind, ch.kernel.name) for op, ch in zip(c.graph.ops, c.choices)
              if op.kind in KERNELS[core]}
    assert chosen <= set(KERNELS[core].items()), chosen
    decisions = [ch.decision for op, ch in zip(c.graph.ops, c.choices)
                 if op.kind in KERNELS[core]]
    if name == "bound":     # every layer's bound exceeds int32: runs of 256 values, no short
        assert set(decisions) == {(_int16.ANY_WEIGHTS_RUN, None)}, decisions
    else:
        assert set(KERNELS[core].values()) <= {n for _, n in chosen}
        assert any(table is not None for _, table in decisions)     # the short requantization
    inputs = _inputs(path, name)
    run = build_and_run(c, inputs, core, work=tmp_path / "qemu")
    _assert_equal(path, inputs, run.outputs, f"{name} on {core}")


@pytest.mark.parametrize("core", sorted(KERNELS))
@pytest.mark.parametrize("name", ["layers", "bound"])
def test_int16_cortexm_kernels_plain_c_on_host(name, core, tmp_path):
    """The same files built for the host, where SMLAD and Helium are plain C."""
    from tests.util import compile_and_build
    path = write_model(_model(name), tmp_path)
    inputs = _inputs(path, name)
    host = compile_and_build(path, target=core)
    _assert_equal(path, inputs, [host.run(xs) for xs in inputs], f"{name}, {core} C on host")


@pytest.mark.parametrize("core", sorted(KERNELS))
def test_int16_cortexm_kernels_inspect(core, tmp_path, capsys):
    """`inspect` names the kernel chosen for each layer."""
    from tinycc_ml.cli import main
    path = write_model(_model("layers"), tmp_path)
    assert main(["inspect", str(path), "--target", core]) == 0
    text = capsys.readouterr().out
    kernels = text[text.index("kernels (passed over: why)"):]
    for kind, name in KERNELS[core].items():
        assert f"{kind:<18} {name}\n" in kernels, kernels
    if core == "cortex-m4":
        assert "not tcm_conv2d_s16_mve: needs Helium (MVE); --target cortex-m4" in kernels


def test_int16_dot_chunk_boundary():
    """ops/_int16.py dot_chunk: a whole row (the depth rounded up to 8) while 2^15 * sum(|w|) <
    2^31 for every row, runs of ANY_WEIGHTS_RUN values from the first row that reaches 2^31."""
    def chunk(*runs):
        return _int16.dot_chunk(np.concatenate([np.full(n, v, np.int8) for n, v in runs])[None])
    assert chunk((516, 127)) == 520                        # 65,532
    assert chunk((515, 127), (1, -128)) == 520             # 65,533
    assert chunk((511, -128), (1, 127)) == 512             # 65,535
    assert chunk((512, -128)) == _int16.ANY_WEIGHTS_RUN    # 65,536: 2^31 does not fit
    assert chunk((517, 127)) == _int16.ANY_WEIGHTS_RUN     # 65,659
    rows = np.zeros((3, 600), np.int8)
    rows[2, :517] = -127
    assert _int16.dot_chunk(rows) == _int16.ANY_WEIGHTS_RUN
    assert _int16.ANY_WEIGHTS_RUN * 128 * 32768 < 2**31   # any weights: 2^30


def test_int16_depthwise_bound(tmp_path):
    """A depthwise window of 23 x 23 = 529 taps at +-127 (2^15 * 67,183 > 2^31) cannot sum in
    int32: its layer runs on the portable kernel, with the reason in `inspect`; 22 x 22 = 484
    taps can."""
    from tests.ops._int16 import chosen_kernels

    def build(size):
        def model():
            k = keras()
            inp = k.Input((size, size, 2))
            layer = k.layers.DepthwiseConv2D(size, padding="valid")
            model = k.Model(inp, layer(inp))
            layer.set_weights([np.ones((size, size, 2, 1), np.float32),
                               np.zeros(2, np.float32)])
            return model
        return x16_tflite(model, [(size, size, 2)], n_calib=2)
    for size, want in ((23, "tcm_depthwise_conv2d_s16"), (22, "tcm_depthwise_conv2d_s16_smlad")):
        chosen = chosen_kernels(build(size), tmp_path, "cortex-m4")
        assert chosen["DEPTHWISE_CONV_2D"] == {want}, (size, chosen)


@pytest.mark.parametrize("core", sorted(KERNELS))
def test_int16_cortexm_kernels_asan_ubsan(core, tmp_path):
    """Their plain C under ASan and UBSan: no read past a tensor (the channel and depth tails),
    no misaligned or overflowing arithmetic."""
    from tests.test_sanitizers import SAN_ENV, SANITIZE, build, run_and_compare
    for name in ("layers", "bound"):
        path = write_model(_model(name), tmp_path, f"{name}.tflite")
        exe, compiled = build(path, tmp_path / name, ["-O1", "-g", "-DFILL_ARENA", *SANITIZE],
                              target=core)
        run_and_compare(exe, compiled, path, n=2, seed=3, env=SAN_ENV)


def test_int16_short_requant_equals_the_int64_form():
    """tcm_window_requant_s16_short's table (ops/_int16.py short_requant) against TFLite's
    MultiplyByQuantizedMultiplier(int64_t, ...) (kernels/internal/common.cc) written here from
    the source, on accumulators at and near +-2^31, multipliers at their bounds (0x7FFF0000
    saturates the reduced multiplier) and every shift from -31 to -2; and its refusals."""
    from types import SimpleNamespace

    def tflite(x, m, s):
        reduced = (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF
        n = 15 - s
        return (x * reduced + (1 << (n - 1))) >> n

    rng = np.random.default_rng(1)
    mults = np.array([1 << 30, (1 << 31) - 1, 0x7FFF0000, 0x7FFEFFFF, *rng.integers(
        1 << 30, 1 << 31, 28)], np.int64)
    for s in range(-31, -1):
        shift = np.full(len(mults), s)
        layer = SimpleNamespace(params=SimpleNamespace(rq=SimpleNamespace(
            multiplier=mults, shift=shift)), op=SimpleNamespace(inputs=["x", "w"]))
        table = _int16.short_requant(layer, np.full(len(mults), 65535))   # 2^31 - 2^15 < 2^31
        assert table is not None
        for x in (-(1 << 31) + (1 << 15), (1 << 31) - (1 << 15), 0, -1, 1,
                  *rng.integers(-(1 << 31) + (1 << 15), (1 << 31) - (1 << 15), 40)):
            for (r, k, half), m in zip(table.astype(np.int64), mults):
                q = (int(x) * int(r)) >> 16
                assert (q + int(half)) >> int(k) == tflite(int(x), int(m), s), (x, m, s)
        assert _int16.short_requant(layer, np.full(len(mults), 65536)) is None   # 2^31
    layer.params.rq.shift = np.full(len(mults), -1)                             # n = 16
    assert _int16.short_requant(layer, np.zeros(len(mults))) is None


SCRATCH_CDEF = "int fc(int units); int conv(int out_c, int taps); int dw(int out_c);"
SCRATCH_SOURCE = r"""
#include "tcm_conv.h"
#include "tcm_depthwise.h"
#include "tcm_fc.h"
int fc(int units) { return TCM_FC_S16_SCRATCH_BYTES(units); }
int conv(int out_c, int taps) { return TCM_CONV_S16_DOT_SCRATCH_BYTES(out_c, taps); }
int dw(int out_c) { return TCM_DEPTHWISE_S16_SCRATCH_BYTES(out_c); }
"""


@pytest.mark.parametrize("core", sorted(KERNELS))
def test_int16_cortexm_scratch_equals_the_macros(core, tmp_path):
    """The scratch the compiler reserves for each layer is what the C headers' macros say."""
    from tests.ops._runtime_ffi import build
    from tinycc_ml.compiler import Options, compile_file
    c = build("s16scratch", SCRATCH_CDEF, SCRATCH_SOURCE, tmp_path).lib
    path = write_model(_model("layers"), tmp_path)
    compiled = compile_file(path, Options(name="m", target=core))
    checked = set()
    for op, ch in zip(compiled.graph.ops, compiled.choices):
        if op.kind not in KERNELS[core]:
            continue
        w = compiled.graph.tensor(op.inputs[1]).shape
        want = {"FULLY_CONNECTED": lambda: c.fc(w[0]),
                "CONV_2D": lambda: c.conv(w[0], w[1] * w[2] * w[3]),
                "DEPTHWISE_CONV_2D": lambda: c.dw(w[3])}[op.kind]()
        assert ch.scratch == want, (op.kind, w, ch.scratch, want)
        checked.add(op.kind)
    assert checked == set(KERNELS[core])
