"""CONV_2D against TFLite BUILTIN_REF: a grid of Keras Conv2D layers converted to full int8, and
edits of converted models for what the converter never writes (dilation: Keras converts it to
SPACE_TO_BATCH_ND + CONV_2D + BATCH_TO_SPACE_ND; batches > 1; RELU_N1_TO_1)."""

from __future__ import annotations

import functools
import subprocess

import numpy as np
import pytest

from tests.ops._ir import compile_error
from tests.cli.tflite_edit import edit
from tests.ops._conv_edits import (activation, check_builds, op_index, window_graph,
                                    with_activation, with_batch, with_dilation, with_shape)
from tests.util import REPO, int8_tflite, keras, write_model

# id: (input HWC, filters, kernel, strides, padding, activation)
CASES = {
    "k3_s1_same_relu_3to8": ((12, 12, 3), 8, (3, 3), (1, 1), "same", "relu"),
    "k3_s2_same_relu6_8to16": ((15, 13, 8), 16, (3, 3), (2, 2), "same", "relu6"),
    "k3_s2_valid_none_5to7": ((11, 9, 5), 7, (3, 3), (2, 2), "valid", None),
    "k3x5_s2x3_valid_relu6_5to6": ((13, 17, 5), 6, (3, 5), (2, 3), "valid", "relu6"),
    "k4_s3_same_relu_3to2": ((14, 10, 3), 2, (4, 4), (3, 3), "same", "relu"),
    "k7_s1_same_relu_2to3": ((8, 8, 2), 3, (7, 7), (1, 1), "same", "relu"),
    "k2_s2_valid_none_3to5_one_pixel": ((2, 2, 3), 5, (2, 2), (2, 2), "valid", None),
    "k5x2_s3x1_same_relu_1to4": ((20, 7, 1), 4, (5, 2), (3, 1), "same", "relu"),
    # pointwise: a row of in_c values per pixel, padded (17) or not (32) to whole vectors
    "k1_s1_valid_relu_17to33": ((6, 5, 17), 33, (1, 1), (1, 1), "valid", "relu"),
    "k1_s1_same_relu6_32to24": ((7, 9, 32), 24, (1, 1), (1, 1), "same", "relu6"),
    "k1_s2_same_none_16to8": ((9, 9, 16), 8, (1, 1), (2, 2), "same", None),
    # the layers of the shared models (tinycc-ml inspect), smaller images
    "k10x4_s2_same_relu_1to64_kws": ((49, 10, 1), 64, (10, 4), (2, 2), "same", "relu"),
    "k1_s1_same_relu_64to64_kws": ((25, 5, 64), 64, (1, 1), (1, 1), "same", "relu"),
    "k3_s2_same_relu_3to8_vww": ((24, 24, 3), 8, (3, 3), (2, 2), "same", "relu"),
    "k1_s1_same_relu_8to16_vww": ((12, 12, 8), 16, (1, 1), (1, 1), "same", "relu"),
    "k1_s1_same_relu_16to32_vww": ((10, 10, 16), 32, (1, 1), (1, 1), "same", "relu"),
    "k1_s1_same_relu_128to256_vww": ((3, 3, 128), 256, (1, 1), (1, 1), "same", "relu"),
    "k3_s1_same_relu_3to16_ic": ((10, 10, 3), 16, (3, 3), (1, 1), "same", "relu"),
    "k3_s1_same_relu_16to16_ic": ((12, 12, 16), 16, (3, 3), (1, 1), "same", "relu"),
    "k3_s2_same_relu_16to32_ic": ((12, 12, 16), 32, (3, 3), (2, 2), "same", "relu"),
    "k3_s1_same_none_64to64_ic": ((8, 8, 64), 64, (3, 3), (1, 1), "same", None),
    "k1_s2_same_none_32to64_ic": ((8, 8, 32), 64, (1, 1), (2, 2), "same", None),
}


def _model(shape, filters, kernel, strides, padding, act, use_bias=True):
    def build():
        k = keras()
        inp = k.Input(shape)
        x = k.layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=use_bias,
                            bias_initializer="random_normal")(inp)
        return k.Model(inp, activation(k, x, act))
    return build


