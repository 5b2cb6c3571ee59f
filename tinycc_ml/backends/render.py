"""From a planned graph and its kernel choices to the model's C text: names, layer code,
per-layer comments, the template context and the runtime files to copy.

`emit_layers` runs each layer's chosen kernel (`Choice.kernel.emit`, passes/select.py) with a
`LayerEmitter`; `model_files` renders templates/model.{h,c}.j2 from the result. Nothing here
chooses a kernel, and nothing here imports the op modules: the choices carry what it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jinja2
import numpy as np

from .. import __version__, planner
from .._paths import runtime_dir, templates_dir
from ..ir import Graph
from ..ops import _sparse
from ..ops.base import Choice, Layer, OwnKernel, lookup
from .calls import WIDTH, called_function, reflow, wrap
from .cnames import Namer, comment_text, io_stem, layer_stem
from .emit import ConstTable, LayerEmitter, c_literal


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
    kernel: str | None = None         # the C function the layer's code calls; None: no code
    passed_over: tuple[tuple[str, str], ...] = ()   # (kernel, reason), in selection order
    inexact: bool = False             # a kernel NOT bit-exact with TFLite (opted in)
    sparsity: str = ""                # weighted layers: zero fraction, form, bytes and MACs


@dataclass
class Emitted:
    """The model's code before templating."""
    name: str
    io_param: dict[tuple[str, int], str]   # ("input"|"output", position) -> C parameter name
    consts: ConstTable
    layers: list[LayerInfo] = field(default_factory=list)
    context: list[dict] = field(default_factory=list)     # per layer: comment, call, trace
    sources: set[str] = field(default_factory=set)


def io_params(g: Graph, name: str) -> dict[tuple[str, int], str]:
    """Function parameters after the model's tensor names. One parameter per listed position: a
    graph may list a tensor twice among its inputs or outputs (TFLite runs it). A repeated input
    is read from its last parameter (TFLite's interpreter keeps the last value set); every output
    parameter is written (see io_copies)."""
    params = Namer(reserved={"arena", "arena_buffer", name})
    return {(role, k): params.unique(io_stem(t, role, k))
            for role, names in (("input", g.inputs), ("output", g.outputs))
            for k, t in enumerate(names)}


def pointers(g: Graph, plan: planner.Plan,
             io_param: dict[tuple[str, int], str]) -> dict[str, str]:
    """C pointer expression of every activation tensor: arena offset or caller's buffer."""
    last_input = {t: k for k, t in enumerate(g.inputs)}
    out = {}
    for t, tensor in g.tensors.items():
        if tensor.is_const:
            continue
        where = plan.location.get(t)
        if where is None:
            out[t] = "NULL"
        elif where[0] in ("arena", "state"):
            out[t] = f"({tensor.ctype} *)({where[0]} + {where[1]})"
        elif where[0] == "input":
            out[t] = io_param["input", last_input[g.inputs[where[1]]]]
        else:
            out[t] = io_param["output", where[1]]
    return out


def emit_layers(g: Graph, choices: tuple, plan: planner.Plan, name: str,
                target: str, kernels: str) -> Emitted:
    io_param = io_params(g, name)
    ptrs = pointers(g, plan, io_param)
    globals_ = Namer(reserved={f"{name}_invoke", f"{name}_arena", f"{name}_trace",
                               f"{name}_state", f"{name}_reset", f"{name}_state_ready"})
    out = Emitted(name=name, io_param=io_param, consts=ConstTable(globals_))
    for pos, (op, choice) in enumerate(zip(g.ops, choices)):
        stem = globals_.unique(f"{name}_l{pos}_{layer_stem(op.name)}")
        scr = plan.scratch.get(pos)
        em = LayerEmitter(g, op, pos, stem, out.consts, ptrs,
                          f"(arena + {scr})" if scr is not None else None, target, kernels,
                          choice.scratch)
        code = reflow(choice.kernel.emit(choice.layer, em, choice.decision))
        out.sources |= em.sources
        info = layer_info(g, op, pos, stem, choice, code)
        out.layers.append(info)
        out.context.append({"comment": layer_comment(g, op, info, plan, scr),
                            "call": code.replace("\n", "\n    "),
                            "trace": [f"{op.index}, {k}, {ptrs[t]}, {g.tensor(t).nbytes}u"
                                      for k, t in enumerate(op.outputs)
                                      if ptrs.get(t, "NULL") != "NULL"]})
    out.context += io_copies(g, io_param, ptrs)
    return out


