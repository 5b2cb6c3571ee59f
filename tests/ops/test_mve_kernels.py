"""The Helium (MVE) kernels chosen for --target cortex-m55 (runtime_c/tcm_conv_mve.c,
tcm_depthwise_mve.c, tcm_fc_mve.c, tcm_elementwise_mve.c): bit-exact with TFLite BUILTIN_REF under QEMU (mps3-an547),
warning-free under arm-none-eabi-gcc's strict flags, and their plain C twins (the same files
built on the host, where MVE is absent) bit-exact too.

Each model gathers several layers as parallel outputs, so that one QEMU run checks them all:
1x1 / 3x3 / 5x3 filters, stride 1 and 2, SAME and VALID, dilation, channel counts and filter
depths that are not multiples of 4 or 16 (the predicated tails), depth multipliers, images
whose width is not a multiple of 4 (the depthwise kernel's groups of 4 pixels), fully
connected layers of odd sizes, per-tensor weights, batches above 1, and per-channel shifts of
both signs (tcm_mve_requant's left shift and its round-half-away-from-zero fixup); ADD and SUB
with and without broadcasting, fused RELU and in place (plus every int8 input pair on the core).
"""

from __future__ import annotations

import functools
import shutil
import subprocess

import numpy as np
import pytest

from tests.ops._conv_edits import with_batch
from tests.ops._tflite_edit import set_quant
from tests.util import int8_tflite, keras, write_model

TARGET = "cortex-m55"

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm")),
    reason="arm-none-eabi-gcc and qemu-system-arm are needed to run Helium code (QEMU mps3-an547)")


def _conv_model():
    k = keras()
    inp = k.Input((9, 11, 5))
    wide = k.layers.Conv2D(40, 1, activation="relu")(inp)        # 1x1, K = 5
    outs = [
        k.layers.Conv2D(7, 3, padding="same", activation="relu")(inp),        # K = 45
        k.layers.Conv2D(16, 3, strides=2, padding="valid")(inp),
        k.layers.Conv2D(19, 1, padding="same")(inp),
        k.layers.Conv2D(4, 1, strides=2, padding="same", activation="relu")(inp),
        k.layers.Conv2D(6, 3, dilation_rate=2, padding="same")(inp),
        k.layers.Conv2D(9, (5, 3), strides=(2, 1), padding="same")(inp),
        k.layers.Conv2D(13, 3, padding="same")(wide),                         # K = 360
        k.layers.Conv2D(3, (2, 4), strides=(1, 2), padding="valid")(wide),
    ]
    return k.Model(inp, outs)


def _depthwise_model():
    k = keras()
    inp = k.Input((10, 13, 8))
    odd = k.layers.Conv2D(7, 1)(inp)
    dw = k.layers.DepthwiseConv2D
    outs = [
        dw(3, padding="same", activation="relu")(inp),          # groups of 4 pixels, 13 = 3*4+1
        dw(3, strides=2, padding="same")(inp),
        dw(3, padding="valid", depth_multiplier=2)(inp),        # the gather of input channels
        dw(3, padding="same")(odd),                             # 7 channels: one pixel at a time
        dw(5, dilation_rate=2, padding="same")(inp),
        dw((3, 1), strides=(1, 2), padding="valid")(inp),
        dw(3, padding="same", depth_multiplier=3)(odd),
        dw(2, strides=2, padding="valid")(k.layers.Conv2D(12, 1)(inp)),
    ]
    return k.Model(inp, outs)


def _fc_model():
    k = keras()
    inp = k.Input((37,))
    h = k.layers.Dense(19, activation="relu")(inp)
    return k.Model(inp, [h, k.layers.Dense(5)(h), k.layers.Dense(64, activation="relu")(inp),
                         k.layers.Dense(3)(k.layers.Dense(130)(inp))])


ADD_SHAPE = (6, 7, 19)      # 798 elements: runs of 19 and a whole-tensor run, both with tails


