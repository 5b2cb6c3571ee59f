"""Run generated C on Cortex-M cores under QEMU: cross-build, run, read outputs and exact
instruction counts.

The board support here (startup.c, linker scripts, the QEMU instruction-count plugin
insncount.c) is tinycc-ml's own copy, so `tinycc-ml verify --target cortex-m4` works without
anything but arm-none-eabi-gcc (with newlib) and qemu-system-arm on the PATH:

    apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm

Instruction counts are exact and repeatable (QEMU models no cycles): one inference between the
harness's bench_begin()/bench_end() markers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..compiler import Compiled, write
from ..errors import CompileError
from ..ir import DTYPES

HERE = Path(__file__).resolve().parent

CORES = {
    # target: (gcc flags, QEMU machine, linker script)
    "cortex-m4": (["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
                  "mps2-an386", "mps2_an386.ld"),
    "cortex-m7": (["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
                  "mps2-an500", "mps2_an386.ld"),
    "cortex-m55": (["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"], "mps3-an547",
                   "mps3_an547.ld"),
}


@dataclass
class TargetRun:
    outputs: list[list[np.ndarray]]     # per input vector, per model output
    instructions: list[int]             # per inference
    model_flash: int                    # .text + .rodata + .data of the model's own objects
    model_ram: int                      # .data + .bss of the model's own objects
    elf_flash: int
    elf_ram: int


def require_toolchain() -> None:
    missing = [t for t in ("arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm")
               if shutil.which(t) is None]
    if missing:
        raise CompileError(f"{', '.join(missing)} not found: install gcc-arm-none-eabi, "
                           "libnewlib-arm-none-eabi and qemu-system-arm")


def _c_array(name: str, ctype: str, values: np.ndarray) -> str:
    body = ", ".join(str(int(v)) for v in values.reshape(-1))
    return f"static const {ctype} {name}[{values.size}] = {{ {body} }};"


def harness(compiled: Compiled, inputs: Sequence[Sequence[np.ndarray]], name: str) -> str:
    g = compiled.graph
    lines = ["#include <stdio.h>", "#include <stdint.h>", f'#include "{name}.h"', "",
             "volatile int bench_mark;",
             "__attribute__((noinline, noipa)) void bench_begin(void) { bench_mark = 1; }",
             "__attribute__((noinline, noipa)) void bench_end(void) { bench_mark = 2; }", ""]
    for k, xs in enumerate(inputs):
        for j, x in enumerate(xs):
            lines.append(_c_array(f"in_{k}_{j}", g.tensor(g.inputs[j]).ctype, np.asarray(x)))
    for j, t in enumerate(g.outputs):
        lines.append(f"static {g.tensor(t).ctype} out_{j}[{g.tensor(t).size}];")
    if compiled.options.caller_arena:
        lines.append(f"static uint8_t arena[{max(compiled.plan.arena_bytes, 1)}] "
                     "__attribute__((aligned(16)));")
    lines += ["", "int main(void)", "{", "    unsigned i;", "    int rc;"]
    for k in range(len(inputs)):
        args = [f"in_{k}_{j}" for j in range(len(g.inputs))] + \
               [f"out_{j}" for j in range(len(g.outputs))]
        if compiled.options.caller_arena:
            args.append("arena")
        lines += ["    bench_begin();", f"    rc = {name}_invoke({', '.join(args)});",
                  "    bench_end();", "    if (rc != 0) { return 3; }"]
        for j, t in enumerate(g.outputs):
            lines += [f'    printf("out {k} {j}");',
                      f"    for (i = 0; i < {g.tensor(t).size}u; ++i) {{ printf(\" %d\", (int)out_{j}[i]); }}",
                      '    printf("\\n");']
    lines += ['    printf("done\\n");', "    return 0;", "}", ""]
    return "\n".join(lines)


def _sizes(tool_out: str) -> tuple[int, int]:
    """Berkeley `size` output -> (text+data, data+bss); .rodata is inside text."""
    flash = ram = 0
    for line in tool_out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit():
            text, data, bss = int(parts[0]), int(parts[1]), int(parts[2])
            flash += text + data
            ram += data + bss
    return flash, ram


def cmsis_nn_sources(root: str | Path) -> tuple[list[Path], Path]:
    """The C sources and include folder of a CMSIS-NN checkout (the user's own copy), as its
    README builds it: Source/**/*.c without Bindings/ and the float (_f16/_f32) variants."""
    root = Path(root)
    include = root / "Include"
    if not (include / "arm_nnfunctions.h").exists():
        raise CompileError(f"{root} is not a CMSIS-NN folder (no Include/arm_nnfunctions.h)")
    srcs = sorted(p for p in (root / "Source").rglob("*.c")
                  if "Bindings" not in p.parts and not p.stem.endswith(("_f16", "_f32")))
    return srcs, include


def _library(sources: Sequence[Path], include: Path, cc: list[str], cache: Path) -> Path:
    """Compile a library's sources once per compiler command line into an archive."""
    import hashlib
    key = hashlib.sha256(repr((cc, [str(p) for p in sources])).encode()).hexdigest()[:16]
    lib = cache / f"lib{key}.a"
    if lib.exists():
        return lib
    objdir = cache / key
    objdir.mkdir(parents=True, exist_ok=True)
    objs = []
    for k, c in enumerate(sources):
        o = objdir / f"{k}_{c.stem}.o"
        _run([*cc, "-I", str(include), "-c", str(c), "-o", str(o)])
        objs.append(str(o))
    _run(["arm-none-eabi-ar", "rcs", str(lib), *objs])
    return lib


def build_and_run(compiled: Compiled, inputs: Sequence[Sequence[np.ndarray]], target: str,
                  work: str | Path | None = None, opt: str = "-O2",
                  timeout: int = 600, cmsis_nn: str | Path | None = None) -> TargetRun:
    """Cross-compile the model with a harness for `target`, run it under QEMU, return results.

    `cmsis_nn`: the user's CMSIS-NN folder, needed when the model was compiled with
    `--kernels cmsis-nn`; it is built for the core once and cached."""
    require_toolchain()
    if target not in CORES:
        raise CompileError(f"no QEMU board for target '{target}'; known: {', '.join(CORES)}")
    flags, machine, ld = CORES[target]
    work = Path(work or tempfile.mkdtemp(prefix=f"tinycc-ml-{target}-"))
    src = work / "src"
    write(compiled, src)
    name = next(iter(compiled.files)).rsplit(".", 1)[0]
    (work / "main.c").write_text(harness(compiled, inputs, name))
    cc = ["arm-none-eabi-gcc", *flags, opt, "-std=c99", "-ffunction-sections", "-fdata-sections"]
    includes = ["-I", str(src)]
    libs: list[str] = []
    if compiled.options.kernels == "cmsis-nn":
        if cmsis_nn is None:
            raise CompileError("the model calls CMSIS-NN: give its folder (--cmsis-nn DIR)")
        srcs, inc = cmsis_nn_sources(cmsis_nn)
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tinycc-ml" / "cmsis-nn"
        cache.mkdir(parents=True, exist_ok=True)
        lib = _library(srcs, inc, ["arm-none-eabi-gcc", *flags, opt, "-ffunction-sections",
                                   "-fdata-sections"], cache)
        includes += ["-I", str(inc)]
        libs.append(str(lib))
    objs = []
    for c in sorted(src.glob("*.c")):
        o = work / (c.stem + ".o")
        _run([*cc, *includes, "-c", str(c), "-o", str(o)])
        objs.append(o)
    elf = work / "app.elf"
    _run(["arm-none-eabi-gcc", *flags, opt, "-ffunction-sections", "-fdata-sections",
          "--specs=nano.specs", "--specs=rdimon.specs", "-nostartfiles", "-L", str(HERE),
          "-T", str(HERE / ld), "-Wl,--gc-sections", "-I", str(src),
          str(HERE / "startup.c"), str(work / "main.c"), *map(str, objs), *libs, "-o", str(elf)])
    model_flash, model_ram = _sizes(_run(["arm-none-eabi-size", *map(str, objs)]))
    elf_flash, elf_ram = _sizes(_run(["arm-none-eabi-size", str(elf)]))

    plugin = _plugin()
    begin, end = _symbol(elf, "bench_begin"), _symbol(elf, "bench_end")
    cmd = ["qemu-system-arm", "-M", machine, "-nographic", "-semihosting-config",
           "enable=on,target=native", "-plugin", f"{plugin},begin={begin},end={end}",
           "-d", "plugin", "-kernel", str(elf)]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CompileError(f"QEMU ({machine}) did not finish within {timeout} s") from None
    if p.returncode != 0 or "done" not in p.stdout:
        raise CompileError(f"the model failed on {target} under QEMU (exit {p.returncode}"
                           f"{', a fault' if p.returncode == 99 else ''}): {p.stderr.strip()[-200:]}")
    g = compiled.graph
    outs: list[list[np.ndarray]] = [[None] * len(g.outputs) for _ in inputs]
    for line in p.stdout.splitlines():
        if line.startswith("out "):
            parts = line.split()
            k, j = int(parts[1]), int(parts[2])
            t = g.tensor(g.outputs[j])
            outs[k][j] = np.array([int(v) for v in parts[3:]], dtype=DTYPES[t.dtype][0]).reshape(t.shape)
    counts = [int(m) for m in re.findall(r"insncount region \d+: (\d+)", p.stderr + p.stdout)]
    return TargetRun(outs, counts, model_flash, model_ram, elf_flash, elf_ram)


def _run(cmd: list[str]) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise CompileError(f"{Path(cmd[0]).name} failed: {(p.stderr or p.stdout).strip()[:400]}")
    return p.stdout


def _symbol(elf: Path, name: str) -> str:
    for line in _run(["arm-none-eabi-nm", str(elf)]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return "0x" + parts[0]
    raise CompileError(f"{elf.name} has no symbol {name}")


def _plugin() -> Path:
    """The instruction-count plugin, built with the host gcc once into a cache folder."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tinycc-ml"
    cache.mkdir(parents=True, exist_ok=True)
    so = cache / "libinsncount.so"
    src = HERE / "insncount.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        tmp = cache / f"libinsncount.{os.getpid()}.so"
        _run(["gcc", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HERE),
              "-o", str(tmp), str(src)])
        os.replace(tmp, so)
    return so
