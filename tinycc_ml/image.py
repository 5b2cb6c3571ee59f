"""Several models in one firmware image: `tinycc-ml compile a.tflite b.tflite --name a --name b`.

Each model is compiled on its own (compile_file), with its own NAME.h/NAME.c and NAME_ symbols;
backends/output.py writes one copy of the runtime for all of them. With `shared_arena` the
models, run one after another, use one arena, as large as the largest of theirs (defined in
FIRST_shared_arena.c); without it each keeps its own static array.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Sequence

from .backends.cnames import sanitize
from .compiler import Compiled, Options, compile_file
from .errors import CompileError


def shared_arena_symbol(first_name: str) -> str:
    return f"{sanitize(first_name, 32)}_shared_arena"


def compile_image(models: Sequence[str | Path], names: Sequence[str], opts: Options,
                  shared_arena: bool = False) -> list[Compiled]:
    """Compile every model with `opts` under its own name (in order); one output folder."""
    if len(names) != len(models):
        raise CompileError(f"{len(models)} models and {len(names)} --name: give one --name per "
                           "model, in the same order")
    if len({sanitize(n, 32) for n in names}) != len(names):
        raise CompileError("two models with the same --name: every model needs its own")
    if shared_arena and opts.caller_arena:
        raise CompileError("--shared-arena and --caller-arena exclude each other (with "
                           "--caller-arena you pass each model your own buffer, shared or not)")
    if shared_arena and len(models) < 2:
        raise CompileError("--shared-arena needs two or more models")
    symbol = shared_arena_symbol(names[0]) if shared_arena else None
    out = []
    for path, name in zip(models, names):
        t0 = time.perf_counter()
        c = compile_file(path, dataclasses.replace(opts, name=name, shared_arena=symbol))
        c.seconds = time.perf_counter() - t0
        out.append(c)
    return out
