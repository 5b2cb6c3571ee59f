"""Shape inference: write each op's computed output shape (OpDef.output_shape) into the graph.

Runs after constant folding and validation (passes/validate.py: every op known, its arity and
types as its signature says), in execution order, so a RESHAPE whose target was computed at
run time by the source model gets its real shape, and the ops after it see it.
"""

from __future__ import annotations

import dataclasses

from ..ir import Graph
from ..ops.base import lookup


def infer_shapes(g: Graph) -> Graph:
    tensors = dict(g.tensors)
    changed = False
    for op in g.ops:
        if len(op.outputs) != 1:
            continue
        view = g.replace(tensors=tensors)
        shape = lookup(op, view).output_shape(op, view)
        out = tensors[op.outputs[0]]
        if shape is not None and tuple(shape) != tuple(out.shape):
            tensors[op.outputs[0]] = dataclasses.replace(out, shape=tuple(int(d) for d in shape))
            changed = True
    return g.replace(tensors=tensors) if changed else g
