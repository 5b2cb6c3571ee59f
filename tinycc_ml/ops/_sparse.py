"""Pruned weights: the compressed row form the sparse kernels read, and when it pays.

The sparse kernels (ops/conv2d_sparse.py, ops/depthwise_conv2d_sparse.py,
ops/fully_connected_sparse.py; runtime_c/tcm_*_sparse.c) walk, for each output channel, the
list of its non-zero weights only. A row of weights [K] (a FULLY_CONNECTED unit, a CONV_2D
filter as k_h * k_w * in_c taps, a depthwise channel's k_h * k_w taps) is stored as entries
(gap, value): the entry's column is the previous entry's column plus its gap (the first one's
gap counts from column 0). Gaps are 4 bits, two per byte, low nibble first; a gap above 15 puts
filler entries (gap 15, value 0) in front; a row with an odd number of entries ends with a
filler (gap 0, value 0), so every row starts on a byte of `gaps`. `counts[r]` is the number of
entries of row r. So a row costs 1.5 bytes per non-zero weight (plus fillers) and two bytes of
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

from ..backends.targets import has_dsp, has_mve, is_host, is_scalar_mcu

MAX_GAP = 15

# the sparse form must store at most this share of the dense weight bytes and cost at most this
# share of the dense work (estimated instructions) to be chosen
FLASH_GAIN = 0.8
WORK_GAIN = 1.0


@dataclass(frozen=True)
class Rows:
    """Weights [rows, K] in the entry form above."""
    counts: np.ndarray      # uint16 [rows]: entries per row (even)
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


def rows_of(weights: np.ndarray) -> Rows:
    """The entry form of int8 weights [rows, K] (cached: selection and emission share it)."""
    w = np.ascontiguousarray(weights, np.int8)
    return _pack(w.tobytes(), w.shape)


@functools.lru_cache(maxsize=64)
def _pack(data: bytes, shape: tuple[int, int]) -> Rows:
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
        if len(g) % 2:
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


# Instructions per dense MAC of the dense kernel and per entry (and pixel) of the sparse one, by
# core family; measured on the shared models under QEMU (benchmarks/sparsity.py) for the DSP and
# Helium cores, estimated for the others.
_DENSE = {"conv": {"dsp": 1.1, "mve": 0.35, "scalar": 2.2, "host": 0.15, "generic": 1.5},
          "depthwise": {"dsp": 1.6, "mve": 0.5, "scalar": 3.0, "host": 0.5, "generic": 2.0},
          "fc": {"dsp": 1.35, "mve": 0.35, "scalar": 2.2, "host": 0.15, "generic": 1.5}}
_SPARSE = {"conv": {"dsp": 2.9, "mve": 2.9, "scalar": 4.0, "host": 1.2, "generic": 3.0},
           "depthwise": {"dsp": 4.0, "mve": 4.0, "scalar": 5.0, "host": 2.0, "generic": 4.0},
           "fc": {"dsp": 5.5, "mve": 5.5, "scalar": 6.0, "host": 2.0, "generic": 5.5}}


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


def cost(kind: str, rows: Rows, macs: int, repeats: int, target: str) -> Cost:
    """`repeats`: how often each row is walked (output pixels, batches)."""
    fam = family(target)
    return Cost(dense_bytes=rows.shape[0] * rows.shape[1], sparse_bytes=rows.nbytes,
                dense_work=macs * _DENSE[kind][fam],
                sparse_work=rows.entries * repeats * _SPARSE[kind][fam])


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


def summary(r: Rows, macs: int, chosen: bool) -> str:
    """The layer comment's and inspect's words: zero fraction, the form, bytes and MACs."""
    dense = r.shape[0] * r.shape[1]
    zeros = f"{r.zero_fraction:.0%} zero weights"
    if r.zero_rows:
        zeros += f" ({r.zero_rows} whole filters)"
    if not chosen:
        return f"{zeros}, dense form: {dense:,} B, {macs:,} MACs"
    smacs = macs * r.nnz // dense if dense else 0
    return (f"{zeros}, sparse rows: weights {dense:,} -> {r.nbytes:,} B, "
            f"MACs {macs:,} -> {smacs:,}")