@functools.lru_cache(maxsize=None)
def _converted(case: str, per_channel: bool = True) -> bytes:
    spec = CASES[case]
    return int8_tflite(_model(*spec), [spec[0]], seed=len(case), n_calib=8,
                       per_channel=per_channel)


@pytest.mark.parametrize("case", list(CASES))
def test_conv2d_bitexact(case, tmp_path):
    check_builds(_converted(case), tmp_path, seed=len(case))


# Edits of converted grid models: (case, edit of the bytes)
EDITS = {
    # SAME keeps the output shape whatever the dilation
    "k3_s1_same_dil2_relu_3to8": ("k3_s1_same_relu_3to8",
                                  lambda d: with_dilation(d, "CONV_2D", 2, 2)),
    "k3_s2_same_dil2x3_relu6_8to16": ("k3_s2_same_relu6_8to16",
                                      lambda d: with_dilation(d, "CONV_2D", 2, 3)),
    "k3_s2_valid_dil2_none_5to7": ("k3_s2_valid_none_5to7",
                                   lambda d: with_shape(with_dilation(d, "CONV_2D", 2, 2), "output", (1, 4, 3, 7))),
    "k3_s2_same_relu6_8to16_batch3": ("k3_s2_same_relu6_8to16", lambda d: with_batch(d, 3)),
    "k1_s1_valid_relu_17to33_batch2": ("k1_s1_valid_relu_17to33", lambda d: with_batch(d, 2)),
    "k3_s2_valid_relu_n1_to_1_5to7": ("k3_s2_valid_none_5to7",
                                      lambda d: with_activation(d, "CONV_2D", "RELU_N1_TO_1")),
    # output scale / 300: multipliers above 1 (positive shifts), the SMLAD kernel's general
    # requantization
    "k3_s2_same_relu6_8to16_out_scale_small": ("k3_s2_same_relu6_8to16",
                                               lambda d: _output_scale(d, 1 / 300)),
    "k1_s1_valid_relu_17to33_out_scale_small": ("k1_s1_valid_relu_17to33",
                                                lambda d: _output_scale(d, 1 / 300)),
    # dead channels as trained models have them (vww): all-zero filter rows with a bias of
    # +-2^30, and a zero filter scale (multiplier 0)
    "k1_s1_same_relu_64to64_kws_dead_channels": ("k1_s1_same_relu_64to64_kws",
                                                 lambda d: _dead_channels(d)),
    "k3_s1_same_none_64to64_ic_dead_channels": ("k3_s1_same_none_64to64_ic",
                                                lambda d: _dead_channels(d)),
}


def _output_scale(data: bytes, factor: float) -> bytes:
    def change(model):
        sg = model.subgraphs[0]
        q = sg.tensors[sg.outputs[0]].quantization
        q.scale = (np.asarray(q.scale, np.float32) * np.float32(factor)).astype(np.float32)
    return edit(data, change)


def _dead_channels(data: bytes) -> bytes:
    """Channels 0 and 2: zero filter rows, biases 2^30 and -2^30 + 5; channel 3: zero filter
    scale."""
    index = op_index(data, "CONV_2D")

    def change(model):
        sg = model.subgraphs[0]
        op = sg.operators[index]
        w, b = sg.tensors[op.inputs[1]], sg.tensors[op.inputs[2]]
        wb, bb = model.buffers[w.buffer], model.buffers[b.buffer]
        rows = np.asarray(wb.data, np.uint8).view(np.int8).reshape(int(w.shape[0]), -1).copy()
        rows[[0, 2]] = 0
        wb.data = rows.view(np.uint8).reshape(-1)
        bias = np.asarray(bb.data, np.uint8).view(np.int32).copy()
        bias[0], bias[2] = 2**30, -2**30 + 5
        bb.data = bias.view(np.uint8).reshape(-1)
        scale = np.asarray(w.quantization.scale, np.float32).copy()
        scale[3] = 0
        w.quantization.scale = scale
    return edit(data, change)


@pytest.mark.parametrize("edit", list(EDITS))
def test_conv2d_edited_bitexact(edit, tmp_path):
    case, change = EDITS[edit]
    check_builds(change(_converted(case)), tmp_path, seed=len(edit))


