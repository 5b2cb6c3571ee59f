"""CONV_2D against TFLite BUILTIN_REF: a grid of Keras Conv2D layers converted to full int8, and
edits of converted models for what the converter never writes (dilation: Keras converts it to
SPACE_TO_BATCH_ND + CONV_2D + BATCH_TO_SPACE_ND; batches > 1; RELU_N1_TO_1)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.cli.tflite_edit import edit
from tests.ops._conv_edits import (check_bad_input, check_batchnorm_folded, check_builds,
                                    check_c_contract, check_per_tensor_filter, grid, grid_tests,
                                    op_index,
                                    window_graph, with_activation, with_batch, with_dilation,
                                    with_shape)
from tests.util import REPO

# id: input (height, width); the id names the layer (_conv_edits.layer_of): kernel, strides,
# padding, activation, input channels "to" filters
CASES = {
    "k3_s1_same_relu_3to8": (12, 12),
    "k3_s2_same_relu6_8to16": (15, 13),
    "k3_s2_valid_none_5to7": (11, 9),
    "k3x5_s2x3_valid_relu6_5to6": (13, 17),
    "k4_s3_same_relu_3to2": (14, 10),
    "k7_s1_same_relu_2to3": (8, 8),
    "k2_s2_valid_none_3to5_one_pixel": (2, 2),
    "k5x2_s3x1_same_relu_1to4": (20, 7),
    # pointwise: a row of in_c values per pixel, padded (17) or not (32) to whole vectors
    "k1_s1_valid_relu_17to33": (6, 5),
    "k1_s1_same_relu6_32to24": (7, 9),
    "k1_s2_same_none_16to8": (9, 9),
    # the layers of the shared models (tinycc-ml inspect), smaller images
    "k10x4_s2_same_relu_1to64_kws": (49, 10),
    "k1_s1_same_relu_64to64_kws": (25, 5),
    "k3_s2_same_relu_3to8_vww": (24, 24),
    "k1_s1_same_relu_8to16_vww": (12, 12),
    "k1_s1_same_relu_16to32_vww": (10, 10),
    "k1_s1_same_relu_128to256_vww": (3, 3),
    "k3_s1_same_relu_3to16_ic": (10, 10),
    "k3_s1_same_relu_16to16_ic": (12, 12),
    "k3_s2_same_relu_16to32_ic": (12, 12),
    "k3_s1_same_none_64to64_ic": (8, 8),
    "k1_s2_same_none_32to64_ic": (8, 8),
}

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


_converted = grid(CASES, lambda k, c: k.layers.Conv2D(
    c.filters, c.kernel, strides=c.strides, padding=c.padding, bias_initializer="random_normal"))
# every case, and every edit of a case, bit-exact in every build (_conv_edits.grid_tests)
test_conv2d_bitexact, test_conv2d_edited_bitexact = grid_tests(_converted, CASES, EDITS)


def test_conv2d_per_tensor_filter(tmp_path):
    check_per_tensor_filter(_converted("k3_s2_same_relu6_8to16", per_channel=False), "CONV_2D",
                            tmp_path, seed=3)


def test_conv2d_batchnorm_folded(tmp_path):
    """Conv + BatchNorm + ReLU, as trained models have it: the converter folds BN per channel."""
    check_batchnorm_folded(tmp_path, 5, (10, 10, 3),
                           lambda k: k.layers.Conv2D(8, 3, padding="same", use_bias=False))


def _conv_graph(x_shape=(1, 5, 5, 4), w_shape=(6, 3, 3, 4), y_shape=(1, 5, 5, 6), bias=6, **kw):
    return window_graph("CONV_2D", x_shape, w_shape, y_shape, bias=bias, **kw)


def test_conv2d_bad_input():
    check_bad_input("CONV_2D", _conv_graph, [
        ({"w_shape": (6, 3, 3, 2)},
         "filter has 2 input channels, the input has 4 (grouped convolution is not supported)"),
        ({"w_zp": 3}, "the filter has a non-zero zero point; int8 filters must be symmetric"),
        ({"bias": 5}, "bias has 5 values for 6 output channels"),
        ({"y_shape": (1, 3, 3, 6)},
         "output shape [1, 3, 3, 6] disagrees with the computed [1,5,5,6]"),
        ({"y_shape": (1, 3, 3, 6), "padding": "VALID", "stride_h": 0},
         "stride (0,1), dilation (1,1) and window (3,3) must be positive"),
        ({"x_shape": (1, 2, 2, 4), "y_shape": (1, 1, 1, 6), "padding": "VALID"},
         "a 3x3 window does not fit the 2x2 input with pads (0,0,0,0)"),
        ({"fused_activation_function": "TANH"}, "fused activation TANH is not supported"),
    ])


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
    check_c_contract(tmp_path, 11, (11, 9, 3),
                     lambda k: k.layers.Conv2D(20, 3, strides=2, padding="same", activation="relu"),
                     lambda k: k.layers.Conv2D(16, 1, activation="relu"),
                     lambda k: k.layers.Conv2D(5, (5, 3), padding="valid"))
