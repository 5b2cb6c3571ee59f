"""Static arena planning: lifetimes from the graph, offsets from heuristics plus an exact search.

Buffers
    Every non-constant tensor that is neither a graph input nor a graph output needs arena
    bytes (graph inputs and outputs live in the caller's buffers, passed to `NAME_invoke`).
    Ops whose output is a view of an input (`OpDef.alias_input`: RESHAPE, ...) join the two
    tensors into one buffer. Each layer's scratch memory (its kernel `Choice.scratch`) is a
    buffer alive during that op only.

Lifetimes
    A buffer is alive from the op that first writes it to the last op that reads it (positions
    in execution order, inclusive): branches, residuals and multi-input ops need nothing
    special, since every read counts. A tensor nobody reads still lives at its producer.

In place (`Choice.inplace`: the chosen kernel's `Kernel.inplace`, input index and gap)
    An op may declare that its output can be written over input k. The planner may use it
    when input k dies at that op (no later reader, including through aliases), neither side is
    a graph input or output, and no other input of the op shares input k's buffer. The output
    is then pinned `gap` bytes below input k: 0 for elementwise ops (ADD); for a streaming
    kernel the gap keeps its writes behind its reads (`window_gap` computes it for the
    windowed kernels, so a convolution, an in-place depthwise convolution or a pool kernel
    declares itself in one method; a kernel that needs a temporary declares it as scratch). Pinned
    buffers form a *block* with fixed relative offsets; a lone buffer is a one-part block.
    Pins save bytes at their op, but a chain of pins drifts down by the sum of its gaps, so
    they are chosen: tried by bytes saved, each kept if the heuristic arena does not grow;
    that set, all pins and none are compared and the smallest arena wins.

Placement
    0. Offsets and sizes are rounded up to `align` bytes. The *live bound* is the most bytes
       alive at any op (in-place pairs counted once): no placement of these blocks is smaller.
    1. Heuristics: first fit (each block at the lowest offset where it collides with no block
       already placed that is alive at the same time) in five orders: size (TFLite Micro's
       GreedyMemoryPlanner), first use, lifetime length, size x lifetime, and bytes of
       conflicting blocks. The smallest arena wins; on equal arenas the earlier order wins.
    2. If that equals the live bound, it is optimal. Otherwise a depth-first branch and bound
       searches the order in which blocks are placed by first fit. For one-part blocks it is
       exact: an optimal placement, compacted downwards and re-placed by first fit in order of
       its offsets, gives a placement as small whose first-fit offsets never decrease. So the
       search only extends orders whose offsets do not decrease, skips one of two orders of
       consecutive blocks never alive together, skips a state already searched (what is left
       to place, the blocks sticking out above the current level), and prunes with
       level + (bytes left to place at op t) + (placed bytes above level at op t), the most
       over t. It stops after `budget` steps (first-fit evaluations and bound terms: a count,
       not a clock, so the plan is the same on every machine), keeping the best plan found.
       With multi-part blocks it searches the same orders without the proof.
    `Plan.status` says which case the plan is in.

State
    Persistent tensors (`Tensor.persistent`: TFLite's variable tensors, which keep their values
    from one call to the next) are not arena buffers: they get their own region, `state_bytes`
    long, laid out in the order of the graph's tensors, each at an aligned offset, never
    shared with another tensor or reused. Their location is ("state", offset).

Determinism
    Blocks are numbered by (first use, -size, name); every sort ends on that number and a plan
    replaces the best only when strictly smaller, so equal input gives a byte-identical plan,
    whatever the order of the buffers given.

Tiled execution (passes/tile.py) reaches the planner as one op with its line buffers as scratch
and an in-place gap. Not done here: other tiled / patch-based execution (MCUNetV2),
kernels that run backwards (which would let a pin drift up), and reordering the ops (ic_resnet8
would free a block's input earlier by running the shortcut convolution first).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .ir import Graph

ALIGN = 4
BUDGET = 3_000_000    # search steps the exact search may spend (about a second at most)
MEMO = 300_000        # search states remembered, to skip one reached again by another order


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
class InPlace:
    """At op `position`, buffer `dst` (the output) is written over buffer `src` (input `input`),
    starting `gap` bytes below it."""
    position: int
    input: int
    src: str
    dst: str
    gap: int


@dataclass(frozen=True)
class Plan:
    buffers: tuple[Buffer, ...]
    arena_bytes: int
    # tensor name -> ("arena", offset) | ("input", k) | ("output", k)
    location: dict = field(default_factory=dict)
    scratch: dict = field(default_factory=dict)  # op position -> arena offset of its scratch
    copies: frozenset = frozenset()              # alias ops that still need a copy (positions)
    inplace: tuple[InPlace, ...] = ()            # in-place writes the plan relies on
    live_bound: int = 0       # most arena bytes alive at one op: no placement is smaller
    heuristic_bytes: int = 0  # the best first-fit order's arena, before the exact search
    status: str = ""          # how good the placement is known to be (see the module docstring)
    search_steps: int = 0
    requests: tuple = ()      # (alias, scratch, inplace, align, budget) it was planned from
    state_bytes: int = 0      # the persistent tensors' region (see "State")
    state: tuple[tuple[str, int, int, int], ...] = ()  # (tensor, offset, bytes, reset byte)

    def live(self, position: int) -> list[Buffer]:
        """Buffers alive at op `position`, by offset."""
        return [b for b in self.buffers if b.first <= position <= b.last]

    def live_bytes(self, position: int) -> int:
        """Arena bytes in use at op `position` (an in-place pair's shared bytes counted once)."""
        return _union_length((b.offset, b.offset + b.size) for b in self.live(position))


def _align(x: int, a: int = ALIGN) -> int:
    return (x + a - 1) // a * a


def _union_length(intervals) -> int:
    total, end = 0, None
    for lo, hi in sorted(intervals):
        if end is None or lo >= end:
            total += hi - lo
            end = hi
        elif hi > end:
            total += hi - end
            end = hi
    return total


# ---------------------------------------------------------------------------------------------
# Lifetimes


def lifetimes(g: Graph, alias: dict[int, int], scratch: dict[int, int],
              inplace: dict[int, tuple[int, int]] | None = None, io_in_arena: bool = False):
    """Group tensors into buffers, compute their lifetimes and the in-place links.

    `alias`: op position -> input index the output is a view of; `scratch`: op position ->
    bytes; `inplace`: op position -> (input index, gap). With `io_in_arena`, graph inputs and
    outputs are planned in the arena too (what TFLite Micro does; for comparisons only).
    Returns (buffers without offsets, location of the caller's tensors, alias copy positions,
    in-place links).
    """
    io = set(g.inputs) | set(g.outputs)
    ext: dict[str, tuple[str, int]] = {}
    if not io_in_arena:
        for k, name in enumerate(g.inputs):
            ext.setdefault(name, ("input", k))
        for k, name in enumerate(g.outputs):
            ext.setdefault(name, ("output", k))

    parent: dict[str, str] = {}

    def root(t: str) -> str:
        while parent.get(t, t) != t:
            t = parent[t]
        return t

    def members_of(r: str) -> list[str]:
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
        if ra == rb:
            continue
        both = {ext[m] for m in members_of(ra) + members_of(rb) if m in ext}
        if len(both) > 1:
            copies.add(pos)
            continue
        # the root is the external member if any, so its location wins
        if any(m in ext for m in members_of(rb)):
            parent[ra] = rb
        else:
            parent[rb] = ra

    n = len(g.ops)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for t in g.inputs:
        first[root(t)] = -1 if not io_in_arena else 0
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
    for t in g.outputs:
        last[root(t)] = n if not io_in_arena else max(n - 1, 0)

    groups: dict[str, list[str]] = {}
    for t, tensor in g.tensors.items():
        if not tensor.is_const:
            groups.setdefault(root(t), []).append(t)
    protected = {r for r, ms in groups.items()
                 if any(m in io or g.tensor(m).persistent for m in ms)}

    links: list[InPlace] = []
    has_in, has_out = set(), set()
    for pos in sorted(inplace or {}):
        k, gap = inplace[pos]
        op = g.ops[pos]
        if pos in alias or len(op.outputs) != 1 or not 0 <= k < len(op.inputs):
            continue
        src, dst = op.inputs[k], op.outputs[0]
        if src is None or g.tensor(src).is_const:
            continue
        rs, rd = root(src), root(dst)
        others = {root(t) for j, t in enumerate(op.inputs)
                  if j != k and t is not None and not g.tensor(t).is_const}
        if rs == rd or rs in protected or rd in protected or rs in others or \
                last.get(rs) != pos or first.get(rd) != pos or rs in has_out or rd in has_in:
            continue
        has_out.add(rs)
        has_in.add(rd)
        links.append(InPlace(pos, k, rs, rd, _align(max(int(gap), 0))))

    location: dict[str, tuple[str, int]] = {}
    buffers = []
    for r, members in groups.items():
        exts = [ext[m] for m in members if m in ext]
        if exts:
            for m in members:
                location[m] = exts[0]
            continue
        if r not in first or any(g.tensor(m).persistent for m in members):
            continue    # never written (dangling): no storage needed; state: its own region
        size = max(g.tensor(m).nbytes for m in members)
        buffers.append(Buffer(name=r, size=size, first=first[r], last=last.get(r, first[r]),
                              members=tuple(sorted(members))))
    for pos, nbytes in sorted(scratch.items()):
        if nbytes > 0:
            buffers.append(Buffer(name=f"{g.ops[pos].name}:scratch", size=nbytes, first=pos,
                                  last=pos, members=(), scratch=True))
    return buffers, location, frozenset(copies), tuple(links)


# ---------------------------------------------------------------------------------------------
# Blocks: buffers pinned together by in-place links


@dataclass(frozen=True)
class _Part:
    rel: int          # offset within the block
    size: int         # aligned
    first: int
    last: int


@dataclass(frozen=True)
class _Block:
    index: int
    buffers: tuple[tuple[int, int], ...]   # (buffer index, offset within the block)
    parts: tuple[_Part, ...]
    height: int                            # aligned bytes from the block's base to its top
    span: tuple[int, int]                  # first and last op position
    cover: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]  # (op, disjoint rel intervals)

    def bytes_at(self) -> dict[int, int]:
        return {t: sum(hi - lo for lo, hi in iv) for t, iv in self.cover}


