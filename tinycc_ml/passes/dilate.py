"""Dilated convolutions back into one op.

For a model with a dynamic batch, the TFLite converter writes a Keras Conv2D / DepthwiseConv2D
with dilation_rate b > 1 as
    SPACE_TO_BATCH_ND(block b, paddings p) -> CONV_2D / DEPTHWISE_CONV_2D (VALID, stride 1)
    -> BATCH_TO_SPACE_ND(block b, crops c)
(TensorFlow's required_space_to_batch_paddings), and a Conv1D as the rank-3 form
    SPACE_TO_BATCH_ND -> EXPAND_DIMS (axis 1) -> CONV_2D (1 x K) -> RESHAPE -> BATCH_TO_SPACE_ND.
This pass rewrites those exact chains into one convolution with dilation b (for Conv1D:
EXPAND_DIMS -> dilated CONV_2D -> RESHAPE), which reads the input where it lies instead of
moving it twice. (With a static batch the converter writes the dilated conv itself.)

Why it is the same computation, per spatial axis (input X of size H, filter w of K taps):
SPACE_TO_BATCH_ND pads X to P (p_lo before) and puts P[y' * b + i] at position y' of batch
element i; the VALID conv gives batch i, position y': sum_k w[k] * P[(y' + k) * b + i];
BATCH_TO_SPACE_ND puts that at row y' * b + i and drops c_lo rows first, so output row y is
    sum_k w[k] * P[y + c_lo + k * b] = sum_k w[k] * X[y - (p_lo - c_lo) + k * b],
a convolution with dilation b and p_lo - c_lo rows of padding before. A padded P value is the
STB output zero point, which the conv subtracts (a zero term); the dilated conv skips taps
outside X (also a zero term), so both sums hold the same integer terms and requantize alike.

Rewritten only when provably identical: the block, paddings and crops are constant int32;
the conv has stride 1, dilation 1, no padding; the STB input and output share
scale and zero point, as do the conv and BTS outputs and the tensors EXPAND_DIMS / RESHAPE
pass on (bytes move unchanged); the intermediate tensors have no other reader and are not graph outputs (so their shapes, which the
converter stores with batch 1, are free to change); and the padding before
(p_lo - c_lo) and the output size are exactly what SAME (on every axis) or VALID gives for the
dilated conv (tinycc_ml/ops/_conv_common.py same_pads, TFLite's ComputePaddingHeightWidth): the
fused conv gets those explicit pads. Otherwise the ops stay
and run as they are (ops/space_batch.py; in STB -> conv -> BTS the conv's placeholder batch is
resized, `_batch_resized`). The fused conv keeps the conv's model index.
"""

from __future__ import annotations

import dataclasses
import math
from types import MappingProxyType

from ..ir import Graph, Op
from ..ops._conv_common import same_pads
from ..ops.space_batch import block_and_edges

CONVS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _same_quant(a, b) -> bool:
    if not (a.is_quantized and b.is_quantized) or a.per_channel or b.per_channel:
        return False
    return a.qparams() == b.qparams()


def _plain_conv(op: Op, g: Graph) -> bool:
    a = op.attrs
    return (op.kind in CONVS and len(op.inputs) >= 2 and op.inputs[1] is not None
            and len(g.tensor(op.inputs[1]).shape) == 4
            and tuple(a.get("pads", ())) == (0, 0, 0, 0) and tuple(a.get("strides", ())) == (1, 1)
            and tuple(a.get("dilations", ())) == (1, 1))


