"""The arena planner.

- Hand-made lifetimes with known optima, as TFLite Micro's greedy_memory_planner_test does
  (its own cases, where its greedy planner is not optimal, and the ad_autoencoder chain).
- Small graphs: branches, residuals, multi-input and multi-output ops, aliases, graph outputs
  read again, scratch, in-place pins (used only when the input dies there), the liveness bound.
- Hypothesis: random lifetimes (no overlap, never below the live bytes, never worse than any
  first-fit order, deterministic, optimal against exhaustive enumeration on small cases) and
  random graphs executed on a simulated arena (no tensor is clobbered before its last read).
- `window_gap` against a simulated kernel timeline, and against the real portable kernels.
- The shared models: NAME_ARENA_BYTES at most the liveness bound of ../shared/BASELINES.md.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinycc_ml import planner
from tinycc_ml.ir import Graph, Op, Tensor
from tinycc_ml.planner import Buffer, Plan, check_no_overlap, place
from tests.util import SHARED, assert_bitexact, int8_tflite, keras, write_model

# ---------------------------------------------------------------------------------------------
# Helpers, written independently of the planner


def buf(name, size, first, last):
    return Buffer(name=name, size=size, first=first, last=last, members=(name,))


def as_plan(pl) -> Plan:
    return Plan(buffers=pl.buffers, arena_bytes=pl.arena_bytes, inplace=pl.links)


def max_live(buffers) -> int:
    times = {t for b in buffers for t in range(b.first, b.last + 1)}
    return max((sum(b.size for b in buffers if b.first <= t <= b.last) for t in times), default=0)


def exhaustive_optimum(buffers) -> int:
    """Smallest arena over every integer offset assignment (align 1), by backtracking."""
    bs = sorted(buffers, key=lambda b: -b.size)
    best = [sum(b.size for b in bs) + 1]
    floor = max_live(bs)       # no assignment does better: stop there
    offs = [0] * len(bs)

    def rec(i, top):
        if top >= best[0] or best[0] == floor:
            return
        if i == len(bs):
            best[0] = top
            return
        b = bs[i]
        for x in range(0, best[0] - b.size):
            if all(not (b.first <= bs[j].last and bs[j].first <= b.last and
                        x < offs[j] + bs[j].size and offs[j] < x + b.size) for j in range(i)):
                offs[i] = x
                rec(i + 1, max(top, x + b.size))
    rec(0, 0)
    return best[0]


def make_graph(ops, inputs, outputs, sizes, consts=()):
    """ops: [(kind, inputs, outputs)]; sizes: tensor -> bytes (int8 vectors)."""
    tensors = {}
    for name, n in sizes.items():
        data = np.zeros(n, np.int8) if name in consts else None
        tensors[name] = Tensor(name=name, shape=(n,), dtype="int8", data=data)
    return Graph(source="t.tflite", tensors=tensors,
                 ops=tuple(Op(index=i, kind=k, name=outs[0], inputs=tuple(ins), outputs=tuple(outs))
                           for i, (k, ins, outs) in enumerate(ops)),
                 inputs=tuple(inputs), outputs=tuple(outputs))


def by_name(p: Plan) -> dict:
    return {b.name: b for b in p.buffers}


# ---------------------------------------------------------------------------------------------
# Hand-made lifetimes (TFLite Micro's greedy_memory_planner_test cases, our expected optima)


def test_tflm_basics():
    pl = place([buf("a", 10, 0, 1), buf("b", 20, 2, 3)], align=1)
    assert {b.name: b.offset for b in pl.buffers} == {"a": 0, "b": 0}
    assert pl.arena_bytes == 20


def test_tflm_medium_beats_its_greedy():
    """TFLM's greedy needs 90 bytes here; 80 are alive together at time 1, and 80 suffice."""
    bs = [buf("a", 10, 0, 1), buf("b", 20, 1, 2), buf("c", 30, 2, 3), buf("d", 40, 3, 4),
          buf("e", 50, 0, 1)]
    pl = place(bs, align=1)
    check_no_overlap(as_plan(pl))
    assert max_live(bs) == 80
    assert pl.arena_bytes == 80
    assert pl.orders["size"] == 90          # TFLM's order: largest first


