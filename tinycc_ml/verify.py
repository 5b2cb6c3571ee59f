"""`tinycc-ml verify`: build the generated C on the host, compare with TFLite's BUILTIN_REF."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .backends.targets import ON_BUILD_MACHINE
from .compiler import Compiled
from . import quant, quant_ort
from .errors import CompileError
from .hostbuild import build
from .ir import DTYPES
from .progress import Progress
from .reference import OnnxReference, TFLiteReference, random_inputs


def runnable_targets() -> tuple[str, ...]:
    """The targets verify can run: those that run on this machine (generic, host), and every
    core with a QEMU board (cortexm.CORES)."""
    from .cortexm import CORES
    return (*sorted(ON_BUILD_MACHINE), *CORES)


def check_target(target: str) -> None:
    """Refuse, before any work, a target verify has no way to run."""
    known = runnable_targets()
    if target not in known:
        raise CompileError(f"verify cannot run --target {target} (no QEMU board for it yet); "
                           f"verify runs on: {', '.join(known)}; `tinycc-ml compile --target "
                           f"{target}` still compiles for it")


@dataclass
class VerifyResult:
    runs: int = 0
    mismatched_runs: int = 0
    max_diff: list = field(default_factory=list)       # per output
    diff_count: list = field(default_factory=list)     # per output, elements differing
    first_bad_layer: str | None = None

    @property
    def exact(self) -> bool:
        return self.mismatched_runs == 0


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    d = np.abs(a.astype(np.int64) - b.astype(np.int64)) if a.dtype.kind in "iu" else \
        np.abs(a.astype(np.float64) - b.astype(np.float64))
    return (d.max() if d.size else 0), int(np.count_nonzero(d))


def _target_outputs(compiled: Compiled, batches, target: str, log, cmsis_nn=None) -> list:
    """Run every input on the Cortex-M core under QEMU, in chunks that fit its flash."""
    from .cortexm import build_and_run
    g = compiled.graph
    per_input = sum(g.tensor(t).nbytes for t in g.inputs)
    chunk = max(1, min(len(batches), (96 * 1024) // max(per_input, 1)))
    if compiled.plan.state_bytes and chunk < len(batches):   # each run starts a new sequence
        raise CompileError(f"a stateful model's {len(batches)} inputs do not fit one {target} "
                           f"test program (at most {chunk}): give fewer --inputs")
    outs, counts, cycles, run, embedded = [], [], [], None, 0
    with Progress(f"{target} (QEMU)", len(batches)) as bar:
        for i in range(0, len(batches), chunk):
            bar.update(i, "inputs run")
            run = build_and_run(compiled, batches[i:i + chunk], target, cmsis_nn=cmsis_nn)
            outs += run.outputs
            counts += run.instructions
            cycles += [c for c in run.cycles if c is not None]
            embedded = per_input * len(batches[i:i + chunk])
    if run is not None:
        est = f", {int(np.median(cycles)):,} estimated cycles (zero wait states)" if cycles else ""
        log(f"{target}: {int(np.median(counts)):,} instructions per inference (QEMU, exact){est}; "
            f"model flash {run.model_flash:,} B, model RAM {run.model_ram:,} B (whole test "
            f"program without its test inputs: flash {run.elf_flash - embedded:,} B, "
            f"RAM {run.elf_ram:,} B)")
    return outs


def _npy_batches(path: Path, g, specs, log) -> list[list[np.ndarray]]:
    """The inputs a user gives as X.npy (one input or a stack). Float data for an integer
    input is quantized with the input's own scale and zero point (round half away from zero,
    clamped), as the generated NAME_quantize_input helper does; integers must fit the type."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise CompileError(f"{path}: not a readable .npy file ({e})") from None
    if len(specs) != 1:
        raise CompileError(f"{path}: .npy inputs are supported for single-input models "
                           f"(this one has {len(specs)})")
    shape, dt = specs[0]
    dt = np.dtype(dt)
    if arr.size == 0 or arr.size % int(np.prod(shape)):
        raise CompileError(f"{path}: {arr.size} values is not a positive multiple of the input "
                           f"size {int(np.prod(shape))} (shape {list(shape)})")
    if arr.dtype.kind not in "iufb":
        raise CompileError(f"{path}: holds {arr.dtype}, not numbers")
    t = g.tensor(g.inputs[0])
    if dt.kind in "iu" and arr.dtype.kind == "f":
        if not t.is_quantized:
            raise CompileError(f"{path}: float data for the {dt} input '{t.name}', which has no "
                               "quantization to convert it with")
        if not np.all(np.isfinite(arr)):
            raise CompileError(f"{path}: holds NaN or infinite values")
        scale, zp = np.float32(t.scale[0]), int(t.zero_point[0])
        # NAME_quantize_input: x / scale in float32, std::round (.onnx: half to even, as
        # onnxruntime's QuantizeLinear), + zero point, clamped
        info = np.iinfo(dt)
        if g.meta.get("format") == "onnx":
            q = quant_ort.quantize_linear(arr, scale, zp, int(info.min), int(info.max))
        else:
            q = quant.round_half_away_array(arr.astype(np.float32) / scale) + zp
        arr = np.clip(q, info.min, info.max).astype(dt)
        log(f"{path.name}: float data quantized with the input's scale {float(scale):g} and zero "
            f"point {zp}")
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            raise CompileError(f"{path}: values [{arr.min()}, {arr.max()}] do not fit the {dt} "
                               f"input '{t.name}'")
    return [[row] for row in arr.astype(dt).reshape((-1,) + tuple(shape))]


