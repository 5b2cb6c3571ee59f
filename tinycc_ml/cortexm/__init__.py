"""Run generated C on Cortex-M cores under QEMU: cross-build, run, read outputs and exact
instruction counts.

The board support here (startup.c, linker scripts, the QEMU instruction-count plugin
insncount.c) is tinycc-ml's own copy, so `tinycc-ml verify --target cortex-m4` works without
anything but arm-none-eabi-gcc (with newlib) and qemu-system-arm on the PATH:

    apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm

Instruction counts are exact and repeatable (QEMU models no cycles): one inference between the
harness's bench_begin()/bench_end() markers. `python -m tinycc_ml.cortexm bsp|flags|run` gives
the same board support to a user's own build (examples/accelerometer_anomaly/Makefile).

Flash and RAM are reported twice: for the model's own objects (NAME.o and the tcm_*.o kernels,
`arm-none-eabi-size` before linking: code, weights, arena) and for the whole test program.
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
TIMED_OUT = 124                         # run_elf's return code when QEMU ran past its timeout
ALIASES = {"m4": "cortex-m4", "m7": "cortex-m7", "m55": "cortex-m55"}


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
    flat = np.asarray(values).reshape(-1)
    if flat.dtype.kind == "f":   # exact: C99 hexadecimal floating constants
        body = ", ".join(float(v).hex() + ("f" if flat.dtype.itemsize == 4 else "") for v in flat)
    else:
        body = ", ".join(str(int(v)) for v in flat)
    return f"static const {ctype} {name}[{flat.size}] = {{ {body} }};"


def harness(compiled: Compiled, inputs: Sequence[Sequence[np.ndarray]], name: str) -> str:
    """main.c for the board: the inputs as const arrays, one NAME_invoke per input vector between
    bench_begin()/bench_end(), each output printed as `out K J <hex bytes>` (little-endian)."""
    g = compiled.graph
    lines = ["#include <stdio.h>", "#include <stdint.h>", f'#include "{name}.h"', "",
             "volatile int bench_mark;",
             "__attribute__((noinline, noipa)) void bench_begin(void) { bench_mark = 1; }",
             "__attribute__((noinline, noipa)) void bench_end(void) { bench_mark = 2; }", "",
             "static void put_hex(unsigned k, unsigned j, const void *data, unsigned bytes)",
             "{",
             '    static const char digits[] = "0123456789abcdef";',
             "    const unsigned char *p = (const unsigned char *)data;",
             "    unsigned i;",
             '    printf("out %u %u ", k, j);',
             "    for (i = 0; i < bytes; ++i) { putchar(digits[p[i] >> 4]); putchar(digits[p[i] & 15u]); }",
             "    putchar('\\n');",
             "}", ""]
    for k, xs in enumerate(inputs):
        for j, x in enumerate(xs):
            lines.append(_c_array(f"in_{k}_{j}", g.tensor(g.inputs[j]).ctype, np.asarray(x)))
    for j, t in enumerate(g.outputs):
        lines.append(f"static {g.tensor(t).ctype} out_{j}[{g.tensor(t).size}];")
    if compiled.options.caller_arena:
        lines.append(f"static uint8_t arena[{max(compiled.plan.arena_bytes, 1)}] "
                     "__attribute__((aligned(16)));")
    lines += ["", "int main(void)", "{", "    int rc;"]
    for k in range(len(inputs)):
        args = [f"in_{k}_{j}" for j in range(len(g.inputs))] + \
               [f"out_{j}" for j in range(len(g.outputs))]
        if compiled.options.caller_arena:
            args.append("arena")
        lines += ["    bench_begin();", f"    rc = {name}_invoke({', '.join(args)});",
                  "    bench_end();", "    if (rc != 0) { return 3; }"]
        lines += [f"    put_hex({k}u, {j}u, out_{j}, (unsigned)sizeof out_{j});"
                  for j in range(len(g.outputs))]
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

    `work`: a folder to build in (kept); by default a temporary one, removed afterwards.
    `cmsis_nn`: the user's CMSIS-NN folder, needed when the model was compiled with
    `--kernels cmsis-nn`; it is built for the core once and cached."""
    require_toolchain()
    if target not in CORES:
        raise CompileError(f"no QEMU board for target '{target}'; known: {', '.join(CORES)}")
    if work is not None:
        return _build_and_run(compiled, inputs, target, Path(work), opt, timeout, cmsis_nn)
    with tempfile.TemporaryDirectory(prefix=f"tinycc-ml-{target}-") as tmp:
        return _build_and_run(compiled, inputs, target, Path(tmp), opt, timeout, cmsis_nn)


