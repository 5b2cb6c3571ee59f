"""The pipeline: load -> check -> prepare -> plan -> emit. Writing the output folder is
backends/output.py (`write`, re-exported here)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from . import __version__, planner
from ._paths import runtime_dir, templates_dir
from .backends.cnames import Namer, comment_text, io_stem, layer_stem, sanitize
from .backends.emit import ConstTable, LayerEmitter, c_literal
from .backends.output import write  # noqa: F401  (its home is backends/output.py)
from .backends.targets import TARGETS
from .errors import CompileError
from .frontends import load
from .ir import Graph
from .ops.base import lookup
from .passes.check import check
from .passes.dilate import dilate
from .passes.fold import fold
from .passes.shapes import infer_shapes
from .passes.validate import validate
from .passes.prepare import prepare

KERNELS = ("portable", "cmsis-nn")


@dataclass(frozen=True)
class Options:
    name: str = "model"
    target: str = "generic"
    kernels: str = "portable"
    caller_arena: bool = False        # NAME_invoke(..., void *arena_buffer) instead of a static array
    max_arena: int | None = None
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


@dataclass(frozen=True)
class LayerInfo:
    position: int
    op_index: int
    kind: str
    name: str
    stem: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    macs: int
    weight_bytes: int
    scratch_bytes: int
    describe: str
    backend: str                      # 'portable', 'cmsis-nn' or '' (no code: aliased)


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


def pipeline(g: Graph) -> Graph:
    for step in (fold, validate, infer_shapes, dilate, check, prepare):
        g = step(g)
    return g


def _shape(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _fmt_macs(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f} M MACs"
    if n >= 1000:
        return f"{n / 1e3:.1f} K MACs"
    return f"{n} MACs"


def compile_graph(g: Graph, opts: Options) -> Compiled:
    t0 = time.perf_counter()
    if opts.target not in TARGETS:
        raise CompileError(f"unknown target '{opts.target}'; known: {', '.join(TARGETS)}")
    if opts.kernels not in KERNELS:
        raise CompileError(f"unknown kernels '{opts.kernels}'; known: {', '.join(KERNELS)}")
    name = sanitize(opts.name, 32)
    NAME = name.upper()
    g = pipeline(g)
    defs = [lookup(op, g) for op in g.ops]
    alias = {}
    for pos, (op, d) in enumerate(zip(g.ops, defs)):
        k = d.alias_input(op, g)
        if k is not None:
            alias[pos] = k
    # With --kernels cmsis-nn a layer calls CMSIS-NN where its op says it is eligible.
    use_cmsis, inexact = {}, set()
    for pos, (op, d) in enumerate(zip(g.ops, defs)):
        if opts.kernels == "cmsis-nn":
            use_cmsis[pos] = d.cmsis_nn_scratch_bytes(op, g, opts.target)
            if use_cmsis[pos] is None and op.kind in opts.cmsis_nn_inexact:
                use_cmsis[pos] = d.cmsis_nn_inexact_scratch_bytes(op, g, opts.target)
                if use_cmsis[pos] is not None:
                    inexact.add(pos)
    scratch = {pos: (use_cmsis[pos] if use_cmsis.get(pos) is not None
                     else d.scratch_bytes(op, g, opts.target))
               for pos, (op, d) in enumerate(zip(g.ops, defs))}
    # In-place writes are declared for tinycc-ml's own kernels (their loop order is known);
    # a layer that calls CMSIS-NN never writes over its input.
    inplace = {pos: (k, d.inplace_gap(op, g)) for pos, (op, d) in enumerate(zip(g.ops, defs))
               if use_cmsis.get(pos) is None and (k := d.inplace_input(op, g)) is not None}
    plan = planner.plan(g, alias, scratch, inplace)
    planner.check_no_overlap(plan)

    # Names: function parameters after the model's tensor names; layers after op names.
    params = Namer(reserved={"arena", "arena_buffer", name})
    # One parameter per listed position: a graph may list a tensor twice among its inputs or
    # outputs (TFLite runs it). A repeated input is read from its last parameter (TFLite's
    # interpreter keeps the last value set); every output parameter is written (see io_copies).
    io_param = {(role, k): params.unique(io_stem(t, role, k))
                for role, names in (("input", g.inputs), ("output", g.outputs))
                for k, t in enumerate(names)}
    last_input = {t: k for k, t in enumerate(g.inputs)}
    pointers = {}
    for t, tensor in g.tensors.items():
        if tensor.is_const:
            continue
        where = plan.location.get(t)
        ctype = tensor.ctype
        if where is None:
            pointers[t] = "NULL"
        elif where[0] == "arena":
            pointers[t] = f"({ctype} *)(arena + {where[1]})"
        elif where[0] == "input":
            pointers[t] = io_param["input", last_input[g.inputs[where[1]]]]
        else:
            pointers[t] = io_param["output", where[1]]

    globals_ = Namer(reserved={f"{name}_invoke", f"{name}_arena", f"{name}_trace"})
    consts = ConstTable(globals_)
    layers_ctx, infos, sources = [], [], set()
    for pos, (op, d) in enumerate(zip(g.ops, defs)):
        stem = globals_.unique(f"{name}_l{pos}_{layer_stem(op.name)}")
        scr = plan.scratch.get(pos)
        em = LayerEmitter(g, op, pos, stem, consts, pointers,
                          f"(arena + {scr})" if scr is not None else None, opts.target, opts.kernels)
        call, backend = None, "portable"
        if use_cmsis.get(pos) is not None:
            call = (d.emit_cmsis_nn_inexact(op, g, em) if pos in inexact
                    else d.emit_cmsis_nn(op, g, em))
            if call is None:
                raise RuntimeError(f"op {op.index} declared CMSIS-NN scratch but emitted no call")
            backend = "cmsis-nn"
        if call is None:
            call = d.emit(op, g, em)
        if not call:
            backend = ""
        sources |= em.sources
        ins = [t for t in op.inputs if t is not None]
        act_in = [t for t in ins if not g.tensor(t).is_const]
        wbytes = sum(g.tensor(t).nbytes for t in ins if g.tensor(t).is_const)
        macs = d.macs(op, g)
        desc = d.describe(op, g)
        info = LayerInfo(pos, op.index, op.kind, op.name, stem, tuple(ins), tuple(op.outputs),
                         macs, wbytes, scratch.get(pos, 0), desc, backend)
        infos.append(info)

        def where(t):
            loc = plan.location.get(t)
            if loc is None:
                return "-"
            return f"@{loc[1]}" if loc[0] == "arena" else f"{loc[0]} {loc[1]}"
        shapes_in = ", ".join(_shape(g.tensor(t).shape) for t in act_in)
        shapes_out = ", ".join(_shape(g.tensor(t).shape) for t in op.outputs)
        detail = [x for x in (desc, _fmt_macs(macs) if macs else "",
                              "in " + ", ".join(where(t) for t in act_in) + "; out " +
                              ", ".join(where(t) for t in op.outputs),
                              f"scratch {scratch[pos]} B @{scr}" if scr is not None else "",
                              "CMSIS-NN" if backend == "cmsis-nn" else "",
                              "not bit-exact with TFLite" if pos in inexact else "",
                              "no code: output aliases input" if not call else "") if x]
        comment = (f"Layer {pos}: {op.kind} '{comment_text(op.name.split(';')[0])}' "
                   f"(op {op.index})  {shapes_in} -> {shapes_out}\n     * " + "; ".join(detail))
        trace = [f"{op.index}, {k}, {pointers[t]}, {g.tensor(t).nbytes}u"
                 for k, t in enumerate(op.outputs) if pointers.get(t, "NULL") != "NULL"]
        layers_ctx.append({"comment": comment, "call": call.replace("\n", "\n    ") if call else "",
                           "trace": trace})

    layers_ctx += _io_copies(g, io_param, pointers)
    const_bytes = sum(c.nbytes for c in consts.decls)
    lb = planner.lower_bound(g)
    lb_noio = planner.lower_bound(g, include_io=False)

    ios = []
    for role, names in (("input", g.inputs), ("output", g.outputs)):
        for k, t in enumerate(names):
            tensor = g.tensor(t)
            quantized = tensor.is_quantized and not tensor.per_channel and \
                tensor.dtype in ("int8", "uint8", "int16")
            scale, zp = tensor.qparams()
            info = np.iinfo(np.dtype(tensor.dtype)) if tensor.dtype != "float32" else None
            ios.append({"role": role, "index": k, "model_name": comment_text(t),
                        "param": io_param[role, k],
                        "macro": f"{NAME}_{role.upper()}{k}", "ctype": tensor.ctype,
                        "describe": tensor.describe(), "size": tensor.size,
                        "dims": len(tensor.shape),
                        "shape": ", ".join(str(d) for d in tensor.shape) or "1",
                        "quantized": quantized, "scale": c_literal(scale) if quantized else "",
                        "zero_point": zp, "qmin": int(info.min) if info else 0,
                        "qmax": int(info.max) if info else 0})
    inputs = [x for x in ios if x["role"] == "input"]
    outputs = [x for x in ios if x["role"] == "output"]
    sig = [f"const {x['ctype']} *{x['param']}" for x in inputs] + \
          [f"{x['ctype']} *{x['param']}" for x in outputs]
    if opts.caller_arena:
        sig.append("void *arena_buffer")
    null_check = " || ".join(f"{p.split('*')[-1]} == NULL" for p in sig)

    local = {f for f in sources if (runtime_dir() / f).exists()}
    external = sorted(sources - local)   # CMSIS-NN's header: the user's copy
    runtime = _runtime_closure(local)
    headers = [f for f in runtime if f.endswith(".h") and f != "tcm_math.h"
               and f.replace(".h", ".c") in runtime]
    headers += [f for f in sorted(local) if f.endswith(".h") and f not in headers and f != "tcm_math.h"]
    ctx = dict(version=__version__, source=comment_text(g.source), sha256=g.sha256, name=name,
               NAME=NAME,
               file_h=f"{name}.h", file_c=f"{name}.c", guard=f"{NAME}_H",
               n_ops=len(g.ops), weight_bytes=const_bytes, arena_bytes=plan.arena_bytes,
               arena_decl=max(plan.arena_bytes, 1), caller_arena=opts.caller_arena,
               inputs=inputs, outputs=outputs, signature=", ".join(sig), null_check=null_check,
               consts=[c.text for c in consts.decls], layers=layers_ctx, headers=headers,
               external_headers=external,
               target=opts.target, kernels=opts.kernels, shared_arena=opts.shared_arena,
               runtime_files=runtime)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    files = {f"{name}.h": env.get_template("model.h.j2").render(ctx),
             f"{name}.c": env.get_template("model.c.j2").render(ctx)}
    files = {k: re.sub(r"\n{3,}", "\n\n", v) for k, v in files.items()}

    notes = []
    if opts.kernels == "cmsis-nn":
        kept = [(info, d) for info, d in zip(infos, defs) if info.backend == "portable"]
        n_cmsis = sum(1 for info in infos if info.backend == "cmsis-nn")
        notes.append(f"CMSIS-NN: {n_cmsis} layers call CMSIS-NN, {len(kept)} keep tinycc-ml's kernel")
        notes += [f"op {info.op_index} ({info.kind}) keeps tinycc-ml's kernel: {d.cmsis_nn_note}"
                  for info, d in kept]
        notes += [f"op {info.op_index} ({info.kind}) calls CMSIS-NN, NOT bit-exact (opted in): "
                  f"{d.cmsis_nn_inexact_note}"
                  for info, d in zip(infos, defs) if info.position in inexact]
    compiled = Compiled(graph=g, plan=plan, options=opts, layers=infos, files=files,
                        runtime_files=runtime, const_bytes=const_bytes, lower_bound=lb,
                        lower_bound_no_io=lb_noio, notes=notes)
    _check_limits(compiled)
    compiled.seconds = time.perf_counter() - t0
    return compiled


def _io_copies(g: Graph, io_param, pointers) -> list[dict]:
    """Graph outputs whose parameter is not where their tensor was computed (a tensor listed
    twice among the outputs, or a graph input listed as an output): copied at the end."""
    out = []
    for k, t in enumerate(g.outputs):
        dst, src = io_param["output", k], pointers[t]
        if dst != src:
            out.append({"comment": f"Graph output {k} is '{comment_text(t)}', computed in "
                                   f"{src}: copied", "trace": [],
                        "call": f"memcpy({dst}, {src}, {g.tensor(t).nbytes}u);"})
    return out


def _check_limits(c: Compiled) -> None:
    o = c.options
    if o.max_arena is not None and c.plan.arena_bytes > o.max_arena:
        raise c.graph.error(None, f"the arena needs {c.plan.arena_bytes} bytes, "
                                  f"{c.plan.arena_bytes - o.max_arena} more than --max-arena {o.max_arena}")
    if o.max_flash is not None and c.const_bytes > o.max_flash:
        raise c.graph.error(None, f"the constants need {c.const_bytes} bytes of flash, "
                                  f"{c.const_bytes - o.max_flash} more than --max-flash {o.max_flash}")


_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _runtime_closure(sources: set[str]) -> list[str]:
    """The runtime files the model needs: each used .c, its .h, and every local #include."""
    root = runtime_dir()
    todo = {"tcm_math.h"} | set(sources)
    for s in list(sources):
        if s.endswith(".c") and (root / s.replace(".c", ".h")).exists():
            todo.add(s.replace(".c", ".h"))
    done: set[str] = set()
    while todo:
        f = todo.pop()
        if f in done:
            continue
        path = root / f
        if not path.exists():
            raise FileNotFoundError(f"runtime file {f} is missing from {root}")
        done.add(f)
        todo |= set(_INCLUDE.findall(path.read_text())) - done
    return sorted(done)


def compile_file(path: str | Path, opts: Options) -> Compiled:
    g = load(path, shapes=dict(opts.onnx_shapes), io_layout=opts.io_layout) \
        if str(path).lower().endswith(".onnx") else load(path)
    try:
        return compile_graph(g, opts)
    except CompileError as e:
        raise e.with_source(g.source) from None