def _merge(intervals):
    out: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _blocks(buffers: list[Buffer], links, align: int) -> list[_Block]:
    index = {b.name: i for i, b in enumerate(buffers)}
    down = {index[l.src]: (index[l.dst], _align(l.gap, align)) for l in links}
    heads = set(range(len(buffers))) - {d for d, _ in down.values()}
    chains = []
    for h in heads:
        chain, rel, i = [], 0, h
        while True:
            chain.append((i, rel))
            if i not in down:
                break
            i, gap = down[i]
            rel -= gap
        low = min(r for _, r in chain)
        chains.append(tuple((i, r - low) for i, r in chain))

    def key(chain):
        bs = [buffers[i] for i, _ in chain]
        return (min(b.first for b in bs), -max(b.size for b in bs), bs[0].name)
    blocks = []
    for n, chain in enumerate(sorted(chains, key=key)):
        raw = [_Part(rel, _align(buffers[i].size, align), buffers[i].first, buffers[i].last)
               for i, rel in chain]
        parts: list[_Part] = []
        for p in raw:  # an equal-size part right over the previous one extends it
            q = parts[-1] if parts else None
            if q and q.rel == p.rel and q.size == p.size and q.last == p.first:
                parts[-1] = replace(q, last=p.last)
            else:
                parts.append(p)
        lo, hi = min(p.first for p in parts), max(p.last for p in parts)
        cover = tuple((t, _merge((p.rel, p.rel + p.size) for p in parts if p.first <= t <= p.last))
                      for t in range(lo, hi + 1))
        blocks.append(_Block(n, chain, tuple(parts), max(p.rel + p.size for p in parts),
                             (lo, hi), cover))
    return blocks


