"""Validation before shape inference: every op known, the graph well formed, each op's arity,
operand types and constant operands as its OpDef.signature declares, and no option the frontend
could not translate. Runs after constant folding (which evaluates shape arithmetic that tinycc-ml
has no kernel for), before infer_shapes, dilate and the ops' own checks (passes/check.py), which
may then rely on all of this."""

from __future__ import annotations

from ..ir import Graph
from ..ops.base import lookup


def validate(g: Graph) -> Graph:
    """Raise a one-line CompileError for the first problem found; return g unchanged."""
    if not g.ops:
        raise g.error(None, "the model has no operators")
    # An op tinycc-ml does not have is the first thing to report: models with LSTM/SVDF state
    # or accelerator custom ops would otherwise be refused for their unusual wiring instead.
    opdefs = [lookup(op, g) for op in g.ops]
    # persistent tensors (recurrent state) hold a value before the first op: the last call's
    written: set[str] = set(g.inputs) | {n for n, t in g.tensors.items() if t.persistent}
    for name in g.inputs:
        if g.tensor(name).is_const:
            raise g.error(None, f"graph input '{name}' is a constant")
    for op in g.ops:
        for name in op.inputs:
            if name is None:
                continue
            if not g.tensor(name).is_const and name not in written:
                raise g.error(op, f"input '{name}' is not computed before this op "
                                  "(the graph is not in execution order, or has a cycle)")
        for name in op.outputs:
            if g.tensor(name).is_const:
                raise g.error(op, f"output '{name}' is a constant tensor")
            if name in written:
                raise g.error(op, f"output '{name}' is written twice")
            written.add(name)
    for name in g.outputs:
        if name not in written:
            raise g.error(None, f"graph output '{name}' is never computed")
    for op, opdef in zip(g.ops, opdefs):
        if "unsupported" in op.attrs:   # an option the frontend could not translate
            raise g.error(op, op.attrs["unsupported"])
        if opdef.signature is not None:
            opdef.signature.check(op, g)
    return g
