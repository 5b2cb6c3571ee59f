"""Tiled execution of the first high-resolution layers: chains of a pointwise CONV_2D, a
DEPTHWISE_CONV_2D and a pointwise CONV_2D become one TILED_ROWS op (ops/tiled.py), which runs
them row by row with line buffers, so neither intermediate tensor exists whole.

`tile(g, only)` replaces such chains (those starting at `only`) whose intermediates are read by the next op only (no graph
output, batch 1, TFLite's double-rounding requantization that the portable kernels implement).
The caller tiles a chain only where the plan gets smaller (compiler.py, chain by chain, under
--optimize ram or a --max-arena the untiled plans do not meet): the tile has no recomputation,
its cost is the portable kernels in those three layers and a call per row.
"""

from __future__ import annotations

from ..ir import Graph
from ..ops.conv2d import ConvPortable
from ..ops.tiled import tiled_op


def _pointwise(op) -> bool:
    w = getattr(op.params, "win", None)
    return (op.kind == "CONV_2D" and w is not None and w.batches == 1 and
            (w.k_h, w.k_w, w.stride_h, w.stride_w, w.dil_h, w.dil_w, w.pad_h, w.pad_w) ==
            (1, 1, 1, 1, 1, 1, 0, 0))


def _exact(op) -> bool:
    return getattr(getattr(op.params, "rq", None), "form", None) in ConvPortable.forms


def chains(g: Graph) -> list[int]:
    """Positions of the first op of every chain `tile` may replace."""
    return [i for i in range(len(g.ops)) if tile(g, (i,)) is not g]


def tile(g: Graph, only: tuple[int, ...] | None = None) -> Graph:
    """`g` with the chains starting at the positions `only` (all: None) tiled."""
    readers: dict[str, int] = {}
    for op in g.ops:
        for t in op.inputs:
            if t is not None:
                readers[t] = readers.get(t, 0) + 1
    ops, i, changed = [], 0, False
    while i < len(g.ops):
        a, b, c = (list(g.ops[i:i + 3]) + [None, None])[:3]
        if (c is not None and _pointwise(a) and _pointwise(c) and b.kind == "DEPTHWISE_CONV_2D"
                and b.params.win.batches == 1 and all(map(_exact, (a, b, c)))
                and b.inputs[0] == a.outputs[0] and c.inputs[0] == b.outputs[0]
                and all(readers.get(t) == 1 and t not in g.outputs
                        for t in (a.outputs[0], b.outputs[0]))
                and a.inputs[0] not in g.inputs and (only is None or i in only)):
            ops.append(tiled_op((a, b, c)))
            i, changed = i + 3, True
        else:
            ops.append(g.ops[i])
            i += 1
    return g.replace(ops=tuple(ops)) if changed else g