def _onnx_value(v: np.ndarray, perm) -> np.ndarray:
    """An ONNX value as the IR tensor holding it: onnx = ir.transpose(perm); uint8 codes - 128."""
    v = np.asarray(v).transpose(np.argsort(perm))
    return v.astype(np.int16) - 128 if v.dtype == np.uint8 else v


def verify(compiled: Compiled, model_path: str | Path, n_random: int = 100,
           npy_inputs: Sequence[Path] = (), seed: int = 0, per_layer: bool = False,
           cflags: Sequence[str] = ("-O2",), log=print, target: str = "generic",
           cmsis_nn: str | Path | None = None) -> VerifyResult:
    """Compare the generated C with BUILTIN_REF: on the host (targets 'generic' and 'host'), or
    on the target core under QEMU (cortex-m4, cortex-m7, cortex-m55)."""
    g = compiled.graph
    check_target(target)
    on_target = target not in ON_BUILD_MACHINE
    if on_target and per_layer:
        log("note: --per-layer runs on the host build")
    host = build(compiled, cflags=cflags, trace=per_layer) if (per_layer or not on_target) else None
    onnx_values = g.meta.get("onnx_values", {}) if per_layer else {}
    if g.meta.get("format") == "onnx":
        ref = OnnxReference(model_path, g.meta.get("io_layout", "nchw"),
                            g.meta.get("ort_reference", "x86"),
                            extra_outputs=sorted({v[0] for v in onnx_values.values()}))
    else:
        ref = TFLiteReference(model_path, preserve_all=per_layer)
    specs = [(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0]) for t in g.inputs]
    batches: list[list[np.ndarray]] = []
    for p in npy_inputs:
        batches += _npy_batches(Path(p), g, specs, log)
    rng = np.random.default_rng(seed)
    for _ in range(n_random):
        batches.append(random_inputs(specs, rng))

    stateful = compiled.plan.state_bytes > 0
    if stateful:
        log(f"stateful model ({compiled.plan.state_bytes} bytes of state): the {len(batches)} "
            "inputs run as one sequence, without reset, on both sides; every step is compared")
    res = VerifyResult(max_diff=[0] * len(g.outputs), diff_count=[0] * len(g.outputs))
    first_bad = None
    note_fusion = False
    target_outs = _target_outputs(compiled, batches, target, log, cmsis_nn) if on_target else None
    if not batches:
        raise CompileError("no input to check: give --inputs N (N >= 1) or --input X.npy")
    bar = Progress("verify", len(batches))
    for i, xs in enumerate(batches):
        bar.update(i, "inputs compared")
        want = ref.run(xs)
        traces: list = []
        got = target_outs[i] if on_target else host.run(xs, traces)
        if per_layer and on_target:
            host.run(xs, traces)
        bad = False
        for k, (a, b) in enumerate(zip(got, want)):
            m, c = _diff(a, b.reshape(a.shape))
            res.max_diff[k] = max(res.max_diff[k], m)
            res.diff_count[k] += c
            bad |= c > 0
        res.runs += 1
        if bad:
            res.mismatched_runs += 1
        # a stateful model's layers are checked at every step (the state differs from step to step)
        if per_layer and (bad or i == 0 or stateful) and first_bad is None:
            index = g.meta.get("tensor_index", {})
            for op_index, tname, arr in traces:
                if onnx_values:
                    if not ref.values_agree and not note_fusion:
                        note_fusion = True
                        log("note: with every layer's value as an output onnxruntime fuses "
                            "the graph differently (its outputs differ from the plain "
                            "session's on this input); the per-layer values are that graph's")
                    if tname not in onnx_values:
                        continue        # a layout copy between ONNX values
                    expect = _onnx_value(ref.values[onnx_values[tname][0]],
                                         onnx_values[tname][1]).reshape(arr.shape)
                else:
                    expect = ref.tensor(index[tname])
                    if expect.dtype != arr.dtype:   # a float part passes/float_island made int8
                        continue
                    expect = expect.reshape(arr.shape)
                m, c = _diff(arr, expect)
                if c:
                    op = next(o for o in g.ops if o.index == op_index)
                    first_bad = (f"op {op_index} ({op.source_kind or op.kind} '{op.name}'): output '{tname}' "
                                 f"differs in {c} of {arr.size} values, max {m}")
                    break
    bar.close()
    res.first_bad_layer = first_bad
    for k, t in enumerate(g.outputs):
        log(f"output {k} '{t}': max |difference| {res.max_diff[k]}, "
            f"{res.diff_count[k]} values differ over {res.runs} runs")
    if per_layer:
        log(f"per layer: first differing layer: {first_bad}" if first_bad else
            "per layer: every layer's output matches on the checked input")
    verdict = "BIT-EXACT" if res.exact else f"MISMATCH in {res.mismatched_runs} of {res.runs} runs"
    where = f" on {target} (QEMU)" if on_target else ""
    log(f"{g.source}: {verdict}{where} against {ref.runtime} {ref.resolver} ({res.runs} inputs)")
    sys.stdout.flush()
    return res
