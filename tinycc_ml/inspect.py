"""`tinycc-ml inspect`: what each layer costs, where its tensors sit in the arena, and why the
arena has the size it has.

Printed: one row per layer (op, shapes, MACs, weight bytes, arena offsets of its tensors, bytes
alive in the arena during it, and with the caller's input/output buffers added), the layer(s)
at the peak with every buffer alive there, then the totals: flash, arena, arena + I/O, the
liveness bound of ../shared/BASELINES.md, and TensorFlow Lite Micro's smallest arena, measured
now by bisection in a child process when the `tflite-micro` package is installed (tinycc_ml/tflm.py:
a crash of TFLite Micro costs one line; `--no-tflm` skips it; nothing is cached).

`--plot FILE.png` draws the arena over the layers (matplotlib, Agg): one box per buffer, from
the layer that writes it to the last that reads it, at its offset; the peak is marked; below,
the bytes alive per layer against the liveness bound.

`--json FILE` writes the same data. Keys are stable (schema "tinycc-ml-inspect/1"); byte
counts are ints; positions are layer numbers in execution order:

    schema, model (file name), sha256, name (C name), target, kernels
    layers[]: position, op_index (in the model), kind, name, backend, describe,
        kernel (the C function the layer's code calls; null for a layer with no code),
        passed_over[] ([kernel, reason] for each kernel selection tried before it, in order),
        inputs[] / outputs[] (activation tensors): name, shape, dtype, bytes,
            where ("arena" | "state" | "input" | "output"), offset (arena, state) or null,
            index (I/O) or null
        macs, weight_bytes (constant inputs as stored in the model),
        sparsity (weighted layers: zero fraction, the form chosen, weight bytes and MACs
            before -> after; "" for other layers),
        scratch: {bytes, offset} or null, inplace: {input, gap} or null,
        live_arena_bytes (arena bytes in use during the layer),
        live_io_bytes (caller's input/output bytes alive, counted as BASELINES.md does)
    buffers[]: name, tensors[], bytes, offset, first, last, scratch (bool)
    inplace[]: position, input, src, dst, gap (buffer names; output placed gap bytes below)
    peak: arena_bytes, positions[], position (the first), kind, name,
        buffers[] (alive there: name, bytes, offset, first, last, scratch), io[] (name, role, bytes)
    totals: layers, macs, weight_bytes, flash_bytes (constants in NAME.c; code not counted),
        arena_bytes (== NAME_ARENA_BYTES), state_bytes (== NAME_STATE_BYTES, 0 without
        recurrent state), io_bytes, arena_plus_io_bytes,
        liveness_bound_bytes (graph I/O included), liveness_bound_no_io_bytes,
        arena_live_bound_bytes (most arena bytes alive at one layer), heuristic_arena_bytes,
        placement (how good the offsets are known to be), io_in_arena_bytes (this planner with
        the graph I/O inside the arena, as TFLite Micro counts), tflm_arena_bytes (int or
        null), tflm_note
    stack (inspect_model only): tinycc_ml.stackusage.stack_usage's dict (functions,
        worst_bytes, worst_path, ...) for the Cortex-M target, or null without the toolchain
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from . import planner
from .backends.render import shape_text
from .compiler import Compiled
from .tflm import measure as measure_tflm

SCHEMA = "tinycc-ml-inspect/1"


# ---------------------------------------------------------------------------------------------
# The data


def _io_alive(g) -> list[tuple[str, str, int, int, int]]:
    """(tensor, role, bytes, first, last) for the caller's buffers, as lower_bound counts them."""
    n = len(g.ops)
    last_read: dict[str, int] = {}
    produced: dict[str, int] = {}
    for pos, op in enumerate(g.ops):
        for t in op.inputs:
            if t is not None:
                last_read[t] = pos
        for t in op.outputs:
            produced.setdefault(t, pos)
    out, seen = [], set()
    for t in g.inputs:
        if t not in seen:
            seen.add(t)
            last = n if t in g.outputs else last_read.get(t, -1)
            out.append((t, "input", g.tensor(t).nbytes, -1, last))
    for t in g.outputs:
        if t not in seen:
            seen.add(t)
            out.append((t, "output", g.tensor(t).nbytes, produced.get(t, 0), n))
    return out


