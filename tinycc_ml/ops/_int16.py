"""The 16x8 scheme (int16 activations, int8 weights; the converter's
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8): what its op modules share.

TFLite's 16x8 layers have symmetric int16 activations (zero point 0, checked in each op's
Prepare: conv.cc, depthwise_conv.cc, fully_connected.cc `TF_LITE_ENSURE_EQ(context,
input->params.zero_point, 0)`). CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED carry an int64
bias and accumulate in int64 (reference/integer_ops/conv.h, depthwise_conv.h,
fully_connected.h, the `AccumScalar = int64_t` instances). CONV_2D and DEPTHWISE_CONV_2D then
requantize with MultiplyByQuantizedMultiplier(int64_t, ...) of kernels/internal/common.cc (the
multiplier reduced to 16 bits): the Requant form "tflite_int64" (runtime_c/tcm_math.h
tcm_mbqm_int64). BUILTIN_REF's FULLY_CONNECTED does not: measured against TensorFlow 2.21 it
rounds once with the full multiplier, as its int8 path does, on the int64 accumulator: the form
"tflite_single_int64" (tcm_mbqm_single_int64; the int64 form disagrees on about half the
outputs, tests/ops/test_int16_fc_conv.py).

Kernels: the portable ones run TFLite's reference loops (WindowS16, and FCPortableS16 in
fully_connected.py). On Cortex-M, FULLY_CONNECTED and CONV_2D have SMLAD (DSP extension) and
Helium variants over runtime_c/tcm_dot_s16.h's dot products (`DotS16`): products summed in
int32 runs whose length `dot_chunk` proves exact from the layer's weights, into int64.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import planner
from ..cmacros import c_define
from ._conv_common import ReferenceLoop
from ._smlad import pack_rows
from .base import Kernel, Layer

# the accumulator bound of each form: tcm_mbqm_int64 assumes |x| < 2^47 (common.cc's DCHECK);
# tcm_mbqm_single_int64 needs |x| < 2^32 so that x * multiplier fits an int64
_X_LIMIT = {"tflite_int64": 1 << 47, "tflite_single_int64": 1 << 32}


def is_int16(layer_or_op, g=None) -> bool:
    """True for a layer (or op of g) whose first input is int16."""
    if isinstance(layer_or_op, Layer):
        return layer_or_op.input(0).dtype == "int16"
    return g.tensor(layer_or_op.inputs[0]).dtype == "int16"


def check_activations(op, g, names_roles) -> None:
    """The activations of a layer are of one scheme, read from the first: int8, or int16 with
    zero point 0 (the 16x8 scheme; TFLite's Prepare requires symmetric int16)."""
    want = g.tensor(names_roles[0][0]).dtype
    scheme = "a 16x8 layer has int16" if want == "int16" else "an int8 layer has int8"
    for name, role in names_roles:
        t = g.tensor(name)
        if t.dtype != want:
            raise g.error(op, f"{role} '{t.name}' has type {t.dtype}; {scheme} input and output")
        if want == "int16" and t.is_quantized and not t.per_channel and int(t.qparams()[1]):
            raise g.error(op, f"{role} '{t.name}' has zero point {int(t.qparams()[1])}; int16 "
                              "activations are symmetric (zero point 0)")


def check_bias(op, g, bias: str | None, int16: bool) -> None:
    """The bias type of a conv/FC layer: int64 in the 16x8 scheme, int32 for int8."""
    if bias is None:
        return
    t = g.tensor(bias)
    want = "int64" if int16 else "int32"
    if t.dtype != want:
        hint = (" (a 16x8 layer with an int32 bias, the converter's _experimental_use_int32_bias,"
                " is not supported)") if int16 else ""
        raise g.error(op, f"bias '{t.name}' has type {t.dtype}; a "
                          f"{'16x8' if int16 else 'int8'} layer has an {want} bias{hint}")


def int64_requant(op, g, rq, bias: np.ndarray, abs_row_sums: np.ndarray,
                  form: str = "tflite_int64"):
    """`rq` in `form` ("tflite_int64" or "tflite_single_int64"), after checking what its C
    assumes: shifts below 8 and every accumulator (bias + sum of products) inside the form's
    bound (_X_LIMIT)."""
    s = np.asarray(rq.shift)
    if s.size and int(s.max()) >= 8:
        raise g.error(op, "the requantization scale is too large for the 16x8 kernels "
                          f"(shift {int(s.max())} >= 8)")
    worst = np.abs(np.asarray(bias, np.int64)) + (1 << 15) * np.asarray(abs_row_sums, np.int64)
    limit = _X_LIMIT[form]
    if worst.size and int(worst.max()) >= limit:
        raise g.error(op, f"the int64 accumulator could reach 2^{limit.bit_length() - 1} (the "
                          "range the 16x8 requantization is exact in)")
    return replace(rq, form=form)


class Int16Kernel(Kernel):
    """A kernel of the 16x8 scheme: it runs the layers with int16 activations, and only those
    (selection passes the int8 kernels over for them: `Kernel.int16`)."""
    forms = ("tflite_int64",)
    int16 = True

    def why_not(self, layer, ctx):
        return None if layer.int16 else "int16 activations only"


class WindowS16(Int16Kernel, ReferenceLoop):
    """The 16x8 kernel of CONV_2D and DEPTHWISE_CONV_2D: TFLite's reference loop
    (tcm_conv_s16.c, tcm_depthwise_s16.c) over the model's filter and int64 bias, with the
    int64 accumulators of one output pixel (8 * out_c bytes) as scratch, so the output may be
    planned over the input (window_gap in bytes of int16 values). A subclass names its
    `c_function`, `sources`, filter `layout` and `params` (the tcm_window struct), as for
    _conv_common.ReferenceLoop, whose emit it shares."""

    def bias(self, layer, em) -> str:
        return bias_const(layer, em)

    def scratch_bytes(self, layer, ctx, decision):
        return 8 * layer.params.win.out_c

    def inplace(self, layer, decision):
        return 0, planner.window_gap(layer.params.win, elem_bytes=2)


def bias_const(layer, em) -> str:
    """The model's int64 bias (input 2) as a const array, or NULL if the op has none."""
    op = layer.op
    if len(op.inputs) < 3 or op.inputs[2] is None:
        return "NULL"
    return em.const("bias", layer.input(2).data.astype(np.int64).reshape(-1),
                    comment="the model's int64 bias")


# tcm_dot_s16.h: an int32 run exact for any int8 weights (256 values * 2^22 = 2^30 < 2^31)
ANY_WEIGHTS_RUN = c_define("tcm_dot_s16.h", "TCM_DOT_S16_ANY_RUN")
INT16_MAX_ABS = 1 << 15      # |x| of an int16 activation, at most


def dot_chunk(rows: np.ndarray) -> int:
    """The `chunk` of runtime_c/tcm_dot_s16.h for filter/weight rows [units, depth]: how many
    products its kernels may sum in int32 before adding the sum to the int64 accumulator.
    A run's sum is bounded by 2^15 * sum(|w|) over its weights (|x| <= 2^15): when that is
    below 2^31 for every whole row, one run per row (the depth rounded up to 8, the kernels'
    multiple); otherwise ANY_WEIGHTS_RUN values, exact for any int8 weights."""
    worst = INT16_MAX_ABS * np.abs(np.asarray(rows, np.int64)).sum(axis=1)
    if worst.size == 0 or int(worst.max()) < 1 << 31:
        return -(-max(int(rows.shape[1]), 1) // 8) * 8
    return ANY_WEIGHTS_RUN


def pack_smlad(rows: np.ndarray, block: int = 4) -> np.ndarray:
    """The 16x8 SMLAD kernels' weight layout for rows [units, depth] int8 (tcm_dot_s16.h; the
    depthwise filter as [taps, out_c], tcm_depthwise_s16.c): each group of 4 values stored as
    w0 w2 w1 w3 (SXTB16 then gives (w0, w1), the pair of the input word (x0, x1), and SXTB16
    ROR 8 gives (w2, w3) for (x2, x3)), then _smlad.pack_rows' blocks of `block` rows, as
    little-endian int32 words."""
    units, depth = rows.shape
    padded = np.zeros((units, -(-depth // 4) * 4), np.int8)
    padded[:, :depth] = rows
    swapped = padded.reshape(units, -1, 4)[:, :, [0, 2, 1, 3]].reshape(units, -1)
    return pack_rows(swapped, block).view("<i4")


def short_requant(layer, abs_sums: np.ndarray) -> np.ndarray | None:
    """The table of runtime_c/tcm_window.h tcm_window_requant_s16_short, per channel {r, n - 16,
    2^(n-17)} (r the 16-bit multiplier of tcm_mbqm_int64, n = 15 - shift), when that 32-bit form
    is exact for the layer: every shift <= -2 (n >= 17) and every accumulator below 2^31,
    |bias| + 2^15 * abs_sums < 2^31 (abs_sums: sum(|w|) per output channel). Else None."""
    rq = layer.params.rq
    out_c = len(abs_sums)
    mult = np.broadcast_to(np.asarray(rq.multiplier, np.int64), (out_c,))
    shift = np.broadcast_to(np.asarray(rq.shift, np.int64), (out_c,))
    op = layer.op
    bias = (layer.input(2).data.astype(np.int64).reshape(-1) if len(op.inputs) > 2 and
            op.inputs[2] is not None else np.zeros(out_c, np.int64))
    worst = np.abs(bias) + INT16_MAX_ABS * np.asarray(abs_sums, np.int64)
    if np.any(shift > -2) or int(worst.max()) >= 1 << 31:
        return None
    r = np.where(mult < 0x7FFF0000, (mult + (1 << 15)) >> 16, 0x7FFF)
    n = 15 - shift
    return np.stack([r, n - 16, np.left_shift(1, n - 17)], axis=1).astype(np.int32)


class DotS16(Int16Kernel):
    """A Cortex-M 16x8 kernel (FULLY_CONNECTED and CONV_2D over tcm_dot_s16.h; DEPTHWISE_CONV_2D),
    one value per core: "dsp" (`function`_smlad, weights packed by pack_smlad in blocks of
    `block` rows) or "mve" (`function`_mve, the model's rows). A subclass names its C
    `function` family, `sources`, `params` (the C struct) and `rows` (the weights as [units,
    depth]). Its decision: (dot_chunk of the rows if `chunked`, the short_requant table if
    `short` (or None)). The call: (params, input, weights, int64 bias or NULL, mult, shift,
    [short table or NULL,] [chunk,] output, scratch)."""
    function = ""
    sources: tuple[str, ...] = ()
    block = 4
    chunked = True
    short = False
    _SUFFIX = {"dsp": "_smlad", "mve": "_mve"}

    def __init__(self, core: str):
        self.core = core
        self.c_function = self.function + self._SUFFIX[core]

    def rows(self, layer) -> np.ndarray:
        raise NotImplementedError

    def params(self, layer, em) -> str:
        raise NotImplementedError

    def abs_sums(self, layer) -> np.ndarray:
        """sum(|w|) per output channel (a row of `rows`)."""
        return np.abs(self.rows(layer).astype(np.int64)).sum(axis=1)

    def decide(self, layer, ctx):
        return (dot_chunk(self.rows(layer)) if self.chunked else None,
                short_requant(layer, self.abs_sums(layer)) if self.short else None)

    def emit(self, layer, em, decision):
        p, op = layer.params, layer.op
        em.use(*self.sources)
        params = self.params(layer, em)
        rows = self.rows(layer)
        if self.core == "dsp":
            w = em.const("weights", pack_smlad(rows, self.block), comment="int8 rows in words: "
                         f"groups of 4 as w0 w2 w1 w3, blocks of {self.block} rows")
        else:
            w = em.const("weights", rows, comment=f"{list(rows.shape)}, the model's")
        chunk, table = decision
        extra = []
        if self.short:
            extra.append("NULL" if table is None else em.const(
                "requant", table, comment="[out_c][r, n - 16, 2^(n-17)] (tcm_window.h)"))
        if self.chunked:
            extra.append(f"{chunk} /* chunk */")
        return em.call(self.c_function, params, em.tensor(op.inputs[0]), w, bias_const(layer, em),
                       em.const("mult", p.rq.multiplier), em.const("shift", p.rq.shift),
                       *extra, em.tensor(op.outputs[0]), em.scratch)
