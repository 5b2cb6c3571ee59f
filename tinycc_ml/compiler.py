"""The pipeline: load -> passes -> select kernels -> plan the arena -> emit -> render.

Each step is a value handed to the next: the prepared graph, one kernel `Choice` per layer
(passes/select.py), the arena `Plan` (planner.py), the emitted layers and the files
(backends/render.py). Writing the output folder is backends/output.py (`write`, re-exported
here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import planner
from .backends.cnames import sanitize
from .backends.output import write  # noqa: F401  (its home is backends/output.py)
from .backends.render import LayerInfo, emit_layers, model_files, const_bytes
from .backends.targets import TARGETS
from .errors import CompileError
from .frontends import load
from .ir import Graph
from .ops.base import Choice, Context
from .passes.check import check
from .passes.dilate import dilate
from .passes.float_island import float_island
from .passes.fold import fold
from .passes.prepare import prepare
from .passes.channels import drop_dead_channels
from .passes.tile import chains, tile
from .passes.tradeoff import fit, smallest_arena
from .passes.shapes import infer_shapes
from .passes.validate import validate

KERNELS = ("portable", "cmsis-nn")
OPTIMIZE = ("speed", "ram")
SPARSITY = ("auto", "off")

__all__ = ["Compiled", "LayerInfo", "Options", "compile_file", "compile_graph", "pipeline",
           "plan_arena", "write"]


@dataclass(frozen=True)
class Options:
    name: str = "model"
    target: str = "generic"
    kernels: str = "portable"
    caller_arena: bool = False        # NAME_invoke(..., void *arena_buffer) instead of a static array
    max_arena: int | None = None      # the fastest kernels whose plan fits (passes/tradeoff.py)
    optimize: str = "speed"           # or "ram": the smallest-arena kernels (--optimize)
    max_flash: int | None = None
    # op kinds whose CMSIS-NN call is used although it is NOT bit-exact with BUILTIN_REF (the
    # user's explicit opt-in, e.g. ("FULLY_CONNECTED",) from --cmsis-nn-inexact-fc)
    cmsis_nn_inexact: tuple[str, ...] = ()
    # the C symbol of an arena several models of one output share (--shared-arena; defined in
    # SYMBOL.c by backends/output.py), instead of NAME's own static array
    shared_arena: str | None = None
    # ONNX only (frontends/onnx.py): fixed input shapes (--shape), the I/O layout (--io-layout)
    onnx_shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    io_layout: str = "nchw"
    ort_reference: str = "x86"        # the onnxruntime session to equal (frontends/onnx.py)
    # 'auto': the sparse kernels of pruned layers where ops/_sparse.py says they pay; 'off'
    sparsity: str = "auto"

    def context(self) -> Context:
        """What kernel selection honours."""
        if self.target not in TARGETS:
            raise CompileError(f"unknown target '{self.target}'; known: {', '.join(TARGETS)}")
        if self.kernels not in KERNELS:
            raise CompileError(f"unknown kernels '{self.kernels}'; known: {', '.join(KERNELS)}")
        if self.optimize not in OPTIMIZE:
            raise CompileError(f"unknown --optimize '{self.optimize}'; known: {', '.join(OPTIMIZE)}")
        if self.sparsity not in SPARSITY:
            raise CompileError(f"unknown sparsity '{self.sparsity}'; known: {', '.join(SPARSITY)}")
        return Context(self.target, self.kernels, tuple(self.cmsis_nn_inexact), self.sparsity)


@dataclass
class Compiled:
    graph: Graph
    plan: planner.Plan
    options: Options
    layers: list[LayerInfo]
    files: dict[str, str]             # file name -> text (the model) ...
    runtime_files: list[str]          # ... and runtime_c files to copy
    const_bytes: int
    lower_bound: int
    lower_bound_no_io: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    choices: tuple[Choice, ...] = ()  # the kernel chosen for each layer (passes/select.py)


def pipeline(g: Graph, sparsity: str = "off") -> Graph:
    """The passes; with sparsity 'auto' also passes/channels.py (pruned filters removed)."""
    steps = (fold, float_island, validate, infer_shapes, dilate, check)
    if sparsity == "auto":
        steps += (drop_dead_channels,)
    for step in steps + (prepare,):
        g = step(g)
    return g


def plan_arena(g: Graph, choices: tuple[Choice, ...], check: bool = True,
               budget: int = planner.BUDGET) -> planner.Plan:
    """The arena plan from the chosen kernels' scratch and in-place declarations."""
    alias = {pos: c.alias for pos, c in enumerate(choices) if c.alias is not None}
    scratch = {pos: c.scratch for pos, c in enumerate(choices)}
    inplace = {pos: c.inplace for pos, c in enumerate(choices) if c.inplace is not None}
    plan = planner.plan(g, alias, scratch, inplace, budget=budget)
    if check:
        planner.check_no_overlap(plan)
    return plan


