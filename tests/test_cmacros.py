"""The Python constants and scratch formulas that mirror the runtime headers equal the C.

Integer macros are read from the headers (tinycc_ml/cmacros.py c_define): checked here against
the value the C compiler sees. Function-like macros (scratch sizes, row padding) are compiled
into a small extension and compared with the op modules' helpers over grids of sizes, and with
the scratch the compiler reserves for one-layer models on each target."""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace

import numpy as np
import pytest

from tests.ops._conv_edits import window_graph
from tests.ops._ir import single_op, tensor
from tests.ops._runtime_ffi import build
from tinycc_ml.cmacros import c_define
from tinycc_ml.compiler import Options, compile_graph
from tinycc_ml.ops import _mve, conv2d, fully_connected
from tinycc_ml.ops.depthwise_conv2d import Depthwise3x3Smlad

CDEF = """
int host_pixels(void); int host_channels(void); int fc_host_align(void);
int conv_scratch(int out_c); int conv_host_depth(int taps);
int conv_host_scratch(int depth, int out_c); int conv_smlad_scratch(int taps);
int conv_mve_depth(int taps); int conv_mve_scratch(int taps);
int dw_scratch(int out_c); int dw_host_scratch(int pixels, int out_c);
int dw_smlad_scratch(int c); int dw3x3_words(int stride_w, int out_w, int pad_w, int in_w);
int dw3x3_plane_words_c(int stride_w, int out_w, int pad_w, int in_w);
int dw3x3_scratch(int c, int words);
int dw_mve_scratch(int k_h, int k_w, int in_c, int stride_w, int dil_w);
int fc_host_depth_pad(int depth);
"""

SOURCE = r"""
#include "tcm_conv.h"
#include "tcm_conv_host.h"
#include "tcm_conv_mve.h"
#include "tcm_conv_smlad.h"
#include "tcm_depthwise.h"
#include "tcm_depthwise_host.h"
#include "tcm_depthwise_mve.h"
#include "tcm_fc_host.h"
#include "tcm_depthwise_smlad.c"   /* for its static plane_words */
int host_pixels(void) { return TCM_CONV_HOST_PIXELS; }
int host_channels(void) { return TCM_CONV_HOST_CHANNELS; }
int fc_host_align(void) { return TCM_FC_HOST_DEPTH_ALIGN; }
int conv_scratch(int out_c) { return TCM_CONV_SCRATCH_BYTES(out_c); }
int conv_host_depth(int taps) { return TCM_CONV_HOST_DEPTH(taps); }
int conv_host_scratch(int depth, int out_c) { return TCM_CONV_HOST_SCRATCH_BYTES(depth, out_c); }
int conv_smlad_scratch(int taps) { return TCM_CONV_SMLAD_SCRATCH_BYTES(taps); }
int conv_mve_depth(int taps) { return TCM_CONV_MVE_DEPTH(taps); }
int conv_mve_scratch(int taps) { return TCM_CONV_MVE_SCRATCH_BYTES(taps); }
int dw_scratch(int out_c) { return TCM_DEPTHWISE_SCRATCH_BYTES(out_c); }
int dw_host_scratch(int pixels, int out_c)
{ return TCM_DEPTHWISE_HOST_SCRATCH_BYTES(pixels, out_c); }
int dw_smlad_scratch(int c) { return TCM_DEPTHWISE_SMLAD_SCRATCH_BYTES(c); }
int dw3x3_words(int stride_w, int out_w, int pad_w, int in_w)
{ return TCM_DEPTHWISE_3X3_SMLAD_PLANE_WORDS(stride_w, out_w, pad_w, in_w); }
int dw3x3_plane_words_c(int stride_w, int out_w, int pad_w, int in_w)
{
    tcm_window w;
    memset(&w, 0, sizeof w);
    w.stride_w = stride_w; w.out_w = out_w; w.pad_w = pad_w; w.in_w = in_w;
    return plane_words(&w);
}
int dw3x3_scratch(int c, int words) { return TCM_DEPTHWISE_3X3_SMLAD_SCRATCH_BYTES(c, words); }
int dw_mve_scratch(int k_h, int k_w, int in_c, int stride_w, int dil_w)
{ return TCM_DEPTHWISE_MVE_SCRATCH_BYTES(k_h, k_w, in_c, stride_w, dil_w); }
int fc_host_depth_pad(int depth) { return TCM_FC_HOST_DEPTH_PAD(depth); }
"""