def test_tflm_overlap_case():
    pl = place([buf("a", 100, 0, 1), buf("b", 50, 2, 3), buf("c", 20, 1, 2)], align=1)
    assert pl.arena_bytes == 120
    assert {b.name: b.offset for b in pl.buffers} == {"a": 0, "c": 100, "b": 0}


def test_tflm_person_detection_lifetimes():
    spec = [(9216, 0, 29), (3, 28, 29), (256, 27, 28), (2304, 26, 27), (2304, 25, 26),
            (2304, 24, 25), (1152, 23, 24), (4608, 22, 23), (4608, 21, 22), (4608, 20, 21),
            (4608, 19, 20), (4608, 18, 19), (4608, 17, 18), (4608, 16, 17), (4608, 15, 16),
            (4608, 14, 15), (4608, 13, 14), (4608, 12, 13), (2304, 11, 12), (9216, 10, 11),
            (9216, 9, 10), (9216, 8, 9), (4608, 7, 8), (18432, 6, 7), (18432, 5, 6),
            (18432, 4, 5), (9216, 3, 4), (36864, 2, 3), (18432, 1, 2), (18432, 0, 1)]
    bs = [buf(f"t{i}", *s) for i, s in enumerate(spec)]
    pl = place(bs, align=1)
    check_no_overlap(as_plan(pl))
    assert pl.arena_bytes == max_live(bs) == 64512
    assert pl.status.startswith("optimal")


def test_ad_autoencoder_chain_first_fit_by_size_loses_8_bytes():
    """The shape of ad_autoencoder's activations: 128-byte tensors around an 8-byte bottleneck.
    Largest-first first fit (the previous planner, TFLM's order) needs 264 bytes; 256 suffice."""
    sizes = [128, 128, 128, 128, 8, 128, 128, 128, 128]
    bs = [buf(f"t{i}", s, i, i + 1) for i, s in enumerate(sizes)]
    pl = place(bs)
    check_no_overlap(as_plan(pl))
    assert pl.orders["size"] == 264
    assert pl.arena_bytes == 256 == max_live(bs)


def test_optimum_that_needs_the_search():
    """Every first-fit order of the heuristics needs 20 bytes or more; exhaustive enumeration
    finds 18, and so must the planner."""
    spec = [(6, 3, 4), (4, 1, 3), (4, 1, 3), (7, 0, 0), (4, 1, 3), (5, 0, 2)]
    bs = [buf(f"b{i}", *s) for i, s in enumerate(spec)]
    pl = place(bs, align=1)
    assert min(pl.orders.values()) == 20
    assert pl.arena_bytes == exhaustive_optimum(bs) == 18
    assert pl.status.startswith("optimal")
    check_no_overlap(as_plan(pl))


def test_alignment():
    pl = place([buf("a", 5, 0, 1), buf("b", 3, 1, 2), buf("c", 7, 0, 2)], align=16)
    assert all(b.offset % 16 == 0 for b in pl.buffers)
    check_no_overlap(as_plan(pl))


def test_check_no_overlap_catches_a_collision():
    p = Plan(buffers=(Buffer("a", 8, 0, 1, ("a",), offset=0),
                      Buffer("b", 8, 1, 2, ("b",), offset=4)), arena_bytes=12)
    with pytest.raises(AssertionError, match="overlap"):
        check_no_overlap(p)
    # the same bytes at disjoint times are fine
    check_no_overlap(Plan(buffers=(Buffer("a", 8, 0, 1, ("a",), offset=0),
                                   Buffer("b", 8, 2, 3, ("b",), offset=0)), arena_bytes=8))


# ---------------------------------------------------------------------------------------------
# Graphs


def residual(add_inplace):
    """in -> a -> b -> c; d = ADD(a, c); out = f(d). Every tensor 100 bytes."""
    g = make_graph([("CONV", ["in"], ["a"]), ("CONV", ["a"], ["b"]), ("CONV", ["b"], ["c"]),
                    ("ADD", ["a", "c"], ["d"]), ("FC", ["d"], ["out"])],
                   ["in"], ["out"], {t: 100 for t in ("in", "a", "b", "c", "d", "out")})
    return g, planner.plan(g, {}, {}, {3: add_inplace} if add_inplace else None)


