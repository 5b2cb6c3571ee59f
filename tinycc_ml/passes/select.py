"""Kernel selection: one `Choice` per layer, made once, before planning and emission.

Each op lists its kernels most specialised first (ops/base.py `OpDef.kernels`); the first that
can run the layer is chosen, and the ones tried before it are recorded with their reasons
(`inspect` prints them; the compile summary's CMSIS-NN notes are read from them). Selection
itself passes over a kernel that the options exclude:
- a CMSIS-NN kernel unless `--kernels cmsis-nn`;
- a kernel that is not bit-exact with the reference unless the user opted in for that op kind
  (`--cmsis-nn-inexact-fc`), the opt-in being the user's acceptance of its other arithmetic;
- a kernel that does not implement the layer's requantization form (`Layer.form`);
- for a layer with int16 activations, a kernel not written for them (`Kernel.int16`);
then asks the kernel (`Kernel.why_not`: target, shapes, weight values). The chosen kernel's
data-dependent decision (`Kernel.decide`), scratch and in-place declaration are stored in the
choice; nothing downstream asks the kernels again.

`select` is the speed end. `select_all` gives every kernel that can run a layer, for
passes/tradeoff.py (--max-arena, --optimize ram), which picks among them by scratch, arena and
the kernels' speed estimates.
"""

from __future__ import annotations

from ..ir import Graph
from ..ops.base import CORES, Choice, Context, Kernel, Layer, lookup


def select(g: Graph, ctx: Context) -> tuple[Choice, ...]:
    return tuple(select_layer(Layer(op, g), ctx) for op in g.ops)


def select_layer(layer: Layer, ctx: Context) -> Choice:
    passed: list[tuple[Kernel, str]] = []
    for kernel in lookup(layer.op, layer.g).kernels:
        reason = why_not(kernel, layer, ctx)
        if reason is not None:
            passed.append((kernel, reason))
            continue
        return _choice(kernel, layer, ctx, tuple(passed))
    # every op's last kernel takes every layer check() accepted
    raise RuntimeError(f"op {layer.op.index} ({layer.op.kind}): no kernel: {passed}")


def select_all(layer: Layer, ctx: Context) -> tuple[Choice, ...]:
    """Every kernel that can run the layer, as one Choice each, in the op's order (the trade-off
    between RAM and speed picks among them: passes/tradeoff.py)."""
    passed: list[tuple[Kernel, str]] = []
    out = []
    for kernel in lookup(layer.op, layer.g).kernels:
        reason = why_not(kernel, layer, ctx)
        if reason is not None:
            passed.append((kernel, reason))
        else:
            out.append(_choice(kernel, layer, ctx, tuple(passed)))
    return tuple(out)


def _choice(kernel: Kernel, layer: Layer, ctx: Context, passed) -> Choice:
    decision = kernel.decide(layer, ctx)
    opdef = lookup(layer.op, layer.g)
    return Choice(layer=layer, opdef=opdef, kernel=kernel, decision=decision,
                  scratch=kernel.scratch_bytes(layer, ctx, decision),
                  inplace=kernel.inplace(layer, decision),
                  alias=opdef.alias_input(layer.op, layer.g),
                  passed_over=passed)


def why_not(kernel: Kernel, layer: Layer, ctx: Context) -> str | None:
    if kernel.backend == "cmsis-nn" and ctx.kernels != "cmsis-nn":
        return f"CMSIS-NN not requested (--kernels {ctx.kernels})"
    if layer.int16 and not kernel.int16:
        return "int8 activations only; the layer's are int16"
    if kernel.inexact:
        if layer.op.kind not in ctx.inexact:
            return f"{kernel.inexact}; kept out unless opted in ({kernel.opt_in})"
    elif layer.form is not None and layer.form not in kernel.forms:
        return (f"implements {', '.join(kernel.forms)} requantization, the layer needs "
                f"{layer.form}")
    if kernel.core and (reason := CORES[kernel.core](ctx)):
        return reason
    return kernel.why_not(layer, ctx)
