"""Pruned weights: the compressed row form the sparse kernels read, and when it pays.

The sparse kernels (ops/conv2d_sparse.py, ops/depthwise_conv2d_sparse.py,
ops/fully_connected_sparse.py; runtime_c/tcm_*_sparse.c) walk, for each output channel, the
list of its non-zero weights only. A row of weights [K] (a FULLY_CONNECTED unit, a CONV_2D
filter as k_h * k_w * in_c taps, a depthwise channel's k_h * k_w taps) is stored as entries
(gap, value): the entry's column is the previous entry's column plus its gap (the first one's
gap counts from column 0). Gaps are 4 bits, two per byte, low nibble first; a gap above 15 puts
filler entries (gap 15, value 0) in front; a row with an odd number of entries ends with a
filler (gap 0, value 0), so every row starts on a byte of `gaps` (`rows_of(w, 4)`: fillers up to
a multiple of 4 entries, the FULLY_CONNECTED kernel's unit of work). `counts[r]` is the number
of entries of row r. So a row costs 1.5 bytes per non-zero weight (plus fillers) and two bytes of
count, and:
- a whole zero filter (structured pruning) has no entries: its channel's output is the
  requantized bias, one constant, computed without reading the input;
- a zero input channel (a column zero in every row) never appears in any list: it is dropped
  from the weights and from the loop.

Bit-exactness: a skipped weight is 0, so it adds exactly 0 to the int32 sum; the kernels fold
input_offset * sum(row) into the bias as the dense kernels do (the sum over the non-zeros is the
sum over the row), and the patches pad with the input zero point so a padded tap's product
cancels its share of the folded offset. The fillers' value 0 adds nothing.

When it pays (`cost`): the weight bytes stored sparse against dense, and the work on the target
in instructions, estimated as dense MACs times the dense kernel's instructions per MAC against
the entries times the sparse kernel's instructions per entry (per pixel block). The per-target
figures are the ones measured under QEMU (benchmarks/sparsity.py); selection takes the sparse
kernel when it stores at most FLASH_GAIN of the dense bytes and does at most WORK_GAIN of the
dense work (`--sparsity off`: never).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import planner
from ..backends.targets import has_dsp, has_mve, is_host, is_scalar_mcu
from . import _conv_common as cc
from ._smlad import right_shift_requant
from .base import Kernel

MAX_GAP = 15

# the sparse form must store at most this share of the dense weight bytes and cost at most this
# share of the dense work (estimated instructions) to be chosen
FLASH_GAIN = 0.8
WORK_GAIN = 1.0


@dataclass(frozen=True)
class Rows:
    """Weights [rows, K] in the entry form above."""
    counts: np.ndarray      # uint16 [rows]: entries per row (a multiple of 2 or 4)
    values: np.ndarray      # int8 [entries]
    gaps: np.ndarray        # uint8 [entries / 2]: two 4-bit gaps per byte, low nibble first
    shape: tuple[int, int]
    nnz: int                # non-zero weights

    @property
    def entries(self) -> int:
        return int(self.counts.sum())

    @property
    def nbytes(self) -> int:
        return self.counts.nbytes + self.values.nbytes + self.gaps.nbytes

    @property
    def zero_fraction(self) -> float:
        size = self.shape[0] * self.shape[1]
        return 1.0 - self.nnz / size if size else 0.0

    @property
    def zero_rows(self) -> int:
        return int(np.count_nonzero(self.counts == 0))


MAX_ROW = 60_000     # a row's entries are counted in uint16 (Rows.counts): longer rows stay dense


def too_long(row_length: int) -> str | None:
    """why_not of a sparse kernel whose weight rows do not fit the 16-bit entry count."""
    return (f"rows of {row_length} weights; the sparse form counts entries in 16 bits"
            if row_length > MAX_ROW else None)


def rows_of(weights: np.ndarray, multiple: int = 2) -> Rows:
    """The entry form of int8 weights [rows, K], each row's entries padded with fillers to a
    `multiple` (2 or 4) (cached: selection and emission share it)."""
    w = np.ascontiguousarray(weights, np.int8)
    return _pack(w.tobytes(), w.shape, multiple)


@functools.lru_cache(maxsize=64)
def _pack(data: bytes, shape: tuple[int, int], multiple: int) -> Rows:
    w = np.frombuffer(data, np.int8).reshape(shape)
    counts, values, gaps = [], [], []
    for row in w:
        cols = np.flatnonzero(row)
        g, v = [], []
        prev = 0
        for c in cols:
            d = int(c) - prev
            while d > MAX_GAP:
                g.append(MAX_GAP)
                v.append(0)
                d -= MAX_GAP
            g.append(d)
            v.append(int(row[c]))
            prev = int(c)
        while len(g) % multiple:
            g.append(0)
            v.append(0)
        counts.append(len(g))
        values += v
        gaps += [g[k] | (g[k + 1] << 4) for k in range(0, len(g), 2)]
    return Rows(counts=np.array(counts, np.uint16), values=np.array(values, np.int8),
                gaps=np.array(gaps, np.uint8), shape=tuple(shape),
                nnz=int(np.count_nonzero(w)))


def unpack(r: Rows) -> np.ndarray:
    """The dense weights back from the entry form (what the C kernels walk), for the tests."""
    out = np.zeros(r.shape, np.int8)
    k = 0
    for row, n in enumerate(r.counts):
        col = 0
        for j in range(int(n)):
            byte = int(r.gaps[(k + j) // 2])
            col += (byte >> 4) if (k + j) % 2 else (byte & 15)
            if r.values[k + j]:
                out[row, col] = r.values[k + j]
        k += int(n)
    return out


# Instructions per dense MAC of the dense kernel, per entry (and pixel) of the sparse one, and
# per patch byte the sparse windowed kernels gather (4 pixels of every tap, and channel for a
# depthwise layer), by core family: the DSP figures measured on the pruned shared models under
# QEMU (benchmarks/sparsity.py), the others estimated from them.
_DENSE = {"conv": {"dsp": 1.1, "mve": 0.35, "scalar": 2.2, "host": 0.15, "generic": 1.5},
          "depthwise": {"dsp": 2.6, "mve": 1.2, "scalar": 4.5, "host": 0.5, "generic": 3.0},
          "fc": {"dsp": 1.5, "mve": 0.35, "scalar": 2.2, "host": 0.15, "generic": 1.5}}
_SPARSE = {"conv": {"dsp": 3.1, "mve": 4.5, "scalar": 4.0, "host": 1.2, "generic": 3.0},
           "depthwise": {"dsp": 3.0, "mve": 3.0, "scalar": 4.0, "host": 1.5, "generic": 3.5},
           "fc": {"dsp": 4.45, "mve": 7.0, "scalar": 7.0, "host": 2.0, "generic": 5.5}}
_GATHER = {"dsp": 4.0, "mve": 4.0, "scalar": 5.0, "host": 1.0, "generic": 4.0}
# per output value: what the sparse kernel's requantization and row set-up cost beyond the
# dense kernel's (FULLY_CONNECTED on the M4, measured on 128x128 and 640x128 layers at 75%:
# dense 1.5 per MAC + 37 per output, sparse 4.45 per entry + 54 per output; DEPTHWISE_CONV_2D
# 3x3 on the M4 at 75%: dense 23-25 per output, sparse 37-57 with the border pixels; CONV_2D:
# fitted to the layers of the MobileNet and ResNet-8 at 75%, each flipped and measured against
# its dense kernel: 6.5 keeps the MobileNet's small pointwise layers at 24x24 dense and
# ResNet-8's 3x3 16-channel layers sparse, as measured best)
_OUTPUT = {"conv": 6.5, "depthwise": 30.0, "fc": 17.0}


def family(target: str) -> str:
    if is_host(target):
        return "host"
    if has_mve(target):
        return "mve"
    if has_dsp(target):
        return "dsp"
    if is_scalar_mcu(target):
        return "scalar"
    return "generic"


@dataclass(frozen=True)
class Cost:
    dense_bytes: int
    sparse_bytes: int
    dense_work: float        # estimated instructions
    sparse_work: float

    def why_not(self, target: str) -> str | None:
        if self.sparse_bytes > FLASH_GAIN * self.dense_bytes:
            return (f"sparsity does not pay: {self.sparse_bytes:,} B stored sparse against "
                    f"{self.dense_bytes:,} B dense (more than {FLASH_GAIN:.0%})")
        if self.sparse_work > WORK_GAIN * self.dense_work:
            return (f"sparsity does not pay on {target}: about {self.sparse_work:,.0f} "
                    f"instructions against {self.dense_work:,.0f} dense")
        return None


def cost(kind: str, rows: Rows, macs: int, repeats: int, target: str,
         gathered: int = 0) -> Cost:
    """`repeats`: how often each row is walked (output pixels, batches); `gathered`: the patch
    bytes the kernel copies."""
    fam = family(target)
    return Cost(dense_bytes=rows.shape[0] * rows.shape[1], sparse_bytes=rows.nbytes,
                dense_work=macs * _DENSE[kind][fam],
                sparse_work=(rows.entries * repeats * _SPARSE[kind][fam] +
                             gathered * _GATHER[fam] + repeats * rows.shape[0] * _OUTPUT[kind]))


def off(ctx) -> str | None:
    """why_not of every sparse kernel under --sparsity off."""
    return "--sparsity off" if getattr(ctx, "sparsity", "auto") == "off" else None


def emit_rows(em, r: Rows) -> tuple[str, str, str]:
    """The three constants of the entry form: counts, values, gaps."""
    counts = em.const("counts", r.counts, comment="entries per output channel (tcm_sparse.h)")
    values = em.const("values", r.values, comment=f"the {r.nnz:,} non-zero weights, row by "
                                                  "row, and the fillers' zeros")
    gaps = em.const("gaps", r.gaps, comment="4-bit column gaps, two per byte, low nibble first")
    return counts, values, gaps


WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def weight_rows(op, g) -> np.ndarray | None:
    """A weighted layer's int8 weights as [output channels, K], or None for another layer."""
    if op.kind not in WEIGHTED or len(op.inputs) < 2 or op.inputs[1] is None:
        return None
    w = g.tensor(op.inputs[1])
    if not w.is_const or w.dtype != "int8":
        return None
    if op.kind == "DEPTHWISE_CONV_2D":
        return w.data.reshape(-1, w.shape[-1]).T
    return w.data.reshape(w.shape[0], -1)