def _conflicts(blocks: list[_Block]):
    """For each block: [(other block, ((p.rel, p.size, q.rel, q.size), ...))] alive together."""
    out = [[] for _ in blocks]
    for a in blocks:
        for b in blocks[a.index + 1:]:
            if a.span[0] > b.span[1] or b.span[0] > a.span[1]:
                continue
            pairs = [(p, q) for p in a.parts for q in b.parts
                     if p.first <= q.last and q.first <= p.last and p.size and q.size]
            if pairs:
                out[a.index].append((b.index, tuple((p.rel, p.size, q.rel, q.size)
                                                    for p, q in pairs)))
                out[b.index].append((a.index, tuple((q.rel, q.size, p.rel, p.size)
                                                    for p, q in pairs)))
    return out


def _first_fit(conf, offsets, lo: int) -> int:
    """Lowest base >= lo at which the block collides with no placed block (offsets[j] >= 0)."""
    forbidden = []
    for j, pairs in conf:
        x = offsets[j]
        if x < 0:
            continue
        for prel, psize, qrel, qsize in pairs:
            hi = x + qrel + qsize - prel          # base >= hi: above the placed part
            if hi > lo:
                forbidden.append((x + qrel - psize - prel, hi))  # base <= first: below it
    forbidden.sort()
    base = lo
    for below, above in forbidden:
        if below >= base:
            break
        if above > base:
            base = above
    return base


