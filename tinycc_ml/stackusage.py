"""Stack bytes of the generated C, per function and along the worst call path from NAME_invoke.

The figures are the compiler's own: each .c file of the output is compiled for the target with
`-fstack-usage -fcallgraph-info=su` (GCC >= 10), which writes, per translation unit, each
function's frame size and its calls (a VCG graph, `.ci`). The worst path is the longest chain
of frames from `NAME_invoke` through that graph (the generated code has no recursion and no
indirect calls; either is reported as an error). A callee compiled elsewhere (`memset` from
the C library) counts 0 bytes and is listed under `external`. Without `.ci` files (an older
GCC) every kernel is taken as a leaf: invoke's frame plus the largest other frame.

    from tinycc_ml.stackusage import stack_usage, unavailable
    report = stack_usage(compiled_or_out_dir, target="cortex-m4")
    if report is None:
        print("no stack figures:", unavailable("cortex-m4"))

Flags per target follow ../shared/TOOLCHAIN.md (Cortex-M4: `-mcpu=cortex-m4 -mthumb
-mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2`); `generic` uses the host's gcc, for comparison.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ARM = "arm-none-eabi-gcc"
RISCV = "riscv64-unknown-elf-gcc"
FLAGS = {
    "cortex-m0plus": (ARM, ["-mcpu=cortex-m0plus", "-mthumb"]),
    "cortex-m3": (ARM, ["-mcpu=cortex-m3", "-mthumb"]),
    "rv32imc": (RISCV, ["-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs"]),
    "rv32imac": (RISCV, ["-march=rv32imac", "-mabi=ilp32", "--specs=picolibc.specs"]),
    "cortex-m4": (ARM, ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]),
    "cortex-m7": (ARM, ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]),
    "cortex-m33": (ARM, ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]),
    "cortex-m55": (ARM, ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"]),
    "generic": ("gcc", []),
    "host": ("gcc", []),
}
OPT = ["-O2", "-std=c99"]

_NODE = re.compile(r'^node: \{ title: "([^"]*)" label: "([^"]*)"')
_EDGE = re.compile(r'^edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"')
_FRAME = re.compile(r"(\d+) bytes \(([a-z,]+)\)")


@functools.lru_cache(maxsize=None)
def unavailable(target: str = "cortex-m4") -> str | None:
    """Why stack figures cannot be had for `target` on this machine, or None if they can."""
    if target not in FLAGS:
        return f"unknown target '{target}'; known: {', '.join(FLAGS)}"
    cc, flags = FLAGS[target]
    if shutil.which(cc) is None:
        return (f"{cc} is not installed (Debian: apt-get install gcc-arm-none-eabi "
                "libnewlib-arm-none-eabi)" if cc == ARM else f"{cc} is not installed")
    with tempfile.TemporaryDirectory(prefix="tinycc-ml-su-") as tmp:
        probe = Path(tmp) / "probe.c"
        probe.write_text("#include <stdint.h>\n#include <string.h>\n"
                         "int probe(int8_t *p) { memset(p, 0, 4); return p[1]; }\n")
        proc = subprocess.run([cc, *flags, *OPT, "-fstack-usage", "-c", str(probe), "-o",
                               str(Path(tmp) / "probe.o")], capture_output=True, text=True)
        if proc.returncode != 0:
            first = (proc.stderr.strip().splitlines() or ["no message"])[0]
            return f"{cc} cannot build C for {target} ({first})"
        if not (Path(tmp) / "probe.su").exists():
            return f"{cc} does not write -fstack-usage files"
    return None


def stack_usage(out_dir_or_compiled: Any, target: str = "cortex-m4",
                entry: str | None = None) -> dict | None:
    """Stack figures of a compiled model (a `Compiled`, or the folder `compile` wrote).

    Returns None if the toolchain is absent (`unavailable(target)` says why), else a dict:
    `functions` (name -> frame bytes; file-local functions as 'file.c:name'), `dynamic`
    (functions whose frame size the compiler could not bound), `entry` (NAME_invoke),
    `worst_bytes` and `worst_path` (the chain of functions from the entry that needs the most
    stack), `external` (callees without figures, counted 0), `method`, `target`, `compiler`,
    `flags`, `compiled_for` (the `--target` of the generated code, from its header comment:
    give the same target here for figures that match the code). Raises RuntimeError if the
    code does not build or recurses (a tinycc-ml bug).
    """
    if unavailable(target) is not None:
        return None
    cc, tflags = FLAGS[target]
    flags = [*tflags, *OPT]
    with tempfile.TemporaryDirectory(prefix="tinycc-ml-su-") as tmp:
        tmp = Path(tmp)
        if isinstance(out_dir_or_compiled, (str, Path)):
            src = Path(out_dir_or_compiled)
        else:
            from .compiler import write
            src = tmp / "src"
            write(out_dir_or_compiled, src)
            if entry is None:
                entry = next(iter(out_dir_or_compiled.files)).rsplit(".", 1)[0] + "_invoke"
        sources = sorted(src.glob("*.c"))
        compiled_for = sorted({m.group(1) for c in sources for m in
                               [re.search(r"^ \* Target: ([\w-]+),", c.read_text(), re.M)] if m})
        if not sources:
            raise RuntimeError(f"no .c files in {src}")
        build = tmp / "build"
        build.mkdir()
        for c in sources:
            proc = subprocess.run([cc, *flags, "-fstack-usage", "-fcallgraph-info=su", "-I",
                                   str(src), "-c", str(c), "-o", str(build / (c.stem + ".o"))],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"{cc} failed on {c.name}: {proc.stderr.strip()[:2000]}")
        frames, kinds, edges = _parse(build)
        version = subprocess.run([cc, "-dumpversion"], capture_output=True,
                                 text=True).stdout.strip()

    invokes = sorted(f for f in frames if f.endswith("_invoke"))
    if entry is None:
        if len(invokes) != 1:
            raise RuntimeError(f"name the entry point: the folder defines {invokes or 'none'}")
        entry = invokes[0]
    if entry not in frames:
        raise RuntimeError(f"{entry} is not defined in {src}")
    if edges is None:
        others = [f for f in frames if f != entry]
        top = max(others, key=lambda f: (frames[f], f), default=None)
        path = [entry] + ([top] if top else [])
        method, external = "kernels taken as leaves (no -fcallgraph-info)", []
    else:
        path, external = _worst_path(entry, frames, edges)
        method = "call graph (-fcallgraph-info=su)"
    return {
        "target": target, "compiler": f"{cc} {version}", "flags": flags,
        "functions": dict(sorted(frames.items())),
        "dynamic": sorted(f for f, k in kinds.items() if k != "static"),
        "entry": entry, "worst_path": path, "worst_bytes": sum(frames.get(f, 0) for f in path),
        "external": external, "method": method,
        # the --target the code was generated for (kernels differ: compile for this target)
        "compiled_for": compiled_for[0] if len(compiled_for) == 1 else None,
    }


def _key(title: str) -> str:
    """'path/to/tcm_softmax.c:exp_on_negative_values' -> 'tcm_softmax.c:exp_on_negative_values'."""
    if ":" in title:
        path, name = title.rsplit(":", 1)
        return f"{Path(path).name}:{name}"
    return title


def _parse(build: Path):
    """Frames and calls from the .ci files; frames only from the .su files if there are none.

    A function defined in several translation units (a `static inline` helper the compiler
    kept out of line) counts with its largest frame.
    """
    frames: dict[str, int] = {}
    kinds: dict[str, str] = {}

    def add(name: str, size: int, kind: str) -> None:
        if size >= frames.get(name, -1):
            frames[name], kinds[name] = size, kind

    cis = sorted(build.glob("*.ci"))
    if not cis:
        for su in sorted(build.glob("*.su")):
            for line in su.read_text().splitlines():
                if line.strip():
                    where, size, kind = line.rsplit("\t", 2)
                    add(where.rsplit(":", 1)[1], int(size), kind)
        return frames, kinds, None
    edges: dict[str, set[str]] = {}
    for ci in cis:
        for line in ci.read_text().splitlines():
            node, edge = _NODE.match(line), _EDGE.match(line)
            if node:
                frame = _FRAME.search(node.group(2))
                if frame:  # defined in this unit (a declaration has no frame)
                    add(_key(node.group(1)), int(frame.group(1)), frame.group(2))
            elif edge:
                edges.setdefault(_key(edge.group(1)), set()).add(_key(edge.group(2)))
    return frames, kinds, {k: sorted(v) for k, v in edges.items()}


def _worst_path(entry: str, frames: dict[str, int], edges: dict[str, list[str]]):
    """The chain from `entry` with the most frame bytes (depth-first, memoised)."""
    best: dict[str, tuple[int, list[str]]] = {}
    external: set[str] = set()
    active: list[str] = []

    def visit(f: str) -> tuple[int, list[str]]:
        if f in best:
            return best[f]
        if f in active:
            raise RuntimeError("recursion: " + " -> ".join(active[active.index(f):] + [f]))
        if f not in frames:
            external.add(f)
            return 0, [f]
        if "__indirect_call" in edges.get(f, []):
            raise RuntimeError(f"{f} makes an indirect call: its stack cannot be bounded")
        active.append(f)
        # callees in name order; the first of equal ones wins, so the path is deterministic
        below = max((visit(g) for g in edges.get(f, [])), key=lambda r: r[0], default=(0, []))
        active.pop()
        best[f] = (frames[f] + below[0], [f] + below[1])
        return best[f]

    _, path = visit(entry)
    return path, sorted(external)