def summary(op, g, kernel: str | None, macs: int) -> str:
    """The layer comment's and inspect's words for a weighted layer ("" for another): its zero
    fraction, the form chosen, weight bytes and MACs before -> after."""
    rows = weight_rows(op, g)
    if rows is None or rows.size == 0:
        return ""
    if not (kernel or "").endswith("_sparse"):
        zeros = 1.0 - np.count_nonzero(rows) / rows.size
        return f"{zeros:.0%} zero weights, dense form"
    r = rows_of(rows)
    zeros = f"{r.zero_fraction:.0%} zero weights"
    if r.zero_rows:
        zeros += f" ({r.zero_rows} whole filters)"
    return (f"{zeros}, sparse rows: weights {rows.size:,} -> {r.nbytes:,} B, "
            f"MACs {macs:,} -> {macs * r.nnz // rows.size:,}")


def requant_table(p, rows: np.ndarray):
    """A windowed layer's ([bias + input_offset * sum(row)], multiplier, shift) and the
    requantization mode of tcm_conv_smlad.h: the short forms where _smlad.right_shift_requant
    proves them exact for these weights (so on every target), else TCM_CONV_REQUANT_ANY."""
    bias = cc.folded_bias(p.bias, p.sums, -p.rq.input_zp)
    short = right_shift_requant(bias, rows, p.rq.multiplier, p.rq.shift)
    if short is None:
        return (bias, p.rq.multiplier, p.rq.shift), "TCM_CONV_REQUANT_ANY"
    return short, ("TCM_CONV_REQUANT_RIGHT_SAT" if (p.rq.act_min, p.rq.act_max) == (-128, 127)
                   else "TCM_CONV_REQUANT_RIGHT")