def test_residual_lifetimes_and_inplace_add():
    g, p = residual(None)
    bs = by_name(p)
    assert {n: (b.first, b.last) for n, b in bs.items()} == {
        "a": (0, 3), "b": (1, 2), "c": (2, 3), "d": (3, 4)}
    assert p.location["in"] == ("input", 0) and p.location["out"] == ("output", 0)
    assert p.arena_bytes == 300 and p.live_bytes(3) == 300
    g, p = residual((1, 0))                    # ADD writes over c, which dies there
    check_no_overlap(p)
    bs = by_name(p)
    assert [(l.position, l.src, l.dst, l.gap) for l in p.inplace] == [(3, "c", "d", 0)]
    assert bs["d"].offset == bs["c"].offset
    assert p.live_bytes(3) == 200
    assert p.arena_bytes == 300                 # op 2 still holds a, b, c


def test_inplace_refused_when_the_input_lives_on():
    g = make_graph([("CONV", ["in"], ["a"]), ("CONV", ["a"], ["c"]), ("ADD", ["a", "c"], ["d"]),
                    ("ADD", ["d", "a"], ["out"])], ["in"], ["out"],
                   {t: 64 for t in ("in", "a", "c", "d", "out")})
    p = planner.plan(g, {}, {}, {2: (0, 0)})    # a is read again by op 3
    assert p.inplace == ()
    p = planner.plan(g, {}, {}, {2: (1, 0)})    # c dies at op 2
    assert [l.src for l in p.inplace] == ["c"]
    check_no_overlap(p)


def test_inplace_refused_on_graph_inputs_outputs_and_shared_buffers():
    sizes = {t: 32 for t in ("in", "a", "r", "b", "out")}
    # the graph input belongs to the caller (const int8_t *)
    g = make_graph([("ADD", ["in", "in"], ["a"]), ("FC", ["a"], ["out"])], ["in"], ["out"], sizes)
    assert planner.plan(g, {}, {}, {0: (0, 0)}).inplace == ()
    # the output is the caller's buffer: nothing to save
    g = make_graph([("FC", ["in"], ["a"]), ("ADD", ["a", "a"], ["out"])], ["in"], ["out"], sizes)
    assert planner.plan(g, {}, {}, {1: (0, 0)}).inplace == ()
    # the other operand is a view of the same buffer (r = reshape(a)): not pinned
    g = make_graph([("FC", ["in"], ["a"]), ("RESHAPE", ["a"], ["r"]), ("ADD", ["a", "r"], ["b"]),
                    ("FC", ["b"], ["out"])], ["in"], ["out"], sizes)
    p = planner.plan(g, {1: 0}, {}, {2: (0, 0)})
    assert p.inplace == () and p.location["a"] == p.location["r"]
    check_no_overlap(p)


def test_inplace_gap_places_the_output_below_the_input():
    g = make_graph([("CONV", ["in"], ["a"]), ("DW", ["a"], ["b"]), ("FC", ["b"], ["out"])],
                   ["in"], ["out"], {"in": 40, "a": 100, "b": 100, "out": 8})
    p = planner.plan(g, {}, {}, {1: (0, 22)})    # gap 22 rounds up to 24 (align 4)
    bs = by_name(p)
    assert [(l.src, l.dst, l.gap) for l in p.inplace] == [("a", "b", 24)]
    assert bs["b"].offset == bs["a"].offset - 24
    assert p.arena_bytes == 124 and p.live_bytes(1) == 124
    check_no_overlap(p)
    # moving b up by 4 bytes breaks the pin's contract: the check must see it
    moved = Plan(buffers=tuple(replace(b, offset=b.offset + 4) if b.name == "b" else b
                               for b in p.buffers), arena_bytes=p.arena_bytes, inplace=p.inplace)
    with pytest.raises(AssertionError, match="overlap"):
        check_no_overlap(moved)


def test_pins_that_would_drift_are_dropped():
    """A chain of pins drifts down by its gaps; keeping every pin here would need more arena
    than keeping none, and the planner keeps the cheaper set."""
    n = 8
    names = ["in"] + [f"t{i}" for i in range(n)] + ["out"]
    ops = [("CONV", [names[i]], [names[i + 1]]) for i in range(n + 1)]
    sizes = {t: 100 for t in names}
    sizes["in"] = sizes["out"] = 4
    g = make_graph(ops, ["in"], ["out"], sizes)
    pins = {i: (0, 60) for i in range(1, n)}
    every = planner.place(*_lifetimes_buffers(g, pins), budget=0)
    assert planner.plan(g, {}, {}, pins).arena_bytes <= min(200, every.arena_bytes)