def _build_and_run(compiled: Compiled, inputs: Sequence[Sequence[np.ndarray]], target: str,
                   work: Path, opt: str, timeout: int, cmsis_nn: str | Path | None) -> TargetRun:
    flags, _, ld = CORES[target]
    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
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
        cache = cache_dir() / "cmsis-nn"
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

    p = run_elf(elf, target, count=True, timeout=timeout)
    if p.returncode != 0 or "done" not in p.stdout:
        why = {99: ", a fault", 3: ", NAME_invoke returned an error",
               TIMED_OUT: f", stopped after {timeout} s"}.get(p.returncode, "")
        err = " ".join(line for line in p.stderr.splitlines() if not line.startswith("insncount"))
        raise CompileError(f"the model failed on {target} under QEMU (exit {p.returncode}{why})"
                           + (f": {err.strip()[-200:]}" if err.strip() else ""))
    g = compiled.graph
    outs: list[list[np.ndarray]] = [[None] * len(g.outputs) for _ in inputs]
    for line in p.stdout.splitlines():
        if line.startswith("out "):
            _, k, j, hexbytes = line.split()
            t = g.tensor(g.outputs[int(j)])
            dt = np.dtype(DTYPES[t.dtype][0]).newbyteorder("<")
            outs[int(k)][int(j)] = np.frombuffer(bytes.fromhex(hexbytes), dt).astype(
                dt.newbyteorder("=")).reshape(t.shape)
    if any(o is None for row in outs for o in row):
        raise CompileError(f"the harness on {target} printed incomplete outputs")
    counts = [int(m) for m in re.findall(r"insncount region \d+: (\d+)", p.stderr)]
    return TargetRun(outs, counts, model_flash, model_ram, elf_flash, elf_ram)


def run_elf(elf: str | Path, target: str, count: bool = False,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a bare-metal ELF on the target's QEMU board: the guest's semihosting output is the
    result's stdout, its exit() code the return code (99: a fault). With `count`, the plugin
    writes "insncount region N: <instructions>" to stderr for every bench_begin()/bench_end()
    pair. Past `timeout` seconds QEMU is stopped and the return code is TIMED_OUT (124)."""
    require_toolchain()
    target = ALIASES.get(target, target)
    if target not in CORES:
        raise CompileError(f"no QEMU board for target '{target}'; known: {', '.join(CORES)}")
    machine = CORES[target][1]
    cmd = ["qemu-system-arm", "-M", machine, "-nographic",
           "-semihosting-config", "enable=on,target=native"]
    if count:
        begin, end = _symbol(Path(elf), "bench_begin"), _symbol(Path(elf), "bench_end")
        cmd += ["-plugin", f"{_plugin()},begin={begin},end={end}", "-d", "plugin"]
    cmd += ["-kernel", str(elf)]
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout or ""
        return subprocess.CompletedProcess(cmd, TIMED_OUT, out,
                                           f"QEMU ({machine}) did not finish within {timeout:g} s")


def cache_dir() -> Path:
    """Where built helpers are kept (outside any repository): $XDG_CACHE_HOME/tinycc-ml."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tinycc-ml"


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
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    so = cache / "libinsncount.so"
    src = HERE / "insncount.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        if shutil.which("gcc") is None:
            raise CompileError("gcc not found: the host C compiler builds QEMU's "
                               "instruction-count plugin")
        tmp = cache / f"libinsncount.{os.getpid()}.so"
        _run(["gcc", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HERE),
              "-o", str(tmp), str(src)])
        os.replace(tmp, so)
    return so
