"""Structured pruning: whole zero filters of CONV_2D and FULLY_CONNECTED, removed at compile
time (--sparsity auto).

A filter (weights row) whose weights are all zero gives its output channel one value at every
pixel, the requantized bias: v = clamp(MultiplyByQuantizedMultiplier(bias) + output_zp),
computed here with the layer's own numbers (ops/_fixedpoint.py; FULLY_CONNECTED's single
rounding). This pass removes such channels, bit for bit:
- when every reader of the output is an op of the same kind (its input 0: a CONV_2D after a
  CONV_2D, a FULLY_CONNECTED after a FULLY_CONNECTED) and v is the output's zero point
  (a pruned filter with a zero bias, under ReLU or not): the channel is dropped from the
  producer (filter row, bias, per-channel scale) and from the readers' weights (their input
  channel): a reader's term weight * (v - zero point) is 0 at every tap, padded or not, so its
  sums do not change;
- otherwise (the output feeds an ADD, a pool, the graph's output), when at least MIN_DEAD of
  the channels are dead and the live filters are dense enough (MAX_LIVE_ZEROS; sparser ones
  are left to the sparse kernels): the producer computes its
  live channels only, into a new tensor, and an EXPAND_CHANNELS op (ops/expand_channels.py)
  writes the full output, the live channels copied and the dead ones set to their constant.
Weights that merely hold many zeros are left to the sparse kernels (ops/_sparse.py).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np

from ..ir import Graph, Op, Tensor, frozen_array
from ..ops._fixedpoint import mbqm
from ..ops.base import lookup

# split off dead channels (an EXPAND_CHANNELS op) only when at least this share is dead, and
# the live filters hold at most this share of zeros (sparser ones are left whole to the sparse
# kernels, which skip dead filters at no cost)
MIN_DEAD = 0.25
MAX_LIVE_ZEROS = 0.5


def _zero_fraction(w: Tensor, keep: np.ndarray) -> float:
    live = np.take(w.data, keep, axis=0)
    return 1.0 - np.count_nonzero(live) / max(live.size, 1)


# producer kind -> the axis of a reader's weights that holds the producer's output channels
READ_AXIS = {"CONV_2D": 3, "FULLY_CONNECTED": 1}


def _requant(acc: int, rq, c: int, single: bool) -> int:
    """The layer's requantization of one accumulator (channel c), clamped: ConvPerChannel's
    double rounding, or FULLY_CONNECTED's single rounding (tcm_mbqm_single)."""
    m, s = int(rq.multiplier[c % len(rq.multiplier)]), int(rq.shift[c % len(rq.shift)])
    if single:
        total = 31 - s
        v = (acc * m + (1 << (total - 1))) >> total
    else:
        v = mbqm(acc, m, s)
    return int(min(max(v + rq.output_zp, rq.act_min), rq.act_max))


def _dead_values(op: Op, g: Graph) -> dict[int, int]:
    """Output channel -> its constant int8 value, for the all-zero filters (weight rows) of a
    CONV_2D or FULLY_CONNECTED."""
    w = g.tensor(op.inputs[1])
    if not w.is_const or w.dtype != "int8" or g.tensor(op.inputs[0]).dtype != "int8":
        return {}
    rows = w.data.reshape(w.shape[0], -1)
    dead = np.flatnonzero(~rows.any(axis=1))
    if dead.size == 0:
        return {}
    p = lookup(op, g).prepare(op, g)
    single = op.kind == "FULLY_CONNECTED"
    return {int(c): _requant(int(p.bias[c]), p.rq, int(c), single) for c in dead}


def _take(t: Tensor, keep: np.ndarray, axis: int) -> Tensor:
    """A constant (and its per-channel scales along `axis`) restricted to channels `keep`."""
    data = frozen_array(np.take(t.data, keep, axis=axis))
    changes = {"data": data, "shape": data.shape}
    if t.per_channel and t.quant_axis == axis:
        changes.update(scale=frozen_array(t.scale[keep]),
                       zero_point=frozen_array(t.zero_point[keep]))
    return dataclasses.replace(t, **changes)


def drop_dead_channels(g: Graph) -> Graph:
    tensors = dict(g.tensors)
    ops = list(g.ops)
    k = 0
    while k < len(ops):
        op = ops[k]
        k += 1
        if op.kind not in READ_AXIS or len(op.inputs) < 2:
            continue
        cur = g.replace(tensors=MappingProxyType(tensors), ops=tuple(ops))
        dead = _dead_values(op, cur)
        out = tensors[op.outputs[0]]
        out_c = out.shape[-1]
        if not dead or len(dead) == out_c:
            continue
        keep = np.array([c for c in range(out_c) if c not in dead], np.int64)
        zp = out.qparams()[1]
        readers = [ops[i] for i in range(len(ops))
                   if op.outputs[0] in ops[i].inputs]
        drop = (op.outputs[0] not in g.outputs and readers and
                all(r.kind == op.kind and list(r.inputs).index(op.outputs[0]) == 0 and
                    r.inputs.count(op.outputs[0]) == 1 and
                    tensors[r.inputs[1]].is_const for r in readers) and
                all(v == zp for v in dead.values()))
        if not drop and (len(dead) < MIN_DEAD * out_c or
                         _zero_fraction(tensors[op.inputs[1]], keep) > MAX_LIVE_ZEROS):
            continue
        new_inputs = list(op.inputs)
        for j, name in ((1, op.inputs[1]), (2, op.inputs[2] if len(op.inputs) > 2 else None)):
            if name is not None:
                uniq = f"{name}/live"
                tensors[uniq] = dataclasses.replace(_take(tensors[name], keep, 0), name=uniq)
                new_inputs[j] = uniq
        if drop:
            tensors[op.outputs[0]] = dataclasses.replace(out, shape=out.shape[:-1] + (len(keep),))
            ops[k - 1] = dataclasses.replace(op, inputs=tuple(new_inputs))
            for r in readers:
                i = ops.index(r)
                fname = f"{r.inputs[1]}/in{len(keep)}of{out_c}"
                tensors[fname] = dataclasses.replace(
                    _take(tensors[r.inputs[1]], keep, READ_AXIS[op.kind]), name=fname)
                ops[i] = dataclasses.replace(r, inputs=(r.inputs[0], fname) + tuple(r.inputs[2:]))
        else:
            live = f"{op.outputs[0]}/live"
            tensors[live] = dataclasses.replace(out, name=live,
                                                shape=out.shape[:-1] + (len(keep),))
            ops[k - 1] = dataclasses.replace(op, inputs=tuple(new_inputs), outputs=(live,))
            fill = tuple(dead.get(c, 0) for c in range(out_c))
            source = tuple(int(np.searchsorted(keep, c)) if c not in dead else -1
                           for c in range(out_c))
            ops.insert(k, Op(index=op.index, kind="EXPAND_CHANNELS", name=op.name,
                             inputs=(live,), outputs=op.outputs,
                             attrs=MappingProxyType({"source": source, "fill": fill}),
                             source_kind=op.source_kind))
            k += 1
    return g.replace(tensors=MappingProxyType(tensors), ops=tuple(ops))
