"""Build generated C on the host through cffi and run it from Python (for verify and tests)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .backends.output import write
from .compiler import Compiled
from .ir import DTYPES


def _c_array(ffi, a: np.ndarray):
    """A cffi pointer to `a`'s data, typed after its dtype (cffi casts char * only to byte types)."""
    ctype = {np.dtype(np_type): c for np_type, c in DTYPES.values()}.get(a.dtype, "char")
    return ffi.from_buffer(f"{ctype}[]", a)


class HostModel:
    """A compiled model loaded into this process: `run(inputs) -> outputs`."""

    def __init__(self, compiled: Compiled, module, trace_sink: list | None):
        self.compiled = compiled
        self.ffi = module.ffi
        self.lib = module.lib
        self._trace = trace_sink
        g = compiled.graph
        self.name = compiled.files and next(iter(compiled.files)).rsplit(".", 1)[0]
        self._invoke = getattr(self.lib, f"{self.name}_invoke")
        self.in_specs = [(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0]) for t in g.inputs]
        self.out_specs = [(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0]) for t in g.outputs]
        self.arena = None
        if compiled.options.caller_arena:
            state = (compiled.plan.state_bytes + 15) // 16 * 16 if compiled.plan.state_bytes else 0
            self.arena = np.zeros(compiled.plan.arena_bytes + state + 16, np.uint8)
        # a stateful model starts from its initial state (another HostModel of the same sources
        # shares the loaded library and so its static state)
        self.reset()

    def reset(self) -> None:
        """NAME_reset(): the state back to the model's initial values (stateful models)."""
        if not self.compiled.plan.state_bytes:
            return
        fn = getattr(self.lib, f"{self.name}_reset")
        if self.arena is not None:
            fn(self.ffi.from_buffer(self.arena))
        else:
            fn()

    def timer(self, inputs: Sequence[np.ndarray]) -> Callable[[], int]:
        """A zero-allocation closure that invokes the model once on fixed inputs (benchmarks)."""
        keep = [np.ascontiguousarray(np.asarray(x, dtype=dt).reshape(shape))
                for x, (shape, dt) in zip(inputs, self.in_specs)]
        keep += [np.zeros(shape, dt) for shape, dt in self.out_specs]
        if self.arena is not None:
            keep.append(self.arena)
        args = [_c_array(self.ffi, a) for a in keep]
        invoke = self._invoke

        def call() -> int:
            return invoke(*args)
        call.keep = keep  # type: ignore[attr-defined]
        return call

    def run(self, inputs: Sequence[np.ndarray], traces: list | None = None) -> list[np.ndarray]:
        args, keep = [], []
        for x, (shape, dt) in zip(inputs, self.in_specs):
            x = np.ascontiguousarray(np.asarray(x, dtype=dt).reshape(shape))
            keep.append(x)
            args.append(_c_array(self.ffi, x))
        outs = [np.zeros(shape, dt) for shape, dt in self.out_specs]
        args += [_c_array(self.ffi, o) for o in outs]
        if self.arena is not None:
            args.append(self.ffi.from_buffer(self.arena))
        if self._trace is not None:
            self._trace.clear()
        rc = self._invoke(*args)
        if rc != 0:
            raise RuntimeError(f"{self.name}_invoke returned {rc}")
        if traces is not None and self._trace is not None:
            traces.extend(self._trace)
        return outs


def build(compiled: Compiled, work: str | Path | None = None,
          cflags: Sequence[str] = ("-O2",), trace: bool = False) -> HostModel:
    """Write `compiled` to a folder, build it as a Python extension, import it.

    `work`: a folder to build in (kept); by default a temporary one, removed once the
    extension is loaded (the loaded library stays mapped), so nothing is left behind."""
    if work is not None:
        return _build(compiled, Path(work), cflags, trace)
    with tempfile.TemporaryDirectory(prefix="tinycc-ml-host-") as tmp:
        return _build(compiled, Path(tmp), cflags, trace)


def _build(compiled: Compiled, work: Path, cflags: Sequence[str], trace: bool) -> HostModel:
    import cffi

    src = work / "src"
    write(compiled, src)
    name = next(iter(compiled.files)).rsplit(".", 1)[0]
    digest = hashlib.sha256()
    for f in sorted(src.iterdir()):
        digest.update(f.name.encode() + f.read_bytes())
    digest.update(repr((tuple(cflags), trace)).encode())
    modname = f"_tcm_{name}_{digest.hexdigest()[:16]}"

    header = (src / f"{name}.h").read_text()
    decls = re.findall(r"^(?:int|float|int8_t|uint8_t|int16_t|int32_t) "
                       rf"{name}_\w+\([^;]*\);", header, flags=re.M)
    decls += re.findall(rf"^void {name}_reset\([^;]*\);", header, flags=re.M)
    ffi = cffi.FFI()
    cdef = "\n".join(decls)
    if trace:
        cdef += f'\nextern "Python+C" void {name}_trace(int, int, const void *, unsigned long);'
    ffi.cdef(cdef)
    defines = [(f"{name.upper()}_TRACE", "1")] if trace else []
    ffi.set_source(modname, f'#include "{name}.h"',
                   sources=sorted(str(f) for f in src.glob("*.c")), include_dirs=[str(src)],
                   define_macros=defines,
                   extra_compile_args=["-std=c99", *cflags], libraries=["m"])
    build_dir = work / "build"
    build_dir.mkdir(exist_ok=True)
    devnull = open(os.devnull, "w")
    old = os.dup(1), os.dup(2)
    try:  # the C compiler's chatter goes nowhere; errors still raise
        os.dup2(devnull.fileno(), 1)
        lib_path = ffi.compile(tmpdir=str(build_dir), verbose=False)
    finally:
        os.dup2(old[0], 1)
        os.close(old[0])
        os.close(old[1])
        devnull.close()
    spec = importlib.util.spec_from_file_location(modname, lib_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)

    sink: list | None = None
    if trace:
        sink = []
        g = compiled.graph
        # an ONNX node may become several ops of one index (a layout TRANSPOSE and the op):
        # the first of them whose output k is not yet traced in this run and has that size
        ops_of = {}
        for op in g.ops:
            ops_of.setdefault(op.index, []).append(op)

        @module.ffi.def_extern(name=f"{name}_trace")
        def _on_tensor(op_index, k, data, nbytes):  # noqa: ANN001
            seen = {name for _, name, _ in sink}
            t = next((op.outputs[k] for op in ops_of[op_index] if op.outputs[k] not in seen
                      and g.tensor(op.outputs[k]).nbytes == nbytes), ops_of[op_index][0].outputs[k])
            tensor = g.tensor(t)
            buf = bytes(module.ffi.buffer(data, nbytes))
            sink.append((op_index, t, np.frombuffer(buf, DTYPES[tensor.dtype][0]).reshape(tensor.shape)))
    return HostModel(compiled, module, sink)


Runner = Callable[[Sequence[np.ndarray]], list]