def io_copies(g: Graph, io_param: dict[tuple[str, int], str],
              ptrs: dict[str, str]) -> list[dict]:
    """Graph outputs whose parameter is not where their tensor was computed (a tensor listed
    twice among the outputs, or a graph input listed as an output): copied at the end."""
    out = []
    for k, t in enumerate(g.outputs):
        dst, src = io_param["output", k], ptrs[t]
        if dst != src:
            out.append({"comment": f"Graph output {k} is '{comment_text(t)}', computed in "
                                   f"{src}: copied", "trace": [],
                        "call": f"memcpy({dst}, {src}, {g.tensor(t).nbytes}u);"})
    return out


def layer_info(g: Graph, op, pos: int, stem: str, choice, code: str) -> LayerInfo:
    """What the summary and inspect say of the layer (`choice`: its ops.base.Choice)."""
    d = choice.opdef
    ins = tuple(t for t in op.inputs if t is not None)
    kernel = None
    if code:       # an op's own kernel (ops.base.OwnKernel) names no function: read its call
        kernel = choice.kernel.c_function or called_function(code)
    return LayerInfo(pos, op.index, op.kind, op.name, stem, ins, tuple(op.outputs),
                     d.macs(op, g), sum(g.tensor(t).nbytes for t in ins if g.tensor(t).is_const),
                     choice.scratch, d.describe(op, g), choice.backend if code else "",
                     kernel, tuple((k.name, why) for k, why in choice.passed_over),
                     choice.inexact, _sparse.summary(op, g, kernel, d.macs(op, g)))