def _first_fit_order(blocks, conf, order) -> tuple[int, list[int]]:
    offsets = [-1] * len(blocks)
    top = 0
    for i in order:
        offsets[i] = _first_fit(conf[i], offsets, 0)
        top = max(top, offsets[i] + blocks[i].height)
    return top, offsets


_ORDERS = (
    ("size", lambda b, c: (-b.height, b.index)),
    ("first use", lambda b, c: (b.span[0], -b.height, b.index)),
    ("lifetime", lambda b, c: (b.span[0] - b.span[1], -b.height, b.index)),
    ("size x lifetime", lambda b, c: (-b.height * (b.span[1] - b.span[0] + 1), b.index)),
    ("conflicts", lambda b, c: (-sum(max(p[3] for p in pairs) for _, pairs in c), -b.height,
                                b.index)),
)


class _Budget(Exception):
    pass


def _search(blocks, conf, best: int, best_offsets: list[int], budget: int):
    """Branch and bound over first-fit orders with non-decreasing offsets (module docstring)."""
    n = len(blocks)
    if n == 0 or budget <= 0:
        return best, best_offsets, 0, False
    t0 = min(b.span[0] for b in blocks)
    horizon = max(b.span[1] for b in blocks) - t0 + 1
    todo_at = [0] * horizon                         # bytes not yet placed, per op
    bytes_at = [b.bytes_at() for b in blocks]
    for bt in bytes_at:
        for t, v in bt.items():
            todo_at[t - t0] += v
    together = [set(j for j, _ in c) for c in conf]
    # (op - t0, lo, hi) per block: the disjoint byte ranges it covers at each op
    flat = [tuple((t - t0, lo, hi) for t, iv in b.cover for lo, hi in iv) for b in blocks]
    offsets = [-1] * n
    placed: list[int] = []
    mask = 0                                        # bit i: block i is placed
    seen: set = set()
    steps = 0

    def bound(level: int) -> int:
        nonlocal steps
        above = todo_at[:]
        for j in placed:
            x = offsets[j]
            if x + blocks[j].height <= level:
                continue
            steps += len(flat[j])
            for ti, lo, hi in flat[j]:
                if x + hi > level:
                    above[ti] += x + hi - (x + lo if x + lo > level else level)
        return level + max(above)

    def dfs(level: int, prev: int, top: int) -> None:
        nonlocal best, best_offsets, steps, mask
        if len(placed) == n:
            if top < best:
                best, best_offsets = top, offsets[:]
            return
        if steps > budget:
            raise _Budget
        # Blocks wholly below `level` cannot touch what comes next: the rest of the search
        # depends only on what is left, what sticks out above level, and level itself.
        state = (level, mask, tuple(sorted(
            (j, offsets[j]) for j in placed if offsets[j] + blocks[j].height > level)))
        if state in seen:
            return
        if len(seen) < MEMO:
            seen.add(state)
        if bound(level) >= best:
            return
        children = []
        for i in range(n):
            if offsets[i] >= 0:
                continue
            steps += 1 + len(conf[i])
            x = _first_fit(conf[i], offsets, level)
            if x + blocks[i].height >= best:
                return          # this block cannot be placed low enough in any completion
            children.append((x, -blocks[i].height, i))
        children.sort()
        for x, _, i in children:
            if x + blocks[i].height >= best:
                continue
            # Of two consecutive blocks never alive together at the same level, one order suffices.
            if prev >= 0 and x == level and i < prev and prev not in together[i]:
                continue
            offsets[i] = x
            placed.append(i)
            mask |= 1 << i
            for t, v in bytes_at[i].items():
                todo_at[t - t0] -= v
            dfs(x, i, max(top, x + blocks[i].height))
            for t, v in bytes_at[i].items():
                todo_at[t - t0] += v
            placed.pop()
            mask &= ~(1 << i)
            offsets[i] = -1

    try:
        dfs(0, -1, 0)
        complete = True
    except _Budget:
        complete = False
    return best, best_offsets, steps, complete


@dataclass(frozen=True)
class Placement:
    buffers: tuple[Buffer, ...]     # with offsets, sorted by (offset, first, name)
    arena_bytes: int                # highest end offset (unaligned sizes)
    live_bound: int                 # aligned bytes alive together, the most at any op
    heuristic_bytes: int            # best first-fit order, before the search
    orders: dict                    # heuristic name -> its aligned arena (for tests, reports)
    status: str
    steps: int                      # search steps spent
    links: tuple = ()               # the in-place pins kept (InPlace)


