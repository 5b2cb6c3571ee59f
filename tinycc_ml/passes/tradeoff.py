"""RAM against speed: the kernels that can run each layer, and one per layer chosen for an arena
budget (`--max-arena BYTES`) or at either end (`--optimize speed|ram`).

Every kernel object knows its scratch (`Kernel.scratch_bytes`) and estimates its speed
(`Kernel.cycles`: ESTIMATED cycles, a per-kernel cycles-per-MAC figure times the layer's MACs;
it ranks choices, QEMU's classified counts measure them, tinycc_ml/cortexm/cycles.py). The
arena of a set of choices is the planner's (scratch and in-place declarations both change it).

- speed (the default): passes/select.py's choice, the first kernel that can run each layer.
  With --max-arena, if that plan fits, it is kept.
- ram: start from each layer's smallest-scratch kernel (ties: the faster), and from every
  layer's last kernel (the portable one, whose plan is the generic target's); keep the smaller
  arena; then upgrade, layer by layer (largest estimated saving first), to any faster kernel that
  does not grow the arena. The result is never above the portable kernels' plan.
- --max-arena BYTES: the ram end, then the same upgrades while the arena stays within BYTES:
  per layer the fastest kernel whose plan fits. When even the ram end does not fit, one line.

`frontier` gives the points of `inspect --tradeoff`: the ram end, the upgrades one by one in that
order (each a plan), the speed end, also with the first layers tiled (passes/tile.py, where that
shrinks the plan: compiler.tiled_graph); arena bytes against estimated cycles, Pareto-filtered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

from ..ir import Graph
from ..ops.base import Choice, Context, Layer, lookup
from .select import select, select_all

PlanFn = Callable[[Graph, tuple[Choice, ...]], int]


def estimated_cycles(g: Graph, choices: Sequence[Choice]) -> float:
    """The model's estimated cycles: the sum of its chosen kernels' estimates."""
    return sum(c.kernel.cycles(Layer(op, g), c.decision) for op, c in zip(g.ops, choices))


def _alternatives(g: Graph, ctx: Context) -> list[tuple[Choice, ...]]:
    """Per layer, the choices that can run it, fastest (estimated) first; list order breaks ties."""
    out = []
    for op in g.ops:
        layer = Layer(op, g)
        alts = select_all(layer, ctx)
        out.append(tuple(sorted(alts, key=lambda c: c.kernel.cycles(layer, c.decision))))
    return out


def _passed_for_ram(chosen: Choice, alts: tuple[Choice, ...], why: str) -> Choice:
    """The chosen choice with the faster kernels it was preferred to, each with the reason."""
    if chosen is alts[0]:
        return chosen
    faster = tuple((a.kernel, f"{a.scratch} bytes of scratch, arena {why}")
                   for a in alts[:alts.index(chosen)])
    return replace(chosen, passed_over=chosen.passed_over + faster)


class _Search:
    def __init__(self, g: Graph, ctx: Context, arena: PlanFn):
        self.g, self.arena_of = g, arena
        self.alts = _alternatives(g, ctx)
        self.layers = [Layer(op, g) for op in g.ops]
        self._memo: dict[tuple[int, ...], int] = {}

    def choices(self, idx: Sequence[int]) -> tuple[Choice, ...]:
        return tuple(a[i] for a, i in zip(self.alts, idx))

    def arena(self, idx: Sequence[int]) -> int:
        key = tuple(idx)
        if key not in self._memo:
            self._memo[key] = self.arena_of(self.g, self.choices(key))
        return self._memo[key]

    def cycles(self, pos: int, i: int) -> float:
        c = self.alts[pos][i]
        return c.kernel.cycles(self.layers[pos], c.decision)

    def ram_start(self) -> list[int]:
        """The smaller plan of: each layer's smallest-scratch kernel; every layer's last."""
        smallest = [min(range(len(a)), key=lambda i: (a[i].scratch, i)) for a in self.alts]
        last = [max(range(len(a)), key=lambda i: (a[i].kernel is self._last(pos), -i))
                for pos, a in enumerate(self.alts)]
        return min((smallest, last), key=self.arena)

    def ram_end(self) -> list[int]:
        start = self.ram_start()
        return self.upgrade(start, self.arena(start))

    def _last(self, pos: int):
        op = self.layers[pos].op
        return lookup(op, self.g).kernels[-1]

    def upgrade(self, idx: list[int], limit: int, steps: list | None = None) -> list[int]:
        """Per layer (largest estimated saving first), the fastest kernel keeping the arena
        within `limit`."""
        idx = list(idx)
        order = sorted(range(len(idx)), key=lambda p: self.cycles(p, 0) - self.cycles(p, idx[p]))
        for pos in order:
            for i in range(idx[pos]):             # faster ones first
                trial = idx[:pos] + [i] + idx[pos + 1:]
                if self.arena(trial) <= limit:
                    idx = trial
                    if steps is not None:
                        steps.append(list(idx))
                    break
        return idx


def fit(g: Graph, ctx: Context, arena: PlanFn, optimize: str = "speed",
        max_arena: int | None = None) -> tuple[tuple[Choice, ...], int | None]:
    """The choices for `optimize` within `max_arena`, and None; or the speed choices and the
    smallest arena found when nothing fits (the caller reports it)."""
    fastest = select(g, ctx)
    if optimize == "speed" and (max_arena is None or arena(g, fastest) <= max_arena):
        return fastest, None
    s = _Search(g, ctx, arena)
    idx = s.ram_end()
    smallest = s.arena(idx)
    if max_arena is not None and smallest > max_arena:
        return fastest, smallest
    if optimize == "speed":
        idx = s.upgrade(idx, max_arena)
    why = "--optimize ram" if optimize == "ram" else f"--max-arena {max_arena}"
    return tuple(_passed_for_ram(c, a, why) for c, a in zip(s.choices(idx), s.alts)), None


def smallest_arena(g: Graph, ctx: Context, arena: PlanFn) -> int:
    """The arena of the ram end (its upgrades never grow it)."""
    s = _Search(g, ctx, arena)
    return s.arena(s.ram_start())


def frontier(g: Graph, ctx: Context, arena: PlanFn,
             tiled: Graph | None = None) -> list[tuple[int, float]]:
    """(arena bytes, estimated cycles) from the ram end to the speed end, Pareto-optimal; with
    `tiled` (g with some layers tiled, passes/tile.py), its points too."""
    points = set()
    for graph in (g, tiled) if tiled is not None and tiled is not g else (g,):
        s = _Search(graph, ctx, arena)
        start = s.ram_end()
        steps = [start]
        s.upgrade(start, 1 << 62, steps)
        points |= {(s.arena(i), estimated_cycles(graph, s.choices(i))) for i in steps}
    fastest = select(g, ctx)
    points.add((arena(g, fastest), estimated_cycles(g, fastest)))
    best, out = float("inf"), []
    for a, c in sorted(points):
        if c < best:
            out.append((a, c))
            best = c
    return out
