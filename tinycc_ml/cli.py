"""tinycc-ml command line: compile, verify, inspect, ops.

`main` catches only CompileError (one line on stderr, exit 2); anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .backends.cnames import sanitize
from .backends.output import check_name, write
from .backends.targets import ON_BUILD_MACHINE
from .compiler import KERNELS, OPTIMIZE, SPARSITY, TARGETS, Options, compile_file
from .errors import CompileError


_UNITS = {"": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1 << 20, "mib": 1 << 20}
SIZE_RULE = "bytes, or K/KiB (1024 bytes), M/MiB (1024*1024 bytes): 65536, 64K, 64KiB, 1M"


def parse_size(text: str, option: str) -> int:
    """A byte count: plain bytes, K/KiB = 1024, M/MiB = 1024^2 (any case). KB and MB are
    refused: some read them as 1000, others as 1024."""
    t = text.strip().replace(" ", "").lower()
    digits = len(t) - len(t.lstrip("0123456789"))
    number, unit = t[:digits], t[digits:]
    if unit in ("kb", "mb"):
        raise CompileError(f"{option} {text}: '{text[digits:]}' is ambiguous (1000 or 1024?); "
                           f"write {SIZE_RULE}")
    if not number or unit not in _UNITS:
        raise CompileError(f"{option} {text}: not a byte count; write {SIZE_RULE}")
    return int(number) * _UNITS[unit]


def _model_options(p: argparse.ArgumentParser, many: bool = False) -> None:
    if many:
        p.add_argument("model", type=Path, nargs="+", help="the .tflite or .onnx model(s)")
        p.add_argument("--name", action="append", default=[],
                       help="C name of the model: NAME.c, NAME.h, NAME_invoke(), prefix of every "
                            "global symbol (default: model); one per model, in order")
    else:
        p.add_argument("model", type=Path, help="the .tflite or .onnx model")
        p.add_argument("--name", default="model",
                       help="C name of the model: NAME.c, NAME.h, NAME_invoke(), prefix of every "
                            "global symbol (default: %(default)s)")
    p.add_argument("--target", choices=TARGETS, default="generic",
                   help="the core the kernels are chosen for: generic = portable C99 (TFLite's "
                        "reference loops), host = x86-64 and other 64-bit application "
                        "processors (blocked kernels, AVX2/VNNI under #if), cortex-m* = the "
                        "core's DSP or Helium kernels (default: %(default)s)")
    p.add_argument("--kernels", choices=KERNELS, default="portable",
                   help="portable: tinycc-ml's own C kernels; cmsis-nn: calls to CMSIS-NN where "
                        "it has a bit-exact kernel (default: %(default)s)")
    p.add_argument("--sparsity", choices=SPARSITY, default="off",
                   help="auto: layers with pruned (zero) weights store and multiply only the "
                        "non-zero ones where that saves flash and work on the target; off: "
                        "dense kernels only (default: %(default)s)")
    p.add_argument("--caller-arena", action="store_true",
                   help="NAME_invoke takes the arena as its last argument (NAME_ARENA_BYTES "
                        "bytes, 16-byte aligned) instead of using a static array")
    p.add_argument("--max-arena", metavar="BYTES",
                   help="per layer, the fastest kernels whose arena plan fits in this much RAM; "
                        "fail if none does (" + SIZE_RULE + ")")
    p.add_argument("--optimize", choices=OPTIMIZE, default="speed",
                   help="speed: the fastest kernels; ram: the kernels and plan with the "
                        "smallest arena, the fastest of those (default: %(default)s)")
    p.add_argument("--max-flash", metavar="BYTES",
                   help="fail if the model's constant data (weights, biases, requantization "
                        "tables, parameter structs; not the kernels' code) needs more flash "
                        "than this (" + SIZE_RULE + ")")
    p.add_argument("--cmsis-nn-inexact-fc", action="store_true",
                   help="with --kernels cmsis-nn, also call CMSIS-NN's arm_fully_connected_s8 "
                        "for per-tensor FULLY_CONNECTED layers, which is NOT bit-exact with "
                        "TFLite: it rounds twice, TFLite's reference once (a few LSB apart; "
                        "verify reports the difference)")
    p.add_argument("--shape", action="append", default=[], type=_shape, metavar="NAME=1x3x32x32",
                   help=".onnx: fix the dimensions of input NAME (a dynamic batch alone is "
                        "compiled as 1 without it)")
    p.add_argument("--io-layout", choices=("nchw", "nhwc"), default="nchw",
                   help=".onnx: layout of 4-D inputs and outputs of NAME_invoke: the model's "
                        "(nchw) or NHWC (default: %(default)s)")
    p.add_argument("--ort-reference", choices=("x86", "x86-s8"), default="x86",
                   help=".onnx: the onnxruntime session the C equals (CPU EP, default "
                        "optimizations, x86-64 kernels): x86 = its defaults (int8 QDQ groups "
                        "through uint8; some stay float32); x86-s8 = with "
                        "session.qdqisint8allowed=1, every int8 QDQ group fused as on ARM64 "
                        "(default: %(default)s)")


def _shape(text: str) -> tuple[str, tuple[int, ...]]:
    name, _, dims = text.rpartition("=")
    try:
        shape = tuple(int(d) for d in dims.lower().split("x"))
    except ValueError:
        shape = ()
    if not name or not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected NAME=1x3x32x32, got '{text}'")
    return name, shape


def _options(a) -> Options:
    if a.cmsis_nn_inexact_fc and a.kernels != "cmsis-nn":
        raise CompileError("--cmsis-nn-inexact-fc needs --kernels cmsis-nn")
    names = a.name if isinstance(a.name, list) else [a.name]
    for n in names:
        check_name(sanitize(n, 32))
    return Options(name=names[0] if names else "model", target=a.target, kernels=a.kernels,
                   caller_arena=a.caller_arena, optimize=a.optimize,
                   max_arena=None if a.max_arena is None else parse_size(a.max_arena, "--max-arena"),
                   max_flash=None if a.max_flash is None else parse_size(a.max_flash, "--max-flash"),
                   cmsis_nn_inexact=("FULLY_CONNECTED",) if a.cmsis_nn_inexact_fc else (),
                   onnx_shapes=tuple(a.shape), io_layout=a.io_layout,
                   ort_reference=a.ort_reference, sparsity=a.sparsity)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinycc-ml",
        description="Compile a quantized int8 TFLite or ONNX model into standalone C99 for "
                    "microcontrollers: one entry point, a static arena of known size, no malloc.")
    parser.add_argument("--version", action="version", version=f"tinycc-ml {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("compile", help="write NAME.c, NAME.h and the runtime kernels to a folder",
                       description="Compile MODEL into OUT/: NAME.h, NAME.c, the runtime kernel "
                                   "sources it uses, CMakeLists.txt (add_subdirectory(OUT) gives "
                                   "the library target NAME), NAME.mk (Make) and the manifest "
                                   "NAME.files; `cc -c OUT/*.c` builds them. Several models "
                                   "(one --name each) share one copy of the runtime.")
    _model_options(p, many=True)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                   help="output folder (created; written all at once or not at all; an earlier "
                        "output there is replaced, other files are kept)")
    p.add_argument("--shared-arena", action="store_true",
                   help="several models: one arena for all, as large as the largest (run them "
                        "one after another, never at the same time)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")

    p = sub.add_parser("verify", help="build the C on the host, compare with TFLite BUILTIN_REF",
                       description="Compile MODEL, build the C through cffi (or, with --target "
                                   "cortex-m0plus/m3/m4/m7/m33/m55 or rv32imc/rv32imac, with "
                                   "arm-none-eabi-gcc or riscv64-unknown-elf-gcc for that core, "
                                   "run under QEMU and count instructions and estimated cycles), "
                                   "run it on random inputs (and .npy files) and compare every "
                                   "output with TFLite's reference kernels (onnxruntime for .onnx). "
                                   "Exit 0 only if bit-exact.")
    _model_options(p)
    p.add_argument("--inputs", type=int, default=100, metavar="N",
                   help="random inputs, uniform over the input type (default: %(default)s; "
                        "0 with --input checks only those)")
    p.add_argument("--input", type=Path, action="append", default=[], metavar="X.npy",
                   help="an input (or a stack of inputs) to check too; repeatable")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--per-layer", action="store_true",
                   help="compare every layer's output and name the first that differs")
    p.add_argument("--cmsis-nn", type=Path, metavar="DIR",
                   help="your CMSIS-NN folder, to build --kernels cmsis-nn code for --target "
                        "cortex-m4/m7/m55 under QEMU")

    p = sub.add_parser("inspect", help="layers, shapes, MACs, weights and the arena plan",
                       description="Print each layer with its shapes, MACs, weight bytes, arena "
                                   "offsets and bytes live, then flash, arena and the liveness bound.")
    _model_options(p)
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the data as JSON")
    p.add_argument("--plot", type=Path, metavar="FILE.png",
                   help="draw the arena over time (with --tradeoff: the frontier)")
    p.add_argument("--tradeoff", action="store_true",
                   help="print the frontier of arena bytes against estimated cycles, from "
                        "--optimize ram to --optimize speed (what --max-arena chooses among)")
    p.add_argument("--no-tflm", action="store_true",
                   help="do not measure TensorFlow Lite Micro's arena (it runs in a child process "
                        "when the tflite-micro package is installed)")

    sub.add_parser("ops", help="list the supported ops and their operands' types",
                   description="The ops tinycc-ml compiles, from its op registry, each with its "
                               "operands and the types they may have.")
    return parser


def cmd_compile(a) -> int:
    from .image import compile_image
    opts = _options(a)
    names = a.name or (["model"] if len(a.model) == 1 else [])
    models = compile_image(a.model, names, opts, shared_arena=a.shared_arena)
    files = write(models, a.output)
    if not a.quiet:
        for path, c in zip(a.model, models):
            g = c.graph
            macs = sum(layer.macs for layer in c.layers)
            io = sum(g.tensor(t).nbytes for t in set(g.inputs) | set(g.outputs))
            print(f"{path.name}: {len(g.ops)} ops, {macs / 1e6:.2f} M MACs, "
                  f"{c.const_bytes} bytes of constants")
            print(f"arena {c.plan.arena_bytes} bytes (inputs and outputs, {io} bytes, are the "
                  f"caller's); liveness bound {c.lower_bound} bytes with I/O, "
                  f"{c.lower_bound_no_io} without")
            if c.plan.state_bytes:
                print(f"state {c.plan.state_bytes} bytes kept across calls "
                      f"({len(c.plan.state)} tensor(s); {c.options.name}_reset() restarts a sequence)")
            for note in c.notes:
                print(f"note: {note}")
        if a.shared_arena:
            print(f"shared arena {max(c.plan.arena_bytes for c in models)} bytes for "
                  f"{len(models)} models")
        print(f"wrote {len(files)} files to {a.output} in {sum(c.seconds for c in models):.2f} s")
    return 0


def cmd_verify(a) -> int:
    from .verify import check_target, verify
    check_target(a.target)
    if a.inputs < 0 or (a.inputs == 0 and not a.input):
        raise CompileError(f"--inputs {a.inputs}: nothing to check; give at least one input "
                           "(--inputs N, N >= 1, or --input X.npy)")
    if a.kernels == "cmsis-nn" and (a.target in ON_BUILD_MACHINE or a.per_layer):
        # the host build (also behind --per-layer) has no CMSIS-NN to link
        raise CompileError("verify --kernels cmsis-nn runs on a Cortex-M core under QEMU with your "
                           "CMSIS-NN: give --target cortex-m4/m7/m55 and --cmsis-nn DIR "
                           "(not --per-layer, which runs on the host)")
    c = compile_file(a.model, _options(a))
    if a.cmsis_nn_inexact_fc:     # say up front why the comparison may not be bit-exact
        for note in c.notes:
            print(f"note: {note}")
    res = verify(c, a.model, n_random=a.inputs, npy_inputs=a.input, seed=a.seed,
                 per_layer=a.per_layer, target=a.target, cmsis_nn=a.cmsis_nn)
    return 0 if res.exact else 1


def cmd_inspect(a) -> int:
    from .inspect import inspect_model, plot_tradeoff, tradeoff
    c = compile_file(a.model, _options(a))
    if a.tradeoff:
        points = tradeoff(c)
        if a.plot is not None:
            from .backends.output import write_each
            write_each([(a.plot, lambda p: plot_tradeoff(
                points, f"{a.model.name}, --target {a.target}: arena against estimated cycles",
                p))])
        return 0
    inspect_model(c, a.model, json_path=a.json, plot_path=a.plot, tflm=not a.no_tflm)
    return 0


def cmd_ops(a) -> int:
    """One line per op: its name and its operands' types (the op's declared signature)."""
    from .ops.base import _REGISTRY, supported_kinds
    width = max(len(k) for k in supported_kinds())
    for kind in supported_kinds():
        sig = _REGISTRY[kind].signature
        print(f"{kind:<{width}}  {sig.describe() if sig is not None else ''}".rstrip())
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"compile": cmd_compile, "verify": cmd_verify, "inspect": cmd_inspect,
                "ops": cmd_ops}[args.command](args)
    except CompileError as e:
        print(f"error: {e.line()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