def _padding(g: Graph, stb: Op, bts: Op, mid_spatial, acc_spatial, kernel):
    """Per spatial axis, the (before, after) pads of the dilated conv equal to stb -> conv
    without padding -> bts, when they are VALID's or SAME's on every axis; else None.

    Per spatial axis: input size H, block b, STB paddings (p_lo, p_hi) and BTS crops (c_lo,
    c_hi); `mid_spatial` / `acc_spatial` are the STB output's and the conv output's sizes."""
    s, c = block_and_edges(stb, g), block_and_edges(bts, g)
    if s is None or c is None or s[0] != c[0]:
        return None
    block, pads, crops = s[0], s[1], c[1]
    x, mid, y = (g.tensor(t) for t in (stb.inputs[0], stb.outputs[0], bts.outputs[0]))
    if len(x.shape) != len(block) + 2 or len(y.shape) != len(x.shape) or min(block) < 1:
        return None
    if min(min(p) for p in pads + crops) < 0 or x.shape[0] != y.shape[0]:
        return None
    if mid.shape[0] != x.shape[0] * math.prod(block) or not _same_quant(x, mid):
        return None
    edges, same = [], []
    for axis, b in enumerate(block):
        size, out = x.shape[1 + axis], y.shape[1 + axis]
        if mid_spatial[axis] * b != size + sum(pads[axis]):
            return None
        if acc_spatial[axis] * b - sum(crops[axis]) != out:
            return None
        # the dilated conv's pads: `before` rows first, and as many after as give `out` rows
        before = pads[axis][0] - crops[axis][0]
        edges.append((before, out - 1 + (kernel[axis] - 1) * b + 1 - size - before))
        same.append(same_pads(size, kernel[axis], 1, b))
    if min(y.shape[1:1 + len(block)]) < 1:
        return None
    if all(e == (0, 0) for e in edges) or edges == same:
        return edges
    return None


def _dilated(conv: Op, edges, dil_h: int, dil_w: int, **changes) -> Op:
    """The conv with dilation (dil_h, dil_w) and pads from `edges`, [(top, bottom), (left,
    right)]."""
    (top, bottom), (left, right) = edges
    attrs = dict(conv.attrs, pads=(top, left, bottom, right), dilations=(dil_h, dil_w))
    return dataclasses.replace(conv, attrs=MappingProxyType(attrs), **changes)


def _fuse_2d(g: Graph, chain: list[Op]):
    """STB -> conv -> BTS (rank 4): one dilated conv where the BTS was."""
    stb, conv, bts = chain
    if not _plain_conv(conv, g):
        return None
    mid, acc, y = (g.tensor(t) for t in (stb.outputs[0], conv.outputs[0], bts.outputs[0]))
    w = g.tensor(conv.inputs[1])
    if len(acc.shape) != 4 or len(mid.shape) != 4 or not _same_quant(acc, y):
        return None
    edges = _padding(g, stb, bts, mid.shape[1:3], acc.shape[1:3], w.shape[1:3])
    if edges is None:
        return None
    block = block_and_edges(stb, g)[0]
    fused = _dilated(conv, edges, block[0], block[1], name=bts.name,
                     inputs=(stb.inputs[0],) + conv.inputs[1:], outputs=bts.outputs)
    return [None, None, fused], {}


def _fuse_1d(g: Graph, chain: list[Op]):
    """STB -> EXPAND_DIMS(axis 1) -> conv (1 x K) -> RESHAPE -> BTS (rank 3): EXPAND_DIMS ->
    conv with dilation (1, b) -> RESHAPE, on the original input, with the real shapes."""
    stb, expand, conv, reshape, bts = chain
    if expand.kind != "EXPAND_DIMS" or reshape.kind != "RESHAPE" or not _plain_conv(conv, g):
        return None
    if len(expand.inputs) != 2 or expand.inputs[1] is None:
        return None
    axis = g.tensor(expand.inputs[1])
    if not axis.is_const or axis.size != 1 or int(axis.data.reshape(-1)[0]) not in (1, -3):
        return None
    x, mid, e, acc, r, y = (g.tensor(t) for t in (stb.inputs[0], stb.outputs[0], expand.outputs[0],
                                                  conv.outputs[0], reshape.outputs[0],
                                                  bts.outputs[0]))
    w = g.tensor(conv.inputs[1])
    if len(mid.shape) != 3 or len(e.shape) != 4 or len(acc.shape) != 4 or len(r.shape) != 3:
        return None
    if e.shape[1:] != (1,) + mid.shape[1:] or acc.shape[1] != 1 or w.shape[1] != 1:
        return None
    if r.shape[1:] != acc.shape[2:]:
        return None
    if not (_same_quant(mid, e) and _same_quant(acc, r) and _same_quant(r, y)):
        return None
    edges = _padding(g, stb, bts, mid.shape[1:2], acc.shape[2:3], w.shape[2:3])
    if edges is None:
        return None
    n, out = x.shape[0], y.shape[1]
    tensors = {e.name: dataclasses.replace(e, shape=(n, 1) + x.shape[1:]),
               acc.name: dataclasses.replace(acc, shape=(n, 1, out, acc.shape[3]))}
    attrs = {k: v for k, v in reshape.attrs.items() if k != "new_shape"}
    ops = [None,
           dataclasses.replace(expand, inputs=(stb.inputs[0],) + expand.inputs[1:]),
           _dilated(conv, [(0, 0)] + edges, 1, block_and_edges(stb, g)[0][0]),
           # the target shape input is dropped: it spelled the batched shape
           dataclasses.replace(reshape, name=bts.name, inputs=(conv.outputs[0],),
                               outputs=bts.outputs, attrs=MappingProxyType(attrs)),
           None]
    return ops, tensors