def _lifetimes_buffers(g, pins):
    buffers, _, _, links = planner.lifetimes(g, {}, {}, pins)
    return buffers, planner.ALIGN, links


def test_alias_extends_the_lifetime_and_copies_when_it_must():
    sizes = {t: 16 for t in ("in", "a", "r", "b", "out", "r2")}
    g = make_graph([("FC", ["in"], ["a"]), ("RESHAPE", ["a"], ["r"]), ("FC", ["a"], ["b"]),
                    ("ADD", ["r", "b"], ["out"])], ["in"], ["out"], sizes)
    p = planner.plan(g, {1: 0}, {}, None)
    bs = by_name(p)
    assert set(bs) == {"a", "b"} and bs["a"].members == ("a", "r")
    assert (bs["a"].first, bs["a"].last) == (0, 3)
    # graph input straight to graph output: two caller buffers, the reshape must copy
    g = make_graph([("RESHAPE", ["in"], ["out"])], ["in"], ["out"], sizes)
    p = planner.plan(g, {0: 0}, {}, None)
    assert p.copies == frozenset({0}) and p.buffers == ()


def test_graph_output_read_again_multi_output_dangling_and_scratch():
    sizes = {"in": 8, "o1": 12, "x": 20, "y": 24, "z": 28, "o2": 4}
    g = make_graph([("FC", ["in"], ["o1"]), ("SPLIT", ["o1"], ["x", "y"]), ("FC", ["x"], ["z"]),
                    ("FC", ["o1", "y"], ["o2"])], ["in"], ["o1", "o2"], sizes)
    p = planner.plan(g, {}, {2: 36}, None)
    bs = by_name(p)
    assert p.location["o1"] == ("output", 0) and "o1" not in bs
    assert (bs["x"].first, bs["x"].last) == (1, 2)
    assert (bs["y"].first, bs["y"].last) == (1, 3)
    assert (bs["z"].first, bs["z"].last) == (2, 2)            # never read: lives at its producer
    scr = bs["z:scratch"]
    assert scr.scratch and (scr.first, scr.last, scr.size) == (2, 2, 36)
    assert p.scratch == {2: scr.offset}
    assert p.arena_bytes == 20 + 24 + 28 + 36                  # all four alive at op 2
    check_no_overlap(p)


def test_lower_bound_definition():
    """BASELINES.md: bytes of the non-constant tensors alive at each op, graph I/O included."""
    sizes = {"in": 10, "w": 1000, "a": 20, "b": 30, "out": 5}
    g = make_graph([("FC", ["in", "w"], ["a"]), ("FC", ["a"], ["b"]), ("FC", ["b", "in"], ["out"])],
                   ["in"], ["out"], sizes, consts={"w"})
    # op 0: in, a = 30; op 1: in, a, b = 60; op 2: in, b, out = 45
    assert planner.lower_bound(g) == 60
    assert planner.lower_bound(g, include_io=False) == 50


def test_io_in_arena_plans_the_graph_io_too():
    g, p = residual(None)
    q = planner.replan(p, g, io_in_arena=True)
    assert q.location["in"][0] == "arena" and q.location["out"][0] == "arena"
    check_no_overlap(q)
    assert q.arena_bytes >= planner.lower_bound(g)


# ---------------------------------------------------------------------------------------------
# Hypothesis: random lifetimes


lifetimes = st.lists(st.tuples(st.integers(1, 300), st.integers(0, 12), st.integers(0, 4)),
                     min_size=0, max_size=14)


@settings(max_examples=150, deadline=None)
@given(spec=lifetimes, align=st.sampled_from([1, 4, 16]), seed=st.integers(0, 2**16))
def test_random_lifetimes(spec, align, seed):
    bs = [buf(f"b{i}", s, f, f + d) for i, (s, f, d) in enumerate(spec)]
    pl = place(bs, align=align, budget=100_000)
    check_no_overlap(as_plan(pl))
    assert sorted(b.name for b in pl.buffers) == sorted(b.name for b in bs)
    assert all(b.offset % align == 0 for b in pl.buffers)
    assert pl.arena_bytes >= max_live(bs)
    assert pl.arena_bytes <= min(pl.orders.values())           # never worse than first fit
    again = place(list(reversed(random.Random(seed).sample(bs, len(bs)))), align=align,
                  budget=100_000)
    assert again.buffers == pl.buffers                          # input order does not matter