@pytest.fixture(scope="module")
def c(tmp_path_factory):
    return build("cmacros", CDEF, SOURCE, tmp_path_factory.mktemp("ffi")).lib


def test_integer_macros_as_the_compiler_sees_them(c):
    assert (conv2d.PIXELS, conv2d.CHANNELS) == (c.host_pixels(), c.host_channels()) == (4, 32)
    assert fully_connected.HOST_DEPTH_ALIGN == c.fc_host_align() == 32
    assert c_define("tcm_conv_host.h", "TCM_CONV_HOST_PIXELS") == c.host_pixels()


def test_c_define_refuses_what_it_cannot_read():
    with pytest.raises(KeyError, match="no integer #define TCM_NOT_THERE"):
        c_define("tcm_conv_host.h", "TCM_NOT_THERE")
    with pytest.raises(KeyError):   # a function-like macro has no single value
        c_define("tcm_conv.h", "TCM_CONV_SCRATCH_BYTES")


def test_padding_helpers_equal_the_macros(c):
    for n in range(0, 200):
        assert conv2d.conv_depth(n) == c.conv_host_depth(n), n
        assert _mve.pad16(n) == c.conv_mve_depth(n), n
        assert fully_connected._host_depth_pad(n) == c.fc_host_depth_pad(n), n


def test_depthwise_formulas_equal_the_macros(c):
    for k_h, k_w, in_c, stride_w, dil_w in itertools.product((1, 3, 5), (1, 2, 3, 7), (1, 4, 13),
                                                             (1, 2, 3), (1, 2)):
        assert _mve.depthwise_scratch(k_h, k_w, in_c, stride_w, dil_w) == c.dw_mve_scratch(
            k_h, k_w, in_c, stride_w, dil_w)
    for stride_w, out_w, pad_w, in_w in itertools.product((1, 2), (1, 2, 5, 8, 9), (0, 1, 2),
                                                          (1, 3, 10, 17)):
        win = SimpleNamespace(stride_w=stride_w, out_w=out_w, pad_w=pad_w, in_w=in_w)
        want = c.dw3x3_plane_words_c(stride_w, out_w, pad_w, in_w)
        assert Depthwise3x3Smlad.plane_words(win) == c.dw3x3_words(stride_w, out_w, pad_w,
                                                                  in_w) == want


def _scratch(g, target: str):
    """(scratch bytes the compiler reserves for the one layer, the emitted model C)."""
    comp = compile_graph(g, Options(name="m", target=target))
    (layer,) = comp.layers
    return layer.scratch_bytes, comp.files["m.c"]


@pytest.mark.parametrize("k,in_c,out_c", [(1, 3, 5), (3, 4, 40), (3, 7, 8), (5, 1, 33)])
def test_conv_scratch_equals_the_macros(c, k, in_c, out_c):
    g = window_graph("CONV_2D", (1, 8, 8, in_c), (out_c, k, k, in_c), (1, 8, 8, out_c))
    taps = k * k * in_c
    want = {"generic": c.conv_scratch(out_c),
            "host": c.conv_host_scratch(c.conv_host_depth(taps), out_c),
            "cortex-m4": c.conv_smlad_scratch(taps), "cortex-m55": c.conv_mve_scratch(taps)}
    for target, bytes_ in want.items():
        got, text = _scratch(g, target)
        assert got == bytes_, (target, text)


@pytest.mark.parametrize("k,stride,c_n,w", [(3, 1, 8, 9), (3, 2, 12, 10), (5, 1, 4, 7),
                                            (5, 1, 6, 9)])