def _add_model():
    """ADD and SUB (tcm_add_s8_mve): same shapes with differing scales, fused RELU, each input
    broadcast along the run (SUB both ways round: the scaled input subtracted from a constant),
    runs of C with an input broadcast across pixels, and an ADD written in place over an input
    that dies there."""
    k = keras()
    a, b = k.Input(ADD_SHAPE, name="in_a"), k.Input(ADD_SHAPE[:2] + (1,), name="in_b")
    c = k.Input((1, 1, ADD_SHAPE[2]), name="in_c")
    ca = k.layers.Conv2D(ADD_SHAPE[2], 1)(a)
    cb = k.layers.Conv2D(ADD_SHAPE[2], 1, activation="relu")(a)
    last = k.layers.Conv2D(ADD_SHAPE[2], 3, padding="same")(a) + k.layers.Conv2D(
        ADD_SHAPE[2], 1)(a)                                          # in place: both inputs die
    return k.Model([a, b, c], [
        k.layers.ReLU()(ca + cb), a - ca, ca + b, b - cb, cb - c, a + c,
        k.layers.MaxPooling2D(2)(last)])


@functools.lru_cache(maxsize=None)
def _model(name: str) -> bytes:
    k_seed = {"conv": 1, "depthwise": 2, "fc": 3, "fc_per_tensor": 4, "scaled": 5, "add": 6}[name]
    if name == "add":
        return int8_tflite(_add_model, [ADD_SHAPE, ADD_SHAPE[:2] + (1,), (1, 1, ADD_SHAPE[2])],
                           seed=k_seed, n_calib=8)
    if name == "conv":
        return int8_tflite(_conv_model, [(9, 11, 5)], seed=k_seed, n_calib=8)
    if name == "depthwise":
        return int8_tflite(_depthwise_model, [(10, 13, 8)], seed=k_seed, n_calib=8)
    if name in ("fc", "fc_per_tensor"):
        return int8_tflite(_fc_model, [(37,)], seed=k_seed, n_calib=8,
                           per_channel=name == "fc")
    # one 3x3 CONV_2D then one DEPTHWISE_CONV_2D whose output scales are made small, so that
    # requantization shifts left (shift > 0) in some channels; then batch 3
    def build():
        k = keras()
        inp = k.Input((6, 7, 6))
        x = k.layers.Conv2D(8, 3, padding="same", bias_initializer="random_normal")(inp)
        return k.Model(inp, k.layers.DepthwiseConv2D(3, padding="same")(x))
    data = with_batch(int8_tflite(build, [(6, 7, 6)], seed=k_seed, n_calib=8), 3)
    # effective scales input * filter / output: around 1 for the CONV_2D (shifts 0 and 1),
    # around 0.5 for the DEPTHWISE_CONV_2D (shifts -1 and 0 side by side in one vector)
    for kind, effective in (("CONV_2D", 1.0), ("DEPTHWISE_CONV_2D", 0.5)):
        g = _graph(data)
        op = next(o for o in g.ops if o.kind == kind)
        x, w, y = (g.tensor(n) for n in (op.inputs[0], op.inputs[1], op.outputs[0]))
        scale = float(x.scale[0]) * float(np.median(w.scale)) / effective
        data = set_quant(data, op.outputs[0], scale, int(y.zero_point[0]))
    return data


def _graph(data: bytes):
    import tempfile
    from pathlib import Path

    from tinycc_ml.frontends import load
    with tempfile.TemporaryDirectory() as d:
        return load(write_model(data, Path(d)))


MODELS = ["conv", "depthwise", "fc", "fc_per_tensor", "scaled", "add"]
KERNELS = {"conv": "tcm_conv2d_s8_mve", "depthwise": "tcm_depthwise_conv2d_s8_mve",
           "fc": "tcm_fully_connected_s8_mve", "fc_per_tensor": "tcm_fully_connected_s8_mve",
           "scaled": "tcm_depthwise_conv2d_s8_mve", "add": "tcm_add_s8_mve"}