small = st.lists(st.tuples(st.integers(1, 8), st.integers(0, 4), st.integers(0, 2)),
                 min_size=1, max_size=6)


@settings(max_examples=120, deadline=None)
@given(spec=small)
def test_small_cases_are_optimal(spec):
    bs = [buf(f"b{i}", s, f, f + d) for i, (s, f, d) in enumerate(spec)]
    pl = place(bs, align=1)
    assert pl.arena_bytes == exhaustive_optimum(bs)
    assert pl.status.startswith("optimal")


# ---------------------------------------------------------------------------------------------
# Hypothesis: random graphs run on a simulated arena


@st.composite
def graphs(draw):
    n_in = draw(st.integers(1, 2))
    names = [f"in{k}" for k in range(n_in)]
    sizes = {t: draw(st.integers(1, 48)) for t in names}
    ops, alias, scratch, inplace = [], {}, {}, {}
    for i in range(draw(st.integers(1, 9))):
        out = f"t{i}"
        if draw(st.booleans()) and i % 3 == 2:          # a view (RESHAPE)
            src = draw(st.sampled_from(names))
            ops.append(("RESHAPE", [src], [out]))
            sizes[out] = sizes[src]
            alias[i] = 0
        else:
            ins = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
            ops.append(("OP", ins, [out]))
            sizes[out] = draw(st.integers(1, 48))
            if draw(st.booleans()):
                inplace[i] = (draw(st.integers(0, len(ins) - 1)), draw(st.integers(0, 20)))
            scratch[i] = draw(st.sampled_from([0, 0, 4, 13, 40]))
        names.append(out)
    outs = sorted({names[-1]} | set(draw(st.lists(st.sampled_from(names[n_in:]), max_size=2))))
    g = make_graph(ops, names[:n_in], outs, sizes)
    return g, alias, scratch, inplace


def simulate(g: Graph, p: Plan, alias: dict, scratch: dict) -> None:
    """Run the graph on an arena of owner tags: every arena read must find its own bytes; an
    op's output and scratch must not overlap its inputs, except a pinned input by contract."""
    owner = [None] * p.arena_bytes
    group = {m: b.name for b in p.buffers for m in b.members}
    pins = {l.position: l for l in p.inplace}

    def span(t):
        loc = p.location.get(t)
        return (loc[1], loc[1] + g.tensor(t).nbytes) if loc and loc[0] == "arena" else None

    for pos, op in enumerate(g.ops):
        reads = [(t, span(t)) for t in op.inputs if span(t)]
        for t, (lo, hi) in reads:
            assert all(o == group[t] for o in owner[lo:hi]), f"op {pos}: input {t} was overwritten"
        if pos in alias and pos not in p.copies:
            continue                                   # a view: no bytes move
        pin = pins.get(pos)
        writes = [(group[t], span(t)) for t in op.outputs if span(t)]
        if pos in p.scratch:
            writes.append(("scratch", (p.scratch[pos], p.scratch[pos] + scratch[pos])))
        for who, (lo, hi) in writes:
            for t, (rlo, rhi) in reads:
                if lo < rhi and rlo < hi:
                    assert pin and who == pin.dst and group[t] == pin.src and \
                        by_name(p)[pin.dst].offset <= by_name(p)[pin.src].offset - pin.gap, \
                        f"op {pos}: {who} overlaps its input {t}"
        if len(writes) > 1:
            for i, (a, (alo, ahi)) in enumerate(writes):
                for b, (blo, bhi) in writes[i + 1:]:
                    assert not (alo < bhi and blo < ahi), f"op {pos}: {a} overlaps {b}"
        for who, (lo, hi) in writes:
            owner[lo:hi] = [who] * (hi - lo)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=graphs())
