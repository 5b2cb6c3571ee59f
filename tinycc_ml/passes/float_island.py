"""Float islands of pure data movement, made int8 again.

The TFLite converter leaves, in full-integer Keras GRU cells, DEQUANTIZE -> SPLIT (float32)
-> QUANTIZE: the int8 matmul result is split in float and each part quantized back with the
very parameters it was dequantized with. Splitting moves values without changing them, and
QUANTIZE(DEQUANTIZE(q)) with the same scale and zero point gives q back exactly (|q - zp| <=
255, so (q - zp) * scale / scale rounds to q - zp in float32), so the island is the int8 SPLIT
of the DEQUANTIZE's input. Rewritten only when every part is so quantized (or unused)."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np

from ..ir import Graph

_MOVES = ("SPLIT", "SPLIT_V")


def _same_quant(a, b) -> bool:
    return (a.is_quantized and b.is_quantized and not a.per_channel and not b.per_channel
            and len(a.zero_point) > 0 and len(b.zero_point) > 0
            and a.dtype == b.dtype and np.float32(a.scale[0]) == np.float32(b.scale[0])
            and int(a.zero_point[0]) == int(b.zero_point[0]))


def float_island(g: Graph) -> Graph:
    users = g.consumers()
    outputs = set(g.outputs)
    drop, replace_ops, tensors = set(), {}, dict(g.tensors)
    for pos, op in enumerate(g.ops):
        # runs before validation (the float SPLIT would be refused): malformed ops are left to it
        if op.kind != "DEQUANTIZE" or len(op.inputs) != 1 or op.inputs[0] is None \
                or len(op.outputs) != 1:
            continue
        src, mid = g.tensor(op.inputs[0]), op.outputs[0]
        readers = users.get(mid, [])
        if src.dtype != "int8" or mid in outputs or len(readers) != 1:
            continue
        move = g.ops[readers[0]]
        if move.kind not in _MOVES or not move.inputs \
                or move.inputs[-1 if move.kind == "SPLIT" else 0] != mid:
            continue
        renames, quantizes = {}, []
        for part in move.outputs:
            r = users.get(part, [])
            if part in outputs or len(r) > 1:
                break
            if r:
                q = g.ops[r[0]]
                if q.kind != "QUANTIZE" or len(q.outputs) != 1 \
                        or not _same_quant(g.tensor(q.outputs[0]), src):
                    break
                renames[part] = q.outputs[0]
                quantizes.append(r[0])
        else:
            for part in move.outputs:
                if part not in renames:   # an unused part: int8 with the input's parameters
                    tensors[part] = dataclasses.replace(g.tensor(part), dtype="int8",
                                                        scale=src.scale,
                                                        zero_point=src.zero_point)
            ins = tuple(op.inputs[0] if t == mid else t for t in move.inputs)
            outs = tuple(renames.get(t, t) for t in move.outputs)
            replace_ops[readers[0]] = dataclasses.replace(move, inputs=ins, outputs=outs)
            drop |= {pos, *quantizes}
    if not drop:
        return g
    ops = [replace_ops.get(i, o) for i, o in enumerate(g.ops) if i not in drop]
    return g.replace(tensors=MappingProxyType(tensors), ops=tuple(ops))