def arena_bytes(g: Graph, choices: tuple[Choice, ...]) -> int:
    """The arena of a set of choices (what passes/tradeoff.py compares), with a short search
    (EXPLORE steps): the final plan, searched longer, is never larger."""
    return plan_arena(g, choices, check=False, budget=EXPLORE).arena_bytes


EXPLORE = 20_000


def compile_graph(g: Graph, opts: Options) -> Compiled:
    t0 = time.perf_counter()
    ctx = opts.context()
    g = pipeline(g, sparsity=opts.sparsity)
    choices, smallest = fit(g, ctx, arena_bytes, opts.optimize, opts.max_arena)
    if opts.optimize == "ram" or smallest is not None:
        g, choices, smallest = _tiled_if_smaller(g, ctx, opts, choices, smallest)
    if smallest is not None:
        raise g.error(None, f"the arena needs {smallest} bytes even with the smallest-scratch "
                            f"kernels, {smallest - opts.max_arena} more than --max-arena "
                            f"{opts.max_arena}")
    plan = plan_arena(g, choices)
    emitted = emit_layers(g, choices, plan, sanitize(opts.name, 32), opts.target, opts.kernels)
    files, runtime = model_files(g, plan, emitted, target=opts.target, kernels=opts.kernels,
                                 caller_arena=opts.caller_arena, shared_arena=opts.shared_arena)
    compiled = Compiled(graph=g, plan=plan, options=opts, layers=emitted.layers, files=files,
                        runtime_files=runtime, const_bytes=const_bytes(emitted),
                        lower_bound=planner.lower_bound(g),
                        lower_bound_no_io=planner.lower_bound(g, include_io=False),
                        notes=cmsis_nn_notes(emitted.layers, choices, opts),
                        choices=choices)
    _check_limits(compiled)
    compiled.seconds = time.perf_counter() - t0
    return compiled


def tiled_graph(g: Graph, ctx: Context) -> Graph:
    """`g` with chains of its high-resolution layers tiled (passes/tile.py), chain by chain in
    execution order, each kept only where the ram end's plan gets smaller (`g` if none)."""
    def ram_arena(graph):
        return smallest_arena(graph, ctx, arena_bytes)
    kept: tuple[int, ...] = ()
    best = ram_arena(g)
    for i in chains(g):
        a = ram_arena(tile(g, kept + (i,)))
        if a < best:
            kept, best = kept + (i,), a
    return tile(g, kept) if kept else g


def _tiled_if_smaller(g: Graph, ctx: Context, opts: Options, choices, smallest):
    """The tiled graph (tiled_graph) and its choices for opts (None as `smallest` when they
    fit), or the untiled ones."""
    tg = tiled_graph(g, ctx)
    if tg is g:
        return g, choices, smallest
    t_choices, t_smallest = fit(tg, ctx, arena_bytes, opts.optimize, opts.max_arena)
    if t_smallest is None:
        return tg, t_choices, None
    return g, choices, min(smallest, t_smallest)


def cmsis_nn_notes(layers: list[LayerInfo], choices: tuple[Choice, ...],
                   opts: Options) -> list[str]:
    """The compile summary's CMSIS-NN lines, read from the kernel choices."""
    if opts.kernels != "cmsis-nn":
        return []
    kept = [(info, c) for info, c in zip(layers, choices) if info.backend == "portable"]
    n_cmsis = sum(1 for info in layers if info.backend == "cmsis-nn")
    notes = [f"CMSIS-NN: {n_cmsis} layers call CMSIS-NN, {len(kept)} keep tinycc-ml's kernel"]
    for info, c in kept:
        why = [r for k, r in c.passed_over if k.backend == "cmsis-nn"]
        notes.append(f"op {info.op_index} ({info.kind}) keeps tinycc-ml's kernel: "
                     + (why[0] if why else "tinycc-ml does not call CMSIS-NN for this op"))
    notes += [f"op {info.op_index} ({info.kind}) calls CMSIS-NN, NOT bit-exact (opted in): "
              f"{c.kernel.inexact}" for info, c in zip(layers, choices) if c.inexact]
    return notes


def _check_limits(c: Compiled) -> None:
    o = c.options
    if o.max_arena is not None and c.plan.arena_bytes > o.max_arena:
        raise c.graph.error(None, f"the arena needs {c.plan.arena_bytes} bytes, "
                                  f"{c.plan.arena_bytes - o.max_arena} more than --max-arena {o.max_arena}")
    if o.max_flash is not None and c.const_bytes > o.max_flash:
        raise c.graph.error(None, f"the constants need {c.const_bytes} bytes of flash, "
                                  f"{c.const_bytes - o.max_flash} more than --max-flash {o.max_flash}")


def compile_file(path: str | Path, opts: Options) -> Compiled:
    g = load(path, shapes=dict(opts.onnx_shapes), io_layout=opts.io_layout,
             ort_reference=opts.ort_reference) \
        if str(path).lower().endswith(".onnx") else load(path)
    try:
        return compile_graph(g, opts)
    except CompileError as e:
        raise e.with_source(g.source) from None
