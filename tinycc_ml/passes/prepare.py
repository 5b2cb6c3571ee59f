"""Compute every op's Params once (multipliers, shifts, padding, activation range)."""

from __future__ import annotations

import dataclasses

from ..ir import Graph
from ..ops.base import lookup


def prepare(g: Graph) -> Graph:
    return g.with_ops(dataclasses.replace(op, params=lookup(op, g).prepare(op, g)) for op in g.ops)