def test_conv2d_per_tensor_filter(tmp_path):
    data = _converted("k3_s2_same_relu6_8to16", per_channel=False)
    from tinycc_ml.frontends import load
    g = load(write_model(data, tmp_path, "per_tensor.tflite"))
    conv = next(op for op in g.ops if op.kind == "CONV_2D")
    assert not g.tensor(conv.inputs[1]).per_channel
    check_builds(data, tmp_path, seed=3, cortex_m=False)


def test_conv2d_batchnorm_folded(tmp_path):
    """Conv + BatchNorm + ReLU, as trained models have it: the converter folds BN per channel."""
    def build():
        k = keras()
        inp = k.Input((10, 10, 3))
        x = k.layers.Conv2D(8, 3, padding="same", use_bias=False)(inp)
        x = k.layers.BatchNormalization(beta_initializer="random_normal",
                                        gamma_initializer="random_uniform",
                                        moving_mean_initializer="random_normal",
                                        moving_variance_initializer="ones")(x)
        return k.Model(inp, k.layers.ReLU()(x))
    check_builds(int8_tflite(build, [(10, 10, 3)], n_calib=8), tmp_path, seed=5, cortex_m=False)


def _conv_graph(x_shape=(1, 5, 5, 4), w_shape=(6, 3, 3, 4), y_shape=(1, 5, 5, 6), bias=6, **kw):
    return window_graph("CONV_2D", x_shape, w_shape, y_shape, bias=bias, **kw)


def test_conv2d_bad_input():
    base = "bad.tflite: op 0 (CONV_2D 'y'): "
    assert compile_error(_conv_graph(w_const=False)) == base + "filter 'w' must be a constant"
    assert compile_error(_conv_graph(x_dtype="int16")) == base + (   # 16x8: an int64 bias
        "bias 'b' has type int32; a 16x8 layer has an int64 bias (a 16x8 layer with an int32 "
        "bias, the converter's _experimental_use_int32_bias, is not supported)")
    assert compile_error(_conv_graph(w_shape=(6, 3, 3, 2))) == base + (
        "filter has 2 input channels, the input has 4 (grouped convolution is not supported)")
    assert compile_error(_conv_graph(w_zp=3)) == base + (
        "the filter has a non-zero zero point; int8 filters must be symmetric")
    assert compile_error(_conv_graph(bias=5)) == base + "bias has 5 values for 6 output channels"
    assert compile_error(_conv_graph(y_shape=(1, 3, 3, 6))) == base + (
        "output shape [1, 3, 3, 6] disagrees with the computed [1,5,5,6]")
    assert compile_error(_conv_graph(y_shape=(1, 3, 3, 6), padding="VALID", stride_h=0)) == base + (
        "stride (0,1), dilation (1,1) and window (3,3) must be positive")
    assert compile_error(_conv_graph(x_shape=(1, 2, 2, 4), y_shape=(1, 1, 1, 6),
                                     padding="VALID")) == base + (
        "a 3x3 window does not fit the 2x2 input with pads (0,0,0,0)")
    assert compile_error(_conv_graph(fused_activation_function="TANH")) == base + (
        "fused activation TANH is not supported")