def _tensor_ref(g, plan, t: str) -> dict:
    tensor = g.tensor(t)
    loc = plan.location.get(t)
    ref = {"name": t, "shape": list(tensor.shape), "dtype": tensor.dtype, "bytes": tensor.nbytes,
           "where": None, "offset": None, "index": None}
    if loc is not None:
        ref["where"] = loc[0]
        ref["offset" if loc[0] in ("arena", "state") else "index"] = loc[1]
    return ref


def _buffer_dict(b: planner.Buffer) -> dict:
    return {"name": b.name, "tensors": list(b.members), "bytes": b.size, "offset": b.offset,
            "first": b.first, "last": b.last, "scratch": b.scratch}


def report(c: Compiled, model_path: str | Path | None = None, tflm: bool = True) -> dict:
    """Everything `inspect` prints, as the JSON document described in the module docstring."""
    g, plan = c.graph, c.plan
    io = _io_alive(g)
    pins = {p.position: p for p in plan.inplace}
    layers = []
    for info in c.layers:
        pos = info.position
        acts = [t for t in info.inputs if not g.tensor(t).is_const]
        pin = pins.get(pos)
        layers.append({
            "position": pos, "op_index": info.op_index, "kind": info.kind, "name": info.name,
            "backend": info.backend, "describe": info.describe, "kernel": info.kernel,
            "passed_over": [[k, why] for k, why in info.passed_over],
            "inputs": [_tensor_ref(g, plan, t) for t in acts],
            "outputs": [_tensor_ref(g, plan, t) for t in info.outputs],
            "macs": int(info.macs), "weight_bytes": int(info.weight_bytes),
            "sparsity": info.sparsity,
            "scratch": ({"bytes": int(info.scratch_bytes), "offset": plan.scratch[pos]}
                        if pos in plan.scratch else None),
            "inplace": {"input": pin.input, "gap": pin.gap} if pin else None,
            "live_arena_bytes": plan.live_bytes(pos),
            "live_io_bytes": sum(nb for _, _, nb, lo, hi in io if lo <= pos <= hi),
        })
    peak_bytes = max((x["live_arena_bytes"] for x in layers), default=0)
    positions = [x["position"] for x in layers if x["live_arena_bytes"] == peak_bytes]
    p0 = positions[0] if positions else 0
    peak = {"arena_bytes": peak_bytes, "positions": positions, "position": p0,
            "kind": g.ops[p0].kind if g.ops else "", "name": g.ops[p0].name if g.ops else "",
            "buffers": [_buffer_dict(b) for b in plan.live(p0)],
            "io": [{"name": t, "role": role, "bytes": nb} for t, role, nb, lo, hi in io
                   if lo <= p0 <= hi]}

    consts = {t for info in c.layers for t in info.inputs if g.tensor(t).is_const}
    io_bytes = sum(nb for _, _, nb, _, _ in io)
    io_plan = planner.replan(plan, g, io_in_arena=True)
    if tflm and model_path is not None and g.meta.get("format") == "onnx":
        tflm_bytes, tflm_note = None, "not measured: TFLite Micro does not read .onnx"
    elif tflm and model_path is not None:
        tflm_bytes, tflm_note = measure_tflm(model_path)
    else:
        tflm_bytes, tflm_note = None, "not measured (--no-tflm)"
    totals = {
        "layers": len(g.ops), "macs": sum(x["macs"] for x in layers),
        "weight_bytes": sum(g.tensor(t).nbytes for t in consts), "flash_bytes": c.const_bytes,
        "arena_bytes": plan.arena_bytes, "state_bytes": plan.state_bytes, "io_bytes": io_bytes,
        "arena_plus_io_bytes": plan.arena_bytes + io_bytes,
        "liveness_bound_bytes": c.lower_bound, "liveness_bound_no_io_bytes": c.lower_bound_no_io,
        "arena_live_bound_bytes": plan.live_bound, "heuristic_arena_bytes": plan.heuristic_bytes,
        "placement": plan.status, "io_in_arena_bytes": io_plan.arena_bytes,
        "tflm_arena_bytes": tflm_bytes, "tflm_note": tflm_note,
    }
    return {
        "schema": SCHEMA, "model": g.source, "sha256": g.sha256, "name": c.options.name,
        "target": c.options.target, "kernels": c.options.kernels, "layers": layers,
        "buffers": [_buffer_dict(b) for b in plan.buffers],
        "inplace": [{"position": p.position, "input": p.input, "src": p.src, "dst": p.dst,
                     "gap": p.gap} for p in plan.inplace],
        "peak": peak, "totals": totals,
    }