def _heuristic(blocks, conf):
    """Best first fit over the orders of _ORDERS: (arena, offsets, order name, {name: arena})."""
    orders, best, best_offsets, best_name = {}, None, [], ""
    for name, key in _ORDERS:
        order = sorted(range(len(blocks)), key=lambda i: key(blocks[i], conf[i]))
        top, offs = _first_fit_order(blocks, conf, order)
        orders[name] = top
        if best is None or top < best:
            best, best_offsets, best_name = top, offs, name
    return best or 0, best_offsets, best_name, orders


def _choose_links(buffers: list[Buffer], links: tuple, align: int) -> tuple:
    """The in-place links worth pinning. Each pin saves bytes at its op, but a chain of pins
    drifts down by the sum of its gaps and can end taller than the arena it saved. Links are
    tried by bytes saved (then position) and kept when the heuristic arena does not grow;
    that set, all links and none are compared and the smallest arena wins (in that order)."""
    if not links:
        return ()
    size = {b.name: _align(b.size, align) for b in buffers}

    def arena(chosen) -> int:
        blocks = _blocks(buffers, chosen, align)
        return _heuristic(blocks, _conflicts(blocks))[0]

    def saved(l: InPlace) -> int:
        gap = _align(l.gap, align)
        return size[l.src] + size[l.dst] - _union_length(
            [(gap, gap + size[l.src]), (0, size[l.dst])])
    chosen: list[InPlace] = []
    current = arena(())
    for l in sorted(links, key=lambda l: (-saved(l), l.position)):
        value = arena(chosen + [l])
        if value <= current:
            chosen.append(l)
            current = value
    options = [(current, tuple(sorted(chosen, key=lambda l: l.position)))]
    if len(chosen) < len(links):
        options += [(arena(links), tuple(links)), (arena(()), ())]
    return min(options, key=lambda o: o[0])[1]


def place(buffers: list[Buffer], align: int = ALIGN, links=(), budget: int = BUDGET) -> Placement:
    """Offsets for `buffers` (see the module docstring); `links` are the usable `InPlace` pins."""
    buffers = list(buffers)
    links = _choose_links(buffers, tuple(links), align)
    blocks = _blocks(buffers, links, align)
    conf = _conflicts(blocks)
    t_bytes: dict[int, int] = {}
    for b in blocks:
        for t, v in b.bytes_at().items():
            t_bytes[t] = t_bytes.get(t, 0) + v
    live = max(t_bytes.values(), default=0)

    best, best_offsets, best_name, orders = _heuristic(blocks, conf)
    heuristic = best
    steps, complete = 0, True
    rect = all(len(b.parts) == 1 for b in blocks)
    if best > live:
        best, best_offsets, steps, complete = _search(blocks, conf, best, best_offsets, budget)
    if best == live:
        status = "optimal: equals the bytes alive at the busiest op"
    elif complete and rect:
        status = "optimal: exhaustive search"
    elif complete:
        status = "best found: search over first-fit orders completed (in-place blocks)"
    else:
        status = f"best found: search stopped after {steps} steps"
    if heuristic == best and best > live:
        status += f"; first fit by {best_name} was already this good"
    if links:
        status += f" (for the {len(links)} in-place pins kept)"

    out = []
    for blk in blocks:
        base = best_offsets[blk.index] if best_offsets else 0
        for i, rel in blk.buffers:
            out.append(replace(buffers[i], offset=base + rel))
    arena = max((b.offset + b.size for b in out), default=0)
    return Placement(tuple(sorted(out, key=lambda p: (p.offset, p.first, p.name))), arena, live,
                     heuristic, orders, status, steps, links)


# ---------------------------------------------------------------------------------------------
# The plan of a graph, its check, the liveness bound


def plan(g: Graph, alias: dict[int, int], scratch: dict[int, int],
         inplace: dict[int, tuple[int, int]] | None = None, align: int = ALIGN,
         io_in_arena: bool = False, budget: int = BUDGET) -> Plan:
    """The arena plan of `g`. `inplace`: op position -> (input index, gap), from the op hooks."""
    buffers, location, copies, links = lifetimes(g, alias, scratch, inplace, io_in_arena)
    pl = place(buffers, align, links, budget)
    state, state_bytes = state_layout(g, align)
    for name, offset, _, _ in state:
        location[name] = ("state", offset)
    scratch_at = {}
    for b in pl.buffers:
        if b.scratch:
            scratch_at[b.first] = b.offset
        for m in b.members:
            location[m] = ("arena", b.offset)
    return Plan(buffers=pl.buffers, arena_bytes=pl.arena_bytes, location=location,
                scratch=scratch_at, copies=copies, inplace=pl.links, live_bound=pl.live_bound,
                heuristic_bytes=pl.heuristic_bytes, status=pl.status,
                search_steps=pl.steps,
                requests=(dict(alias), dict(scratch), dict(inplace or {}), align, budget),
                state_bytes=state_bytes, state=state)