def test_random_graphs_run_correctly(case):
    g, alias, scratch, inplace = case
    p = planner.plan(g, alias, scratch, inplace)
    check_no_overlap(p)
    simulate(g, p, alias, scratch)
    for l in p.inplace:                               # pins only where the input dies
        src, dst = by_name(p)[l.src], by_name(p)[l.dst]
        assert src.last == l.position == dst.first
    assert planner.plan(g, alias, scratch, inplace) == p          # deterministic
    if not alias and not inplace and not any(scratch.values()):
        assert p.arena_bytes >= planner.lower_bound(g, include_io=False)


# ---------------------------------------------------------------------------------------------
# window_gap


def simulated_gap(w, interleaved: bool, step: int = 1) -> int:
    """Smallest gap for the kernel's access timeline, found by trying every gap. The kernel
    reads the windows of `step` consecutive pixels of an image, then writes them (or, if
    interleaved, writes channel c of a pixel right after reading channel c of its window)."""
    t, last_read, write = 0, {}, {}
    for b in range(w.batches):
        pixels = [(oy, ox) for oy in range(w.out_h) for ox in range(w.out_w)]
        for g in range(0, len(pixels), step):
            pending = []
            for oy, ox in pixels[g:g + step]:
                taps = [(oy * w.stride_h - w.pad_h + i * w.dil_h,
                         ox * w.stride_w - w.pad_w + j * w.dil_w)
                        for i in range(w.k_h) for j in range(w.k_w)]
                taps = [(y, x) for y, x in taps if 0 <= y < w.in_h and 0 <= x < w.in_w]
                q = (b * w.out_h + oy) * w.out_w + ox
                at = lambda y, x, c: ((b * w.in_h + y) * w.in_w + x) * w.in_c + c  # noqa: E731
                if interleaved:
                    for c in range(w.out_c):
                        for y, x in taps:
                            last_read[at(y, x, c)] = t
                            t += 1
                        write[q * w.out_c + c] = t
                        t += 1
                else:
                    for y, x in taps:
                        for c in range(w.in_c):
                            last_read[at(y, x, c)] = t
                            t += 1
                    pending += [q * w.out_c + c for c in range(w.out_c)]
            for j in pending:
                write[j] = t
                t += 1
    gap = 0
    while not all(last_read.get(j - gap, -1) < tw for j, tw in write.items()):
        gap += 1
    return gap