def shape_text(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def fmt_macs(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f} M MACs"
    if n >= 1000:
        return f"{n / 1e3:.1f} K MACs"
    return f"{n} MACs"


def layer_comment(g: Graph, op, info: LayerInfo, plan: planner.Plan, scr: int | None) -> str:
    def where(t):
        loc = plan.location.get(t)
        if loc is None:
            return "-"
        return {"arena": f"@{loc[1]}", "state": f"state @{loc[1]}"}.get(loc[0],
                                                                      f"{loc[0]} {loc[1]}")
    act_in = [t for t in info.inputs if not g.tensor(t).is_const]
    shapes_in = ", ".join(shape_text(g.tensor(t).shape) for t in act_in)
    shapes_out = ", ".join(shape_text(g.tensor(t).shape) for t in op.outputs)
    detail = [x for x in (info.describe, fmt_macs(info.macs) if info.macs else "",
                          "in " + ", ".join(where(t) for t in act_in) + "; out " +
                          ", ".join(where(t) for t in op.outputs),
                          f"scratch {info.scratch_bytes} B @{scr}" if scr is not None else "",
                          "CMSIS-NN" if info.backend == "cmsis-nn" else "",
                          "not bit-exact with TFLite" if info.inexact else "",
                          info.sparsity,
                          "no code: output aliases input" if not info.backend else "") if x]
    head = wrap([f"Layer {info.position}: {op.kind} '{comment_text(op.name.split(';')[0])}' "
                 f"(op {op.index})", f"{shapes_in} -> {shapes_out}"],
                WIDTH - 3, "    /* ", "     * ")
    lines = head + wrap(detail, WIDTH - 3, "     * ", "     * ", sep="; ")
    return "\n".join(lines)[len("    /* "):]     # the template writes the first line's "/* "


def io_context(g: Graph, io_param: dict[tuple[str, int], str], NAME: str) -> list[dict]:
    """Per graph input and output: what the header's macros and the (de)quantizers need."""
    ios = []
    for role, names in (("input", g.inputs), ("output", g.outputs)):
        for k, t in enumerate(names):
            tensor = g.tensor(t)
            quantized = tensor.is_quantized and not tensor.per_channel and \
                tensor.dtype in ("int8", "uint8", "int16")
            scale, zp = tensor.qparams()
            info = np.iinfo(np.dtype(tensor.dtype)) if quantized else None   # bool: none
            ios.append({"role": role, "index": k, "model_name": comment_text(t),
                        "param": io_param[role, k],
                        "macro": f"{NAME}_{role.upper()}{k}", "ctype": tensor.ctype,
                        "describe": tensor.describe(), "size": tensor.size,
                        "dims": len(tensor.shape),
                        "shape": ", ".join(str(d) for d in tensor.shape) or "1",
                        "quantized": quantized, "scale": c_literal(scale) if quantized else "",
                        "zero_point": zp, "qmin": int(info.min) if info else 0,
                        "qmax": int(info.max) if info else 0,
                        # .onnx: onnxruntime's QuantizeLinear rounds half to even
                        "rne": g.meta.get("format") == "onnx"})
    return ios


def model_files(g: Graph, plan: planner.Plan, e: Emitted, *, target: str, kernels: str,
                caller_arena: bool,
                shared_arena: str | None = None) -> tuple[dict[str, str], list[str]]:
    """(file name -> text of NAME.h and NAME.c, the runtime_c files to copy)."""
    name, NAME = e.name, e.name.upper()
    ios = io_context(g, e.io_param, NAME)
    inputs = [x for x in ios if x["role"] == "input"]
    outputs = [x for x in ios if x["role"] == "output"]
    sig = [f"const {x['ctype']} *{x['param']}" for x in inputs] + \
          [f"{x['ctype']} *{x['param']}" for x in outputs]
    if caller_arena:
        sig.append("void *arena_buffer")
    local = {f for f in e.sources if (runtime_dir() / f).exists()}
    runtime = runtime_closure(local)
    headers = [f for f in runtime if f.endswith(".h") and f != "tcm_math.h"
               and f.replace(".h", ".c") in runtime]
    headers += [f for f in sorted(local) if f.endswith(".h") and f not in headers
                and f != "tcm_math.h"]
    build = ([f"Build: compile {name}.c"] + [f for f in runtime if f.endswith(".c")]
             + ([f"{shared_arena}.c"] if shared_arena else [])
             + ["with this folder on the include path (headers:", f"{name}.h"]
             + [f for f in runtime if f.endswith(".h")] + ["tcm_names.h)."])
    ctx = dict(version=__version__, build_lines=[x[3:] for x in wrap(build, WIDTH, " * ", " * ")], source=comment_text(g.source), sha256=g.sha256, name=name,
               NAME=NAME, file_h=f"{name}.h", file_c=f"{name}.c", guard=f"{NAME}_H",
               n_ops=len(g.ops), weight_bytes=const_bytes(e), arena_bytes=plan.arena_bytes,
               arena_decl=max(plan.arena_bytes, 1), caller_arena=caller_arena,
               inputs=inputs, outputs=outputs, signature=", ".join(sig),
               null_check=" || ".join(f"{p.split('*')[-1]} == NULL" for p in sig),
               consts=[c.text for c in e.consts.decls], layers=e.context, headers=headers,
               external_headers=sorted(e.sources - local),   # CMSIS-NN's header: the user's copy
               target=target, kernels=kernels, shared_arena=shared_arena,
               runtime_files=runtime, **state_context(g, plan, caller_arena))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    files = {f"{name}.h": env.get_template("model.h.j2").render(ctx),
             f"{name}.c": env.get_template("model.c.j2").render(ctx)}
    return {k: re.sub(r"\n{3,}", "\n\n", v) for k, v in files.items()}, runtime


def state_context(g: Graph, plan: planner.Plan, caller_arena: bool) -> dict:
    """What the templates need of the state region (planner.py, "State"): its bytes, where it
    lives (a static array, or the first bytes of the caller's arena, 16-byte rounded) and the
    runs of bytes NAME_reset() writes (offset, bytes, value, tensor), merged where adjacent."""
    runs: list[list] = []
    for t, offset, nbytes, byte in plan.state:
        end = offset + nbytes
        if runs and runs[-1][2] == byte and runs[-1][0] + runs[-1][1] >= offset:
            runs[-1][1] = end - runs[-1][0]
            runs[-1][3] += ", " + comment_text(t)
        else:
            runs.append([offset, nbytes, byte, comment_text(t)])
    head = (plan.state_bytes + 15) // 16 * 16 if caller_arena else 0
    return dict(state_bytes=plan.state_bytes, state_runs=runs, state_head=head,
                caller_arena_bytes=head + plan.arena_bytes)


def const_bytes(e: Emitted) -> int:
    return sum(c.nbytes for c in e.consts.decls)


_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def runtime_closure(sources: set[str]) -> list[str]:
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