REQUANT_HARNESS = r"""
#include <stdio.h>
#include "tcm_requant_host.h"
static uint32_t state = 12345u;
static uint32_t next(void) { state = state * 1664525u + 1013904223u; return state; }
int main(void)
{
    static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, -65536, -32769, -32768, -255, -2,
                                    -1, 0, 1, 2, 127, 128, 32767, 65536, 1 << 30, INT32_MAX - 1,
                                    INT32_MAX};
    /* round % 3 == 0: one dense row of 67 (not a multiple of the vector length: the scalar
     * tail runs too); else 3 rows of 19, 21 outputs apart, the accumulators dense (as
     * tcm_conv_host.c has them) or 23 apart */
    enum { N = 256 };   /* room beyond the 69 values used: gcc 12 warns (wrongly) otherwise */
    int32_t acc[N], kept[N], mult[N], shift[N];
    int8_t out[N];
    long checked = 0, bad = 0;
    int round, i, r;
    for (round = 0; round < 30000; ++round) {
        const int dense = round % 3 == 0;
        const int32_t rows = dense ? 1 : 3, n = dense ? 67 : 19;
        const int32_t acc_stride = dense || round % 3 == 1 ? n : 23, out_stride = dense ? n : 21;
        const int32_t offset = (int32_t)(next() % 256u) - 128;
        const int32_t lo = (int32_t)(next() % 128u) - 128;
        const int32_t hi = lo + (int32_t)(next() % (uint32_t)(128 - lo));
        for (i = 0; i < N; ++i) {
            const uint32_t u = next();
            kept[i] = (u & 3u) == 0 ? edges[next() % 18u] : (int32_t)next() >> (next() % 32u);
            acc[i] = kept[i];
            mult[i] = (u & 12u) == 0 ? (int32_t)(1u << 30)
                    : (u & 12u) == 4u ? INT32_MAX : (int32_t)((1u << 30) + (next() >> 2));
            mult[i] = (u & 48u) == 0 ? 0 : mult[i];
            shift[i] = (int32_t)(next() % 62u) - 31;
        }
        tcm_requant_rows_s8(acc, acc_stride, rows, mult, shift, n, offset, lo, hi, out,
                            out_stride);
        for (r = 0; r < rows; ++r) {
            for (i = 0; i < n; ++i) {
                const int32_t x = kept[r * acc_stride + i];
                const int32_t v = (int32_t)((uint32_t)tcm_mbqm(x, mult[i], shift[i]) +
                                            (uint32_t)offset);
                ++checked;
                bad += out[r * out_stride + i] != (int8_t)tcm_clamp(v, lo, hi);
            }
        }
    }
    printf("%ld %ld\n", checked, bad);
    return 0;
}
"""


@pytest.mark.parametrize("flags", [["-O3", "-march=native"], ["-O0"]], ids=["O3_native", "O0"])
def test_requant_rows_equals_tcm_mbqm(flags, tmp_path):
    """tcm_requant_host.h's vectorizable loop == tcm_clamp(tcm_mbqm(acc) + offset) (TFLite's
    MultiplyByQuantizedMultiplier, double rounding) on every shift from -31 to 30, extreme and
    random accumulators and multipliers (about 1.8 million values), dense and strided rows."""
    src = tmp_path / "requant.c"
    src.write_text(REQUANT_HARNESS)
    exe = tmp_path / "requant"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", *flags,
                    f"-I{REPO / 'runtime_c'}", str(src), "-o", str(exe)], check=True)
    checked, bad = map(int, subprocess.run([str(exe)], capture_output=True, text=True,
                                           check=True).stdout.split())
    assert checked == 10000 * 67 + 20000 * 3 * 19
    assert bad == 0


def test_c_contract(tmp_path):
    """A strided SAME conv, a pointwise conv and a 5x3 VALID conv: warning-free under gcc, clang
    and arm-none-eabi-gcc (-std=c99 -Wall -Wextra -Werror -pedantic), clean under ASan + UBSan
    (guarded, garbage-filled arena), and equal to BUILTIN_REF there too."""
    from tests.ops._c_contract import sanitized_run, strict_builds
    from tinycc_ml.reference import TFLiteReference, random_inputs

    def build():
        k = keras()
        inp = k.Input((11, 9, 3))
        x = k.layers.Conv2D(20, 3, strides=2, padding="same", activation="relu")(inp)
        x = k.layers.Conv2D(16, 1, activation="relu")(x)
        return k.Model(inp, k.layers.Conv2D(5, (5, 3), padding="valid")(x))
    path = write_model(int8_tflite(build, [(11, 9, 3)], seed=11, n_calib=8), tmp_path)
    strict_builds(path, tmp_path / "strict")
    ref = TFLiteReference(path)
    xs = random_inputs([(d["shape"], d["dtype"]) for d in ref.inputs], np.random.default_rng(11))
    got = sanitized_run(path, xs, tmp_path / "asan")[0]
    np.testing.assert_array_equal(got, ref.run(xs)[0].reshape(got.shape))