# ---------------------------------------------------------------------------------------------
# Text


def _short(name: str, width: int = 28) -> str:
    name = name.split(";")[0]
    return name if len(name) <= width else ".." + name[-(width - 2):]


def _labels(names) -> dict[str, str]:
    """Short labels: path segments shared by most names ('functional_1', 'Relu') are dropped;
    a label two names would share falls back to the name itself."""
    paths = {n: [seg for seg in n.split(";")[0].split("/") if seg] or [n] for n in names}
    counts: dict[str, int] = {}
    for segs in paths.values():
        for seg in set(segs):
            counts[seg] = counts.get(seg, 0) + 1
    common = {seg for seg, k in counts.items() if len(paths) > 2 and k > len(paths) / 2}
    labels = {n: "/".join(seg for seg in segs if seg not in common) or segs[-1]
              for n, segs in paths.items()}
    taken: dict[str, int] = {}
    for lab in labels.values():
        taken[lab] = taken.get(lab, 0) + 1
    return {n: lab if taken[lab] == 1 else n.split(";")[0] for n, lab in labels.items()}


def _list(numbers, most: int = 12) -> str:
    return ", ".join(map(str, numbers[:most])) + (", ..." if len(numbers) > most else "")


def _si(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 10_000:
        return f"{n / 1e3:.1f}K"
    return str(n)


def _where(ref: dict) -> str:
    if ref["where"] == "arena":
        return f"@{ref['offset']}"
    if ref["where"] in ("input", "output"):
        return f"{ref['where']}{ref['index']}"
    return "-"


def _table(header: list[str], rows: list[list[str]], left: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    return [line(header)] + [line(r) for r in rows]


def _kernels_text(d: dict) -> list[str]:
    """Per layer with code: its kernel, then each kernel passed over and why."""
    out = ["", "kernels (passed over: why):"]
    for x in d["layers"]:
        if x["kernel"] is None:
            continue
        out.append(f"  {x['position']:>3} {x['kind']:<18} {x['kernel']}")
        if x.get("sparsity"):
            out.append(f"        {'':<18} {x['sparsity']}")
        out += [f"        {'':<18} not {k}: {why}" for k, why in x["passed_over"]]
    return out


def format_text(d: dict) -> str:
    t = d["totals"]
    out = [f"{d['model']} (sha256 {d['sha256'][:16]}): {t['layers']} layers, "
           f"{t['macs'] / 1e6:.2f} M MACs; target {d['target']}, {d['kernels']} kernels", ""]
    rows = []
    peak = set(d["peak"]["positions"])
    label = _labels([x["name"] for x in d["layers"]])
    for x in d["layers"]:
        shapes = (", ".join(shape_text(r["shape"]) for r in x["inputs"]) + " -> " +
                  ", ".join(shape_text(r["shape"]) for r in x["outputs"]))
        where = ("in " + ",".join(_where(r) for r in x["inputs"]) + " out " +
                 ",".join(_where(r) for r in x["outputs"]))
        if x["inplace"]:
            gap = x["inplace"]["gap"]
            where += f" (in place, gap {gap})" if gap else " (in place)"
        if x["scratch"]:
            where += f" scratch {x['scratch']['bytes']}@{x['scratch']['offset']}"
        rows.append([str(x["position"]), x["kind"], _short(label[x["name"]]), shapes,
                     _si(x["macs"]) if x["macs"] else "-", f"{x['weight_bytes']:,}", where,
                     f"{x['live_arena_bytes']:,}" + (" *" if x["position"] in peak else "  "),
                     f"{x['live_arena_bytes'] + x['live_io_bytes']:,}"])
    out += _table(["#", "op", "name", "shapes", "MACs", "weights", "tensors (arena offset)",
                   "live", "+I/O"], rows, left={1, 2, 3, 6})
    out.append("  live: arena bytes in use during the layer (* = peak); +I/O: adding the "
               "caller's input/output buffers alive then")

    out += _kernels_text(d)
    p = d["peak"]
    if p["positions"]:
        layers = "layers" if len(p["positions"]) > 1 else "layer"
        out += ["", f"peak: {p['arena_bytes']:,} B of arena at {layers} {_list(p['positions'])}; "
                    f"at layer {p['position']} ({p['kind']} '{_short(p['name'], 48)}'):"]
        for b in sorted(p["buffers"], key=lambda b: (-b["bytes"], b["offset"], b["name"])):
            what = (f"scratch of layer {b['first']}" if b["scratch"] else
                    f"'{_short(b['name'], 48)}', written by layer {b['first']}, last read by "
                    f"layer {b['last']}")
            out.append(f"  {b['bytes']:>9,} B  @{b['offset']:<8} {what}")
        for x in p["io"]:
            out.append(f"  {x['bytes']:>9,} B  {x['role']:<9} '{_short(x['name'], 48)}' "
                       f"(the caller's buffer, not in the arena)")

    def ratio(a, b):
        return f"{a / b:.2f}x" if b else "-"
    bound = t["liveness_bound_bytes"]
    tflm = t["tflm_arena_bytes"]
    out += ["",
            f"flash        {t['flash_bytes']:>10,} B  constants in {d['name']}.c (the model's "
            f"constant tensors: {t['weight_bytes']:,} B); code not counted",
            f"arena        {t['arena_bytes']:>10,} B  {d['name'].upper()}_ARENA_BYTES: activations "
            f"and scratch; {ratio(t['arena_bytes'], bound)} the liveness bound",
            *([f"state        {t['state_bytes']:>10,} B  {d['name'].upper()}_STATE_BYTES: "
               "recurrent state kept across calls, in its own region (not in the figures below)"]
              if t["state_bytes"] else []),
            f"arena + I/O  {t['arena_plus_io_bytes']:>10,} B  adding the caller's input and output "
            f"buffers ({t['io_bytes']:,} B); {ratio(t['arena_plus_io_bytes'], bound)} the bound",
            f"I/O planned  {t['io_in_arena_bytes']:>10,} B  this planner with the graph I/O inside "
            f"the arena, as TFLite Micro counts; {ratio(t['io_in_arena_bytes'], bound)} the bound",
            f"liveness bound {bound:>8,} B  most bytes alive at one layer, graph I/O included "
            f"({t['liveness_bound_no_io_bytes']:,} B without); BASELINES.md",
            f"placement    {t['arena_live_bound_bytes']:>10,} B  alive at the busiest layer after "
            f"sharing; offsets {t['placement']}"]
    if d["inplace"]:
        out.append(f"  in place: {len(d['inplace'])} layer(s) write over an input that dies there "
                   f"(layers {_list([x['position'] for x in d['inplace']], 16)})")
    extra = t["arena_bytes"] - p["arena_bytes"]
    if extra > 0:
        out.append(f"  the arena is {extra:,} B above the busiest layer: blocks pinned in place "
                   f"drift down by their gaps, or lifetimes do not pack tighter (see --plot)")
    if tflm is not None:
        out.append(f"TFLite Micro {tflm:>10,} B  {t['tflm_note']}; tinycc-ml arena + I/O is "
                   f"{ratio(t['arena_plus_io_bytes'], tflm)} of it")
    else:
        out.append(f"TFLite Micro {'-':>10}    {t['tflm_note']}")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Plot


def plot(d: dict, path: str | Path) -> None:
    """The arena over the layers (top) and the bytes alive per layer (bottom), as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    layers = d["layers"]
    n = max(len(layers), 1)
    t = d["totals"]
    arena = max(t["arena_bytes"], 1)
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(min(24.0, 7.0 + 0.32 * n), 8.0), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 1.4]})
    colors = {"tensor": "#4c8bd6", "scratch": "#f0a23b", "inplace": "#55b06a"}
    pinned = {p["dst"] for p in d["inplace"]}
    label = _labels([b["name"] for b in d["buffers"] if not b["scratch"]])
    used = set()
    for b in d["buffers"]:
        kind = "scratch" if b["scratch"] else "inplace" if b["name"] in pinned else "tensor"
        used.add(kind)
        x0, w = b["first"] - 0.42, b["last"] - b["first"] + 0.84
        ax.add_patch(Rectangle((x0, b["offset"]), w, b["bytes"], facecolor=colors[kind],
                               edgecolor="#1d2b3a", linewidth=0.6, alpha=0.85))
        room = int(w * 6.5)            # characters that fit across the box at fontsize 7
        if b["bytes"] >= arena * 0.06 and room >= 5:
            text = "scratch" if b["scratch"] else _short(label[b["name"]], room)
            ax.text(x0 + w / 2, b["offset"] + b["bytes"] / 2, text, ha="center", va="center",
                    fontsize=7, clip_on=True)
    peak = d["peak"]
    for pos in peak["positions"]:
        ax.axvspan(pos - 0.5, pos + 0.5, color="#d62728", alpha=0.08, linewidth=0)
    ax.axhline(t["arena_bytes"], color="black", linewidth=1)
    ax.text(-0.6, t["arena_bytes"], f" arena {t['arena_bytes']:,} B; peak (shaded) at layer "
            f"{_list(peak['positions'], 8)}", va="bottom", ha="left", fontsize=8, color="#d62728")
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(0, arena * 1.25)
    ax.set_ylabel("arena offset (bytes)")
    names = {"tensor": "tensor", "inplace": "written in place", "scratch": "scratch"}
    kinds = [k for k in names if k in used]
    ax.legend([Rectangle((0, 0), 1, 1, facecolor=colors[k]) for k in kinds],
              [names[k] for k in kinds], loc="upper right", fontsize=8, ncol=len(kinds) or 1)
    ax.set_title(f"{d['model']}: arena {t['arena_bytes']:,} B, arena + I/O "
                 f"{t['arena_plus_io_bytes']:,} B, liveness bound {t['liveness_bound_bytes']:,} B"
                 + (f", TFLite Micro {t['tflm_arena_bytes']:,} B" if t["tflm_arena_bytes"] else ""),
                 fontsize=10)

    xs = [x["position"] for x in layers]
    live = [x["live_arena_bytes"] for x in layers]
    io = [x["live_io_bytes"] for x in layers]
    bx.bar(xs, live, color=colors["tensor"], label="arena")
    bx.bar(xs, io, bottom=live, color="#b9c4cf", label="caller's I/O")
    bx.axhline(t["liveness_bound_bytes"], color="#d62728", linestyle="--", linewidth=1,
               label=f"liveness bound {t['liveness_bound_bytes']:,} B")
    bx.axhline(t["arena_bytes"], color="black", linewidth=1, label=f"arena {t['arena_bytes']:,} B")
    bx.set_ylabel("bytes alive")
    bx.legend(loc="upper right", fontsize=8)
    bx.set_xticks(xs)
    bx.set_xticklabels([f"{x['position']} {x['kind'].replace('_2D', '').lower()}" for x in layers],
                       rotation=60, ha="right", fontsize=7)
    bx.set_xlabel("layer (execution order)")
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# The command


def _stack(c: Compiled, out) -> dict | None:
    """Stack bytes per generated function (-fstack-usage), for the compile target if it is a
    Cortex-M core, else for Cortex-M4; printed after the table, returned for the JSON."""
    from .stackusage import stack_usage, unavailable
    target = c.options.target if c.options.target.startswith("cortex-m") else "cortex-m4"
    why = unavailable(target)
    if why is not None:
        print(f"stack ({target}): not measured: {why}", file=out)
        return None
    su = stack_usage(c, target=target)
    path = " -> ".join(su["worst_path"])
    print(f"stack ({target}, -fstack-usage): {su['worst_bytes']} bytes on the deepest path "
          f"{path}", file=out)
    for fn, n in sorted(su["functions"].items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:6d}  {fn}", file=out)
    return su


def inspect_model(c: Compiled, model_path: str | Path, json_path: str | Path | None = None,
                  plot_path: str | Path | None = None, tflm: bool = True, out=None) -> dict:
    """Print the report (to `out`, default stdout); write the JSON and the PNG if asked. The
    files are written before anything is printed, all or none (an unwritable path is one
    CompileError line, nothing printed, no file left)."""
    from .backends.output import write_each
    d = report(c, model_path, tflm=tflm)
    text = io.StringIO()
    print(format_text(d), file=text)
    d["stack"] = _stack(c, text)
    items = []
    if json_path is not None:
        doc = json.dumps(d, indent=1, sort_keys=True) + "\n"
        items.append((json_path, lambda p: Path(p).write_text(doc, encoding="utf-8")))
    if plot_path is not None:
        items.append((plot_path, lambda p: plot(d, p)))
    write_each(items)
    (out or sys.stdout).write(text.getvalue())
    return d


# ---------------------------------------------------------------------------------------------
# RAM against speed (--tradeoff)


def tradeoff(c: Compiled, out=None) -> list[tuple[int, float]]:
    """Print the frontier of arena bytes against estimated cycles for the compiled model's
    target (passes/tradeoff.py: from --optimize ram to --optimize speed); return its points."""
    from .compiler import arena_bytes, tiled_graph
    from .passes.tradeoff import frontier
    out = out or sys.stdout
    ctx = c.options.context()
    pts = frontier(c.graph, ctx, arena_bytes, tiled_graph(c.graph, ctx))
    print(f"RAM against speed, --target {c.options.target}: arena bytes against ESTIMATED cycles "
          "(the kernels' per-MAC estimates, zero wait states; QEMU's classified counts measure "
          "them: verify --target)", file=out)
    print(f"  {'arena B':>9}  {'est. cycles':>13}  how", file=out)
    for k, (a, cyc) in enumerate(pts):
        how = "--optimize ram" if k == 0 else "--optimize speed" if k == len(pts) - 1 \
            else f"--max-arena {a}"
        print(f"  {a:>9,}  {cyc:>13,.0f}  {how}", file=out)
    return pts


def plot_tradeoff(points: list[tuple[int, float]], title: str, path: str | Path) -> None:
    """The frontier as a PNG: arena bytes (x) against estimated cycles (y)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.0, 4.5))
    xs, ys = [p[0] for p in points], [p[1] / 1e6 for p in points]
    ax.step(xs, ys, where="post", color="#4c8bd6")
    ax.plot(xs, ys, "o", color="#1d2b3a")
    ax.set_xlabel("arena (bytes)")
    ax.set_ylabel("estimated cycles (millions)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
    plt.close(fig)