def _batch_resized(g: Graph, chain: list[Op], tensors: dict) -> None:
    """An unfused STB -> conv -> BTS from a model with a dynamic batch: the converter stores
    batch 1 for the conv's output (TFLite resizes it at run time to the conv input's batch,
    N * prod(block)); write the real batch, as TFLite's Prepare would. Other chains keep their
    shapes (the checks then refuse a placeholder in one line)."""
    if len(chain) != 3 or chain[1].kind not in CONVS:
        return
    mid, acc = g.tensor(chain[0].outputs[0]), g.tensor(chain[1].outputs[0])
    if len(acc.shape) == 4 and len(mid.shape) == 4 and acc.shape[0] == 1 != mid.shape[0]:
        tensors[acc.name] = dataclasses.replace(acc, shape=(mid.shape[0],) + acc.shape[1:])


def _chain(g: Graph, start: int, only_reader) -> list[int] | None:
    """Positions of STB, the ops that each read the one before as their first input (its only
    reader), up to the first BATCH_TO_SPACE_ND within 5 ops; None if there is none."""
    chain = [start]
    while len(chain) < 5:
        op = g.ops[chain[-1]]
        if len(op.outputs) != 1:
            return None
        nxt = only_reader(op.outputs[0])
        if nxt is None or g.ops[nxt].inputs[:1] != (op.outputs[0],):
            return None
        chain.append(nxt)
        if g.ops[nxt].kind == "BATCH_TO_SPACE_ND":
            return chain if len(g.ops[nxt].outputs) == 1 else None
    return None


def dilate(g: Graph) -> Graph:
    readers = g.consumers()

    def only_reader(tensor: str) -> int | None:
        r = readers.get(tensor, [])
        return r[0] if len(r) == 1 and tensor not in g.outputs else None

    replace: dict[int, Op | None] = {}
    tensors = dict(g.tensors)
    for i, stb in enumerate(g.ops):
        if stb.kind != "SPACE_TO_BATCH_ND" or block_and_edges(stb, g) is None:
            continue
        positions = _chain(g, i, only_reader)
        if positions is None:
            continue
        chain = [g.ops[p] for p in positions]
        fuse = {3: _fuse_2d, 5: _fuse_1d}.get(len(chain))
        fused = fuse(g, chain) if fuse else None
        if fused is None:
            _batch_resized(g, chain, tensors)
            continue
        # each new op stands where an op of the chain stood: what it reads is ready there
        ops, changed = fused
        replace.update(zip(positions, ops))
        tensors.update(changed)
    if not replace and tensors == dict(g.tensors):
        return g
    ops = [replace.get(i, op) for i, op in enumerate(g.ops)]
    ops = [op for op in ops if op is not None]
    used = {t for op in ops for t in op.inputs + op.outputs if t} | set(g.inputs) | set(g.outputs)
    return g.replace(ops=tuple(ops), tensors=MappingProxyType(
        {n: t for n, t in tensors.items() if n in used}))
