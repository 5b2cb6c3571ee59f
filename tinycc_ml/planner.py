"""Static arena planning from tensor lifetimes.

Buffers
    Every non-constant tensor that is neither a graph input nor a graph output needs arena
    bytes (graph inputs and outputs live in the caller's buffers, passed to `NAME_invoke`).
    Ops that may write their output over an input (`OpDef.alias_input`: RESHAPE, ...) join the
    two tensors into one buffer. Each op's scratch memory (`OpDef.scratch_bytes`) is a buffer
    alive during that op only.

Lifetimes
    A buffer is alive from the op that first writes it to the last op that reads it (positions
    in execution order, inclusive).

Placement (greedy by size, as TFLite Micro's GreedyMemoryPlanner)
    1. Sort buffers by size (largest first), then first use, then name: a total order, so the
       plan is identical for identical input.
    2. Place each at the lowest aligned offset where it overlaps no already-placed buffer whose
       lifetime intersects its own (first fit over the gaps).
    The arena size is the highest end offset. Greedy is not guaranteed optimal; `lower_bound`
    gives the bytes live at the worst op, which no placement without in-place reuse can beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ir import Graph

ALIGN = 4


@dataclass(frozen=True)
class Buffer:
    name: str                      # the root tensor's name, or "<op name>:scratch"
    size: int
    first: int                     # op position of the first write
    last: int                      # op position of the last read
    members: tuple[str, ...]       # tensors sharing this buffer
    offset: int = -1
    scratch: bool = False


@dataclass(frozen=True)
class Plan:
    buffers: tuple[Buffer, ...]
    arena_bytes: int
    # tensor name -> ("arena", offset) | ("input", k) | ("output", k)
    location: dict = field(default_factory=dict)
    scratch: dict = field(default_factory=dict)  # op position -> arena offset of its scratch
    copies: frozenset = frozenset()              # alias ops that still need a copy (positions)


def _align(x: int, a: int = ALIGN) -> int:
    return (x + a - 1) // a * a


def lifetimes(g: Graph, alias: dict[int, int], scratch: dict[int, int]):
    """Group tensors into buffers and compute their lifetimes.

    `alias`: op position -> input index the output may share; `scratch`: op position -> bytes.
    Returns (buffers without offsets, location map for external tensors, copy positions).
    """
    ext: dict[str, tuple[str, int]] = {}
    for k, name in enumerate(g.inputs):
        ext.setdefault(name, ("input", k))
    for k, name in enumerate(g.outputs):
        ext.setdefault(name, ("output", k))

    parent: dict[str, str] = {}

    def root(t: str) -> str:
        while parent.get(t, t) != t:
            t = parent[t]
        return t

    def external_of(r: str) -> set:
        return {ext[m] for m in members_of(r) if m in ext}

    def members_of(r: str):
        return [t for t in g.tensors if root(t) == r]

    copies = set()
    for pos, op in enumerate(g.ops):
        k = alias.get(pos)
        if k is None:
            continue
        src, dst = op.inputs[k], op.outputs[0]
        if src is None or g.tensor(src).is_const:
            copies.add(pos)
            continue
        ra, rb = root(src), root(dst)
        both = external_of(ra) | external_of(rb)
        if len(both) > 1:
            copies.add(pos)
            continue
        # the root is the external member if any, so its location wins
        if rb in ext or any(m in ext for m in members_of(rb)):
            parent[ra] = rb
        else:
            parent[rb] = ra

    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for t in g.inputs:
        first[root(t)] = -1
    for pos, op in enumerate(g.ops):
        for t in op.outputs:
            r = root(t)
            first[r] = min(first.get(r, pos), pos)
            last[r] = max(last.get(r, pos), pos)
        for t in op.inputs:
            if t is None or g.tensor(t).is_const:
                continue
            r = root(t)
            last[r] = max(last.get(r, pos), pos)
    end = len(g.ops)
    for t in g.outputs:
        last[root(t)] = end

    location: dict[str, tuple[str, int]] = {}
    groups: dict[str, list[str]] = {}
    for t, tensor in g.tensors.items():
        if tensor.is_const:
            continue
        groups.setdefault(root(t), []).append(t)
    buffers = []
    for r, members in groups.items():
        exts = [ext[m] for m in members if m in ext]
        if exts:
            for m in members:
                location[m] = exts[0]
            continue
        if r not in first:  # never written (dangling): no storage needed
            continue
        size = max(g.tensor(m).nbytes for m in members)
        buffers.append(Buffer(name=r, size=size, first=first[r], last=last.get(r, first[r]),
                              members=tuple(sorted(members))))
    for pos, nbytes in scratch.items():
        if nbytes > 0:
            buffers.append(Buffer(name=f"{g.ops[pos].name}:scratch", size=nbytes, first=pos,
                                  last=pos, members=(), scratch=True))
    return buffers, location, frozenset(copies)


def place(buffers: list[Buffer], align: int = ALIGN) -> list[Buffer]:
    """Greedy first fit, largest first; ties by first use then name (deterministic)."""
    order = sorted(buffers, key=lambda b: (-b.size, b.first, b.name))
    placed: list[Buffer] = []
    for b in order:
        busy = sorted((p.offset, p.offset + p.size) for p in placed
                      if p.first <= b.last and b.first <= p.last)
        offset = 0
        for lo, hi in busy:
            if offset + b.size <= lo:
                break
            offset = max(offset, _align(hi, align))
        placed.append(Buffer(**{**b.__dict__, "offset": offset}))
    return sorted(placed, key=lambda p: (p.offset, p.first, p.name))


def plan(g: Graph, alias: dict[int, int], scratch: dict[int, int], align: int = ALIGN) -> Plan:
    buffers, location, copies = lifetimes(g, alias, scratch)
    placed = place(buffers, align)
    arena = max((b.offset + b.size for b in placed), default=0)
    scratch_at = {}
    for b in placed:
        if b.scratch:
            scratch_at[b.first] = b.offset
        for m in b.members:
            location[m] = ("arena", b.offset)
    return Plan(buffers=tuple(placed), arena_bytes=arena, location=location,
                scratch=scratch_at, copies=copies)


def check_no_overlap(p: Plan) -> None:
    """Raise AssertionError if two buffers alive at the same time share a byte (a planner bug)."""
    bs = p.buffers
    for i, a in enumerate(bs):
        if a.offset < 0 or a.offset + a.size > p.arena_bytes:
            raise AssertionError(f"buffer {a.name} lies outside the arena")
        for b in bs[i + 1:]:
            if a.first <= b.last and b.first <= a.last and \
                    a.offset < b.offset + b.size and b.offset < a.offset + a.size:
                raise AssertionError(f"buffers {a.name} and {b.name} overlap while both alive")


def lower_bound(g: Graph, include_io: bool = True) -> int:
    """Max over ops of the bytes of the non-constant tensors alive there (no aliasing).

    With include_io (the definition of ../shared/BASELINES.md), graph inputs and outputs count;
    without it, only the tensors tinycc-ml puts in its arena.
    """
    first: dict[str, int] = {t: -1 for t in g.inputs}
    last: dict[str, int] = {}
    for pos, op in enumerate(g.ops):
        for t in op.outputs:
            first.setdefault(t, pos)
            last[t] = max(last.get(t, pos), pos)
        for t in op.inputs:
            if t is not None and not g.tensor(t).is_const:
                last[t] = max(last.get(t, pos), pos)
    for t in g.outputs:
        last[t] = len(g.ops)
    io = set(g.inputs) | set(g.outputs)
    best = 0
    for pos in range(len(g.ops)):
        live = sum(g.tensor(t).nbytes for t in first
                   if first[t] <= pos <= last.get(t, first[t]) and (include_io or t not in io))
        best = max(best, live)
    return best
