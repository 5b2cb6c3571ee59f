"""tinycc-ml command line: compile, verify, inspect, ops.

`main` catches only CompileError (one line on stderr, exit 2); anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .backends.targets import ON_BUILD_MACHINE
from .compiler import KERNELS, TARGETS, Options, compile_file, write
from .errors import CompileError


def _size(text: str) -> int:
    t = text.strip().lower()
    mult = 1
    for suffix, m in (("kib", 1024), ("kb", 1000), ("k", 1024), ("mib", 1 << 20), ("mb", 10**6),
                      ("m", 1 << 20), ("b", 1)):
        if t.endswith(suffix):
            t, mult = t[: -len(suffix)], m
            break
    try:
        value = int(t) * mult
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a byte count: {text!r} (e.g. 65536, 64k)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a byte count cannot be negative")
    return value


def _model_options(p: argparse.ArgumentParser, name_default: str = "model") -> None:
    p.add_argument("model", type=Path, help="the .tflite model")
    p.add_argument("--name", default=name_default,
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
    p.add_argument("--caller-arena", action="store_true",
                   help="NAME_invoke takes the arena as its last argument (NAME_ARENA_BYTES "
                        "bytes, 16-byte aligned) instead of using a static array")
    p.add_argument("--max-arena", type=_size, metavar="BYTES",
                   help="fail if the arena needs more RAM than this (e.g. 65536 or 64k)")
    p.add_argument("--max-flash", type=_size, metavar="BYTES",
                   help="fail if the model's constant data (weights, biases, requantization tables, parameter structs; not the kernels' code) needs more flash than this")
    p.add_argument("--cmsis-nn-inexact-fc", action="store_true",
                   help="with --kernels cmsis-nn, also call CMSIS-NN's arm_fully_connected_s8 "
                        "for per-tensor FULLY_CONNECTED layers, which is NOT bit-exact with "
                        "TFLite: it rounds twice, TFLite's reference once (a few LSB apart; "
                        "verify reports the difference)")


def _options(a) -> Options:
    if a.cmsis_nn_inexact_fc and a.kernels != "cmsis-nn":
        raise CompileError("--cmsis-nn-inexact-fc needs --kernels cmsis-nn")
    return Options(name=a.name, target=a.target, kernels=a.kernels, caller_arena=a.caller_arena,
                   max_arena=a.max_arena, max_flash=a.max_flash,
                   cmsis_nn_inexact=("FULLY_CONNECTED",) if a.cmsis_nn_inexact_fc else ())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinycc-ml",
        description="Compile a quantized int8 TFLite model into standalone C99 for "
                    "microcontrollers: one entry point, a static arena of known size, no malloc.")
    parser.add_argument("--version", action="version", version=f"tinycc-ml {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("compile", help="write NAME.c, NAME.h and the runtime kernels to a folder",
                       description="Compile MODEL into OUT/: NAME.h, NAME.c and the runtime "
                                   "kernel sources it uses; `cc -c OUT/*.c` builds them.")
    _model_options(p)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                   help="output folder (created; written all at once or not at all)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")

    p = sub.add_parser("verify", help="build the C on the host, compare with TFLite BUILTIN_REF",
                       description="Compile MODEL, build the C through cffi (or, with --target "
                                   "cortex-m4/m7/m55, with arm-none-eabi-gcc for that core, run under "
                                   "QEMU and count instructions), run it on random inputs (and .npy "
                                   "files) and compare every output with TFLite's reference kernels. "
                                   "Exit 0 only if bit-exact.")
    _model_options(p)
    p.add_argument("--inputs", type=int, default=100, metavar="N",
                   help="random inputs, uniform over the input type (default: %(default)s)")
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
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the arena over time")

    sub.add_parser("ops", help="list the supported ops",
                   description="The ops tinycc-ml compiles, from its op registry.")
    return parser


def cmd_compile(a) -> int:
    c = compile_file(a.model, _options(a))
    files = write(c, a.output)
    if not a.quiet:
        g = c.graph
        macs = sum(layer.macs for layer in c.layers)
        io = sum(g.tensor(t).nbytes for t in set(g.inputs) | set(g.outputs))
        print(f"{a.model.name}: {len(g.ops)} ops, {macs / 1e6:.2f} M MACs, "
              f"{c.const_bytes} bytes of constants")
        print(f"arena {c.plan.arena_bytes} bytes (inputs and outputs, {io} bytes, are the "
              f"caller's); liveness bound {c.lower_bound} bytes with I/O, "
              f"{c.lower_bound_no_io} without")
        for note in c.notes:
            print(f"note: {note}")
        print(f"wrote {len(files)} files to {a.output} in {c.seconds:.2f} s")
    return 0


def cmd_verify(a) -> int:
    from .verify import verify
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
    from .inspect import inspect_model
    c = compile_file(a.model, _options(a))
    inspect_model(c, a.model, json_path=a.json, plot_path=a.plot)
    return 0


def cmd_ops(a) -> int:
    from .ops.base import supported_kinds
    for kind in supported_kinds():
        print(kind)
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