def state_layout(g: Graph, align: int = ALIGN):
    """((tensor, offset, bytes, reset byte) of every persistent tensor, the region's bytes)."""
    out, top = [], 0
    for name, t in g.tensors.items():
        if t.persistent and not t.is_const:
            out.append((name, top, t.nbytes, t.reset_byte))
            top += _align(t.nbytes, align)
    return tuple(out), top


def replan(p: Plan, g: Graph, io_in_arena: bool = False) -> Plan:
    """`g` planned again from the same requests, e.g. with its I/O in the arena (comparisons)."""
    alias, scratch, inplace, align, budget = p.requests
    return plan(g, alias, scratch, inplace, align, io_in_arena, budget)


def window_gap(win, pixels_per_step: int = 1, elem_bytes: int = 1) -> int:
    """The smallest in-place gap (`Kernel.inplace`), in bytes, of an NHWC windowed kernel
    writing its output in order; `elem_bytes` is the size of one input and one output value (1
    for int8, 2 for int16: the gap below is computed in values, then scaled).

    `win` has the fields of tcm_window (batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h,
    k_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w). The kernel reads the window of an
    output pixel (im2col CONV_2D, DEPTHWISE_CONV_2D with per-pixel accumulators) before writing
    that pixel's out_c bytes. The same gap serves kernels that write channel c of a pixel right
    after reading channel c of its window (the pools, in_c == out_c): the previous pixel's last
    byte already needed that much. `pixels_per_step`: the kernel reads the windows of that many
    consecutive output pixels of an image before writing them (e.g. 2 for tcm_conv_smlad.c).
    Output byte j lands on input byte j - gap, which must not be read after j is written:
    gap = the most, over j, of j + 1 - (the lowest input byte still to be read once j is
    written), or 0. Any larger gap is safe too (it lands lower, on bytes already done with).
    """
    in_row, in_img = win.in_w * win.in_c, win.in_h * win.in_w * win.in_c
    inf = float("inf")
    lows = []                  # lowest input byte each output pixel reads, in output order
    for b in range(win.batches):
        for oy in range(win.out_h):
            ys = [y for y in (oy * win.stride_h - win.pad_h + i * win.dil_h for i in range(win.k_h))
                  if 0 <= y < win.in_h]
            for ox in range(win.out_w):
                xs = [x for x in (ox * win.stride_w - win.pad_w + i * win.dil_w
                                  for i in range(win.k_w)) if 0 <= x < win.in_w]
                lows.append(b * in_img + ys[0] * in_row + xs[0] * win.in_c if ys and xs else inf)
    per_image = win.out_h * win.out_w
    step = max(1, pixels_per_step)
    gap, later = 0, inf        # later: lowest input byte read by the pixels after q
    for q in range(len(lows) - 1, -1, -1):
        if (q % per_image) % step == step - 1 or q % per_image == per_image - 1:
            gap = max(gap, (q + 1) * win.out_c - later)     # q ends a step: its writes happen
        later = min(later, lows[q])
    return int(gap) * elem_bytes


def check_no_overlap(p: Plan) -> None:
    """Raise AssertionError if two buffers alive at the same time share a byte (a planner bug),
    except an in-place output placed at least its gap below the input that dies there."""
    pins = {(l.src, l.dst): l for l in p.inplace}
    bs = p.buffers
    for i, a in enumerate(bs):
        if a.offset < 0 or a.offset + a.size > p.arena_bytes:
            raise AssertionError(f"buffer {a.name} lies outside the arena")
        for b in bs[i + 1:]:
            if not (a.first <= b.last and b.first <= a.last and
                    a.offset < b.offset + b.size and b.offset < a.offset + a.size):
                continue
            for src, dst in ((a, b), (b, a)):
                pin = pins.get((src.name, dst.name))
                if pin and src.last == pin.position == dst.first and \
                        dst.offset <= src.offset - pin.gap:
                    break
            else:
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