def test_depthwise_scratch_equals_the_macros(c, k, stride, c_n, w):
    out_w = -(-w // stride)
    g = window_graph("DEPTHWISE_CONV_2D", (1, w, w, c_n), (1, k, k, c_n),
                     (1, out_w, out_w, c_n), stride_h=stride, stride_w=stride)
    pad_w = max((out_w - 1) * stride + k - w, 0) // 2           # SAME: floor(total / 2) before
    assert _scratch(g, "generic")[0] == c.dw_scratch(c_n)
    got, text = _scratch(g, "host")
    pixels = int(re.search(r"(\d+) /\* pixels \*/", text).group(1))
    assert got == c.dw_host_scratch(pixels, c_n)
    got, text = _scratch(g, "cortex-m4")
    if "tcm_depthwise_conv2d_s8_3x3_smlad(" in text:
        assert got == c.dw3x3_scratch(c_n, c.dw3x3_words(stride, out_w, pad_w, w))
    else:
        assert "tcm_depthwise_conv2d_s8_smlad(" in text or "tcm_depthwise_conv2d_s8(" in text
        assert got == (c.dw_smlad_scratch(c_n) if "_smlad(" in text else c.dw_scratch(c_n))
    assert _scratch(g, "cortex-m55")[0] == c.dw_mve_scratch(k, k, c_n, stride, 1)


def test_depthwise_grid_reaches_every_cortex_m4_kernel():
    """The grid above meets the 3x3, the general SMLAD and (channels not by 4) the portable
    kernel on cortex-m4, so each branch of its check runs."""
    seen = set()
    for k, stride, c_n, w in [(3, 1, 8, 9), (5, 1, 4, 7), (5, 1, 6, 9)]:
        out_w = -(-w // stride)
        g = window_graph("DEPTHWISE_CONV_2D", (1, w, w, c_n), (1, k, k, c_n),
                         (1, out_w, out_w, c_n), stride_h=stride, stride_w=stride)
        comp = compile_graph(g, Options(name="m", target="cortex-m4"))
        (layer,) = comp.layers
        called = re.findall(r"(tcm_depthwise_conv2d_s8\w*)\(\s*&", comp.files["m.c"])
        assert called == [layer.kernel]     # the C calls the kernel selection chose
        seen.add(layer.kernel)
    assert seen == {"tcm_depthwise_conv2d_s8_3x3_smlad", "tcm_depthwise_conv2d_s8_smlad",
                    "tcm_depthwise_conv2d_s8"}


@pytest.mark.parametrize("depth", [1, 31, 32, 33, 100])
def test_fc_scratch_and_row_padding_equal_the_macros(c, depth):
    w = tensor("w", (6, depth), data=np.ones((6, depth), np.int8))
    g = single_op("FULLY_CONNECTED", [tensor("x", (1, depth)), w], tensor("y", (1, 6)),
                  fused_activation_function="NONE", keep_num_dims=False, weights_format=0)
    assert _scratch(g, "generic")[0] == 0
    got, text = _scratch(g, "host")
    assert got == c.fc_host_depth_pad(depth)
    # the weights array: 6 rows of `depth`, then depth_pad - depth zeros (tcm_fc_host.h)
    size = int(re.search(r"int8_t \w+_weights\[(\d+)\]", text).group(1))
    assert size == 6 * depth + c.fc_host_depth_pad(depth) - depth


def test_accumulator_depth_limit():
    """The portable kernels' int32 bound (quant.MAX_ACCUM_DEPTH products of at most 255 * 128
    per output): a deeper CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED stops with one line;
    exactly the limit compiles."""
    from tests.ops._ir import compile_error
    from tinycc_ml import quant
    limit = quant.MAX_ACCUM_DEPTH
    assert limit * 255 * 128 <= 2**31 - 1 < (limit + 1) * 255 * 128
    deep = limit + 1
    g = window_graph("CONV_2D", (1, 1, 1, deep), (1, 1, 1, deep), (1, 1, 1, 1))
    assert compile_error(g).endswith(f"{deep} products per output could overflow the int32 "
                                     f"accumulator (at most {limit})")
    g = window_graph("DEPTHWISE_CONV_2D", (1, 1, 1, 1), (1, 1, deep, 1), (1, 1, 1, 1),
                     padding="SAME")
    assert compile_error(g).endswith(f"{deep} products per output could overflow the int32 "
                                     f"accumulator (at most {limit})")
    for depth, ok in ((limit, True), (deep, False)):
        w = tensor("w", (1, depth), data=np.ones((1, depth), np.int8))
        g = single_op("FULLY_CONNECTED", [tensor("x", (1, depth)), w], tensor("y", (1, 1)),
                      fused_activation_function="NONE", keep_num_dims=False, weights_format=0)
        if ok:
            assert compile_graph(g, Options(name="m")).layers
        else:
            assert compile_error(g).endswith(f"{deep} products per output could overflow the "
                                             f"int32 accumulator (at most {limit})")
