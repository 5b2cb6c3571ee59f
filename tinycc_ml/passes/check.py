"""The ops' own checks (OpDef.check), after shape inference and the graph rewrites: shapes,
quantization, options. Arity, types and the graph's wiring are checked before
(passes/validate.py)."""

from __future__ import annotations

from ..ir import Graph
from ..ops.base import lookup


def check(g: Graph) -> Graph:
    """Raise a one-line CompileError for the first problem found; return g unchanged."""
    for op in g.ops:
        lookup(op, g).check(op, g)
    return g