@st.composite
def windows(draw):
    from types import SimpleNamespace
    interleaved = draw(st.booleans())
    k_h, k_w = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    s_h, s_w = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    d_h = draw(st.integers(1, 2))
    h, w, c = draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 4))
    p_h, p_w = draw(st.integers(0, 2)), draw(st.integers(0, 1))
    oh = max(1, (h + 2 * p_h - (k_h - 1) * d_h - 1) // s_h + 1)
    ow = max(1, (w + 2 * p_w - (k_w - 1) - 1) // s_w + 1)
    oc = c if interleaved else draw(st.integers(1, 5))
    return SimpleNamespace(batches=draw(st.integers(1, 2)), in_h=h, in_w=w, in_c=c, out_h=oh,
                           out_w=ow, out_c=oc, k_h=k_h, k_w=k_w, stride_h=s_h, stride_w=s_w,
                           dil_h=d_h, dil_w=1, pad_h=p_h, pad_w=p_w), interleaved


@settings(max_examples=200, deadline=None)
@given(case=windows(), step=st.sampled_from([1, 1, 2, 3]))
def test_window_gap_matches_the_kernel_timeline(case, step):
    w, interleaved = case
    if interleaved:
        step = 1
    assert planner.window_gap(w, step) == simulated_gap(w, interleaved, step)


def test_window_gap_known_values():
    from types import SimpleNamespace as NS
    common = dict(batches=1, k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, pad_h=1,
                  pad_w=1)
    # kws's depthwise layers: C * p * (W + 1) = 64 * 6
    kws = NS(in_h=25, in_w=5, in_c=64, out_h=25, out_w=5, out_c=64, **common)
    assert planner.window_gap(kws) == 384
    # a 1x1 convolution that keeps the channel count works exactly in place
    one = dict(common, k_h=1, k_w=1, pad_h=0, pad_w=0)
    assert planner.window_gap(NS(in_h=25, in_w=5, in_c=64, out_h=25, out_w=5, out_c=64, **one)) == 0
    # ... and one that doubles it ends one input pixel past its input's end (16 pixels of
    # 8 -> 16 bytes; the last input pixel is read before the last output pixel is written)
    assert planner.window_gap(NS(in_h=4, in_w=4, in_c=8, out_h=4, out_w=4, out_c=16, **one)) == 120


def test_window_gap_is_safe_for_the_portable_kernels(tmp_path, monkeypatch):
    """Declare in place with window_gap on CONV_2D, DEPTHWISE_CONV_2D and AVERAGE_POOL_2D (test
    only) and check the generated C is still bit-exact with TFLite: the gap matches the real
    kernels' loop order."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.ops.base import _REGISTRY, supported_kinds
    supported_kinds()
    for kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D"):
        for kernel in _REGISTRY[kind].kernels:
            if kernel.backend == "portable":
                monkeypatch.setattr(type(kernel), "inplace", lambda self, layer, decision:
                                    (0, planner.window_gap(layer.params.win)))

    def build():
        k = keras()
        x = inp = k.Input((9, 7, 6))
        x = k.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = k.layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
        x = k.layers.Conv2D(8, 1, activation="relu")(x)
        x = k.layers.DepthwiseConv2D(3, strides=2, padding="same")(x)
        x = k.layers.Conv2D(16, 1)(x)
        x = k.layers.AveragePooling2D(2, padding="same")(x)
        x = k.layers.Conv2D(4, 3, padding="same")(x)
        return k.Model(inp, x)
    path = write_model(int8_tflite(build, [(9, 7, 6)], n_calib=8), tmp_path)
    c = compile_file(path, Options(name="m"))
    gaps = [l.gap for l in c.plan.inplace]
    assert len(gaps) >= 4 and any(gaps), gaps
    check_no_overlap(c.plan)
    assert_bitexact(path, n=8)


# ---------------------------------------------------------------------------------------------
# Compiled models


def test_ad_autoencoder_plan(shared_models):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.frontends import load
    path = shared_models / "ad_autoencoder_int8.tflite"
    c = compile_file(path, Options(name="ad"))
    check_no_overlap(c.plan)
    assert c.plan.arena_bytes <= c.lower_bound == 768            # BASELINES.md's bound
    assert c.plan.status.startswith("optimal")
    h = c.files["ad.h"]
    assert re.search(r"#define AD_ARENA_BYTES (\d+)u", h).group(1) == str(c.plan.arena_bytes)
    # the activations alone (no scratch): 256 bytes, where largest-first first fit needed 264
    g = load(path)
    p = planner.plan(g, {}, {}, None)
    assert p.arena_bytes == 256 == planner.lower_bound(g, include_io=False)


def test_inplace_add_end_to_end(tmp_path):
    """ADD declares an in-place operand; the planner pins it when that operand dies, and the C
    is bit-exact with TFLite."""
    from tinycc_ml.compiler import Options, compile_file

    def build():
        k = keras()
        inp = k.Input((24,))
        a = k.layers.Dense(32, activation="relu")(inp)
        b = k.layers.Dense(32)(a)
        c = k.layers.Dense(32)(b)
        x = k.layers.Add()([b, c])
        return k.Model(inp, k.layers.Dense(8)(x))
    path = write_model(int8_tflite(build, [(24,)], n_calib=8), tmp_path)
    comp = compile_file(path, Options(name="m"))
    add = next(i for i, op in enumerate(comp.graph.ops) if op.kind == "ADD")
    assert [l.position for l in comp.plan.inplace] == [add]
    check_no_overlap(comp.plan)
    assert_bitexact(path, n=10)


@pytest.mark.parametrize("model", SHARED)
def test_shared_model_arena_within_liveness_bound(model, shared_models):
    """NAME_ARENA_BYTES (scratch included) is at most BASELINES.md's liveness bound."""
    from tinycc_ml.compiler import Options, compile_file
    c = compile_file(shared_models / f"{model}.tflite", Options(name="m"))
    check_no_overlap(c.plan)
    arena, bound = c.plan.arena_bytes, c.lower_bound
    assert arena <= bound, (f"{model}: arena {arena} B > liveness bound {bound} B; placement: "
                            f"{c.plan.status}; most bytes alive at a layer: {c.plan.live_bound}")