@pytest.mark.parametrize("name", MODELS)
def test_mve_kernels_on_qemu(name, tmp_path):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.reference import TFLiteReference, random_inputs
    path = write_model(_model(name), tmp_path)
    c = compile_file(path, Options(name="m", target=TARGET))
    ref = TFLiteReference(path)
    rng = np.random.default_rng(len(name))
    specs = [(d["shape"], d["dtype"]) for d in ref.inputs]
    inputs = [random_inputs(specs, rng) for _ in range(3)]
    run = build_and_run(c, inputs, TARGET, work=tmp_path / "qemu")
    source = (tmp_path / "qemu").rglob("m.c")
    assert any(KERNELS[name] in p.read_text() for p in source), "the MVE kernel was not chosen"
    if name == "add":       # the last ADD writes over its first input (tcm_elementwise_mve.h)
        assert [link.input for link in c.plan.inplace] == [0], c.plan.inplace
    for k, (xs, got) in enumerate(zip(inputs, run.outputs)):
        want = ref.run(xs)
        assert len(got) == len(want)
        for j, (a, b) in enumerate(zip(got, want)):
            np.testing.assert_array_equal(a, b.reshape(a.shape),
                                          err_msg=f"{name}: input {k}, output {j}")


@pytest.mark.parametrize("name", MODELS)
def test_mve_kernels_plain_c_on_host(name, tmp_path):
    """The same files built for the host: their #else branches (no MVE) are bit-exact too."""
    from tests.util import assert_bitexact
    assert_bitexact(write_model(_model(name), tmp_path), n=3, seed=7, target=TARGET)


def test_mve_kernels_strict_build(tmp_path):
    from tinycc_ml.cli import main
    from tinycc_ml.cortexm import CORES
    for name in ("conv", "depthwise", "fc", "add"):
        out = tmp_path / name
        assert main(["compile", str(write_model(_model(name), tmp_path, f"{name}.tflite")),
                     "-o", str(out), "--target", TARGET, "-q"]) == 0
        for c in sorted(out.glob("*.c")):
            p = subprocess.run(["arm-none-eabi-gcc", *CORES[TARGET][0], "-std=c99", "-Wall",
                                "-Wextra", "-Werror", "-pedantic", "-O2", "-c", str(c), "-o",
                                str(tmp_path / f"{name}_{c.stem}.o")],
                               capture_output=True, text=True)
            assert p.returncode == 0, p.stderr


# tcm_mve.h's requantization against tcm_math.h's scalar forms (themselves checked against
# Python integers in tests/ops/test_math.py), on the core: every shift, multipliers at their
# bounds, accumulators at the int32 edges, every kind of rounding tie, and random values.
REQUANT_GUEST = r"""
#include <stdio.h>
#include <stdint.h>
#include "tcm_mve.h"

static uint32_t seed = 12345u;
static uint32_t next(void) { seed = seed * 1664525u + 1013904223u; return seed ^ (seed >> 15); }

static long checked, bad;
static int32_t qa[4], qm[4], qs[4];
static int queued;

/* Four triples at a time through the vector form (one per lane), each through the broadcast
 * and single-rounding forms. */
static void check(int32_t acc, int32_t mult, int32_t shift)
{
    int i;
    qa[queued] = acc; qm[queued] = mult; qs[queued] = shift;
    if (++queued < 4) return;
    queued = 0;
    {
        int32_t got[4];
        vstrwq_s32(got, tcm_mve_requant(vldrwq_s32(qa), vldrwq_s32(qm), vldrwq_s32(qs)));
        for (i = 0; i < 4; ++i) {
            int32_t want = tcm_mbqm(qa[i], qm[i], qs[i]);
            int32_t n = vgetq_lane_s32(tcm_mve_requant_n(vdupq_n_s32(qa[i]), qm[i], qs[i]), 0);
            int32_t single = tcm_mve_mbqm_single(qa[i], qm[i], qs[i]);
            checked += 3;
            if (got[i] != want || n != want || single != tcm_mbqm_single(qa[i], qm[i], qs[i])) {
                if (bad < 5) printf("bad acc %ld mult %ld shift %ld\n", (long)qa[i], (long)qm[i],
                                    (long)qs[i]);
                ++bad;
            }
        }
    }
}

int main(void)
{
    static const int32_t mults[] = {0, 1073741824, 2147483647, 1518500250, 1200000001};
    static const int32_t accs[] = {0, 1, -1, 2, -2, 3, -3, 127, -128, 65535, -65536, 1 << 20,
                                   -(1 << 20), 1073741823, -1073741824, 2147483647, -2147483647,
                                   -2147483647 - 1};
    int32_t shift, r, k, i, j;
    for (shift = -31; shift <= 30; ++shift) {
        for (i = 0; i < (int)(sizeof mults / sizeof mults[0]); ++i) {
            for (j = 0; j < (int)(sizeof accs / sizeof accs[0]); ++j) {
                check(accs[j], mults[i], shift);
            }
        }
        /* double rounding ties: mult 2^30 halves an even acc exactly, so high = acc / 2 and
         * RoundingDivideByPOT meets h = k * 2^r +- 2^(r-1) */
        r = -shift;
        if (r >= 1 && r <= 29) {
            for (k = -3; k <= 3; ++k) {
                int32_t h = k * (1 << r) + (1 << (r - 1));
                check(2 * h, 1073741824, shift);
                check(-2 * h, 1073741824, shift);
            }
        }
        /* single rounding ties: acc * 2^30 / 2^(31 - shift) is k + 1/2 for acc = (2k+1) 2^-shift */
        if (shift <= 0 && shift >= -29) {
            for (k = -3; k <= 3; ++k) {
                check((2 * k + 1) * (1 << -shift), 1073741824, shift);
            }
        }
    }
    for (i = 0; i < 40000; ++i) {
        int32_t mult = (int32_t)(1073741824u + (next() & 0x3FFFFFFFu));
        int32_t sh = (int32_t)(next() % 62u) - 31;
        int32_t acc = (int32_t)next() >> (next() % 31u);
        check(acc, mult, sh);
    }
    printf("checked %ld bad %ld\n", checked, bad);
    return bad != 0;
}
"""