class WindowSparse(Kernel):
    """The sparse kernels of CONV_2D and DEPTHWISE_CONV_2D: the rows of non-zero weights walked
    per output pixel (CONV_2D: 4 pixels at a time over their im2col patches, tcm_conv_sparse.h),
    one [bias, multiplier, shift] row per output channel. A subclass names its `c_function`,
    `sources`, cost `kind`, `rows(layer)` (the weights as [out_c, taps]) and `scratch_bytes`,
    and may change `gathered` (patch bytes copied) and `extra_args`. The decision: the packed
    rows and the requantization table."""
    kind = ""
    sources: tuple[str, ...] = ()

    def rows(self, layer) -> np.ndarray:
        raise NotImplementedError

    def why_not(self, layer, ctx):
        if layer.input(0).dtype != "int8":
            return "int8 activations only"
        w = layer.params.win
        pixels = w.batches * w.out_h * w.out_w
        rows = self.rows(layer)
        return off(ctx) or too_long(rows.shape[-1]) or cost(
            self.kind, rows_of(rows), pixels * rows.size, pixels, ctx.target,
            self.gathered(layer)).why_not(ctx.target)

    def gathered(self, layer) -> int:
        """The patch bytes the kernel copies: 4 per tap for every block of 4 pixels."""
        w = layer.params.win
        return w.batches * w.out_h * w.out_w * self.rows(layer).shape[1]

    def extra_args(self, layer, em) -> tuple[str, ...]:
        """Constants the call takes after the rows (the depthwise kernel's tap offsets)."""
        return ()

    def decide(self, layer, ctx):
        rows = self.rows(layer)
        return rows_of(rows), requant_table(layer.params, rows)

    def inplace(self, layer, decision):
        # the patches of 4 pixels are gathered before any of their outputs is written
        return 0, planner.window_gap(layer.params.win)

    def emit(self, layer, em, decision):
        p = layer.params
        em.use(*self.sources)
        params = "&" + em.struct("params", "tcm_window", cc.window_fields(
            p.win, p.rq, getattr(p, "multiplier", 1)))
        rows, ((bias, mult, shift), mode) = decision
        counts, values, gaps = emit_rows(em, rows)
        rq = em.const("requant", np.stack([bias, mult, shift], axis=1).astype(np.int32),
                      comment="[out_c][bias + input_offset * sum(filter), multiplier, shift]")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), counts, values,
                       gaps, *self.extra_args(layer, em), rq, mode, em.tensor(layer.op.outputs[0]),
                       f"(int8_t *){em.scratch}")