def test_mve_requantization_edges_on_qemu(tmp_path):
    from tinycc_ml.cortexm import CORES, HERE, run_elf
    from tests.util import REPO
    flags, _, ld = CORES[TARGET]
    (tmp_path / "g.c").write_text(REQUANT_GUEST)
    elf = tmp_path / "g.elf"
    subprocess.run(["arm-none-eabi-gcc", *flags, "-O2", "-Wall", "-Wextra", "-Werror",
                    "-I", str(REPO / "runtime_c"), "--specs=nano.specs", "--specs=rdimon.specs",
                    "-nostartfiles", "-L", str(HERE), "-T", str(HERE / ld), "-Wl,--gc-sections",
                    str(HERE / "startup.c"), str(tmp_path / "g.c"), "-o", str(elf)], check=True)
    p = run_elf(elf, TARGET, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "bad 0" in p.stdout and int(p.stdout.split()[1]) > 100000


# tcm_add_s8_mve against tcm_add_s8 (the portable kernel, bit-exact with BUILTIN_REF in
# tests/ops/test_add.py) on the core, for every pair of int8 inputs: same shapes (with a tail),
# each input broadcast along the run, in place over input 1; parameters chosen so that both
# rescales meet rounding ties (multiplier 2^30 with shifts that halve odd values), and random.
# Random model data almost never meets those ties after the output rescale.
ADD_GUEST = r"""
#include <stdio.h>
#include <string.h>
#include "tcm_elementwise_mve.h"

#define N (65536 + 3)
static int8_t in1[N], in2[N], want[N], got[N];
static uint32_t seed = 777u;
static uint32_t next(void) { seed = seed * 1664525u + 1013904223u; return seed ^ (seed >> 15); }
static long checked, bad;

static void compare(const tcm_add_params *p, const tcm_broadcast *loop, int32_t n, int in_place)
{
    int32_t i;
    tcm_add_s8(p, loop, in1, in2, want);
    if (in_place) {
        memcpy(got, in1, sizeof got);
        tcm_add_s8_mve(p, loop, got, in2, got);
    } else {
        tcm_add_s8_mve(p, loop, in1, in2, got);
    }
    for (i = 0; i < n; ++i) {
        ++checked;
        if (got[i] != want[i]) {
            if (bad < 5) printf("bad i %ld got %d want %d m1 %ld s1 %ld m2 %ld s2 %ld\n",
                                (long)i, got[i], want[i], (long)p->input1.multiplier,
                                (long)p->input1.shift, (long)p->input2.multiplier,
                                (long)p->input2.shift);
            ++bad;
        }
    }
}

static void check(const tcm_add_params *p)
{
    tcm_broadcast same = {0, {0}, {0}, {0}, N, 1, 1};
    tcm_broadcast bcast2 = {1, {256}, {255}, {1}, 255, 1, 0};
    tcm_broadcast bcast1 = {1, {256}, {1}, {255}, 255, 0, 1};
    int32_t i;
    for (i = 0; i < N; ++i) {                       /* every (x1, x2) pair */
        in1[i] = (int8_t)(i & 255);
        in2[i] = (int8_t)((i >> 8) & 255);
    }
    compare(p, &same, N, 0);
    compare(p, &same, N, 1);
    for (i = 0; i < 256 * 255; ++i) {               /* runs of 255 shifted by 255: every pair */
        in1[i] = (int8_t)(i & 255);
        in2[i] = (int8_t)(i & 255);
    }
    compare(p, &bcast2, 256 * 255, 0);
    compare(p, &bcast1, 256 * 255, 0);
}

static int32_t rnd(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }

int main(void)
{
    tcm_add_params p;
    int32_t k, t;
    p.left_shift = 20;
    for (t = 0; t < 16; ++t) {                       /* rounding ties in both rescales */
        p.input1.offset = t & 1 ? 0 : -3;
        p.input1.multiplier = 1073741824;
        p.input1.shift = -20 - (t & 3);
        p.input1.negate = 0;
        p.input2.offset = t & 2 ? 5 : 0;
        p.input2.multiplier = 1073741824;
        p.input2.shift = -19 - (t >> 2);
        p.input2.negate = t & 4 ? 1 : 0;
        p.output_multiplier = 1073741824;
        p.output_shift = -(t & 3);
        p.output_offset = t - 8;
        p.act_min = -128;
        p.act_max = 127;
        check(&p);
    }
    for (k = 0; k < 24; ++k) {                       /* random parameters */
        p.input1.offset = rnd(-127, 128);
        p.input1.multiplier = rnd(1073741824, 2147483647);
        p.input1.shift = k & 1 ? 0 : rnd(-12, 0);
        p.input1.negate = 0;
        p.input2.offset = rnd(-127, 128);
        p.input2.multiplier = rnd(1073741824, 2147483647);
        p.input2.shift = rnd(-12, 0);
        p.input2.negate = k & 2 ? 1 : 0;
        p.output_multiplier = rnd(1073741824, 2147483647);
        p.output_shift = rnd(-24, -12);
        p.output_offset = rnd(-128, 127);
        p.act_min = k & 4 ? p.output_offset : -128;
        p.act_max = k & 8 ? rnd(p.act_min, 127) : 127;
        check(&p);
    }
    printf("checked %ld bad %ld\n", checked, bad);
    return bad != 0;
}
"""


def test_mve_add_every_input_pair_on_qemu(tmp_path):
    from tinycc_ml.cortexm import CORES, HERE, run_elf
    from tests.util import REPO
    flags, _, ld = CORES[TARGET]
    rt = REPO / "runtime_c"
    (tmp_path / "g.c").write_text(ADD_GUEST)
    elf = tmp_path / "g.elf"
    subprocess.run(["arm-none-eabi-gcc", *flags, "-O2", "-Wall", "-Wextra", "-Werror",
                    "-I", str(rt), "--specs=nano.specs", "--specs=rdimon.specs",
                    "-nostartfiles", "-L", str(HERE), "-T", str(HERE / ld), "-Wl,--gc-sections",
                    str(HERE / "startup.c"), str(tmp_path / "g.c"), str(rt / "tcm_elementwise.c"),
                    str(rt / "tcm_elementwise_mve.c"), "-o", str(elf)], check=True)
    p = run_elf(elf, TARGET, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "bad 0" in p.stdout and int(p.stdout.split()[1]) > 10_000_000
