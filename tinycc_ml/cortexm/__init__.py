"""Run generated C on microcontroller cores under QEMU (Cortex-M and RV32 RISC-V): cross-build,
run, read outputs and exact instruction counts.

The board support here (startup.c and the linker scripts for the Cortex-M boards, riscv_virt.ld
for RISC-V, the QEMU instruction-count plugin insncount.c, which counts any guest) is tinycc-ml's
own copy, so `tinycc-ml verify --target cortex-m4` works without anything but the cross compiler
and QEMU on the PATH:

    apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm        # Cortex-M
    apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc  # RV32

Boards: M4 on mps2-an386, M7 on mps2-an500, M3 on mps2-an385, M33 on mps2-an505, M55 on
mps3-an547, RV32 on riscv32 `virt` (-bios none; picolibc's semihosting crt0 gives printf and
exit). No QEMU 7.2 board with enough RAM has a Cortex-M0+, so ARMv6-M code (built with
-mcpu=cortex-m0plus) runs on the M3 board: the M3 executes every ARMv6-M instruction, and an
executed-instruction count is a property of the code, not of the board.

Instruction counts are exact and repeatable (QEMU models no cycles): one inference between the
harness's bench_begin()/bench_end() markers. The plugin also classifies every executed
instruction; cycles.py turns the classes into estimated cycles with a per-core table (zero wait
states; an estimate, labelled so wherever it is printed). `python -m tinycc_ml.cortexm bsp|flags|run` gives
the same board support to a user's own build (examples/accelerometer_anomaly/Makefile).

Flash and RAM are reported twice: for the model's own objects (NAME.o and the tcm_*.o kernels,
`size` before linking: code, weights, arena) and for the whole test program.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..compiler import Compiled, write
from ..errors import CompileError
from ..ir import DTYPES
from . import cycles

HERE = Path(__file__).resolve().parent



class Toolchain(NamedTuple):
    """How programs for one instruction set are built and run."""
    prefix: str                     # binutils/gcc prefix: PREFIX-gcc, PREFIX-size, PREFIX-nm
    cflags: list[str]               # compiling: the C library's headers
    link: list[str]                 # C library, semihosting and start-up files
    startup: str | None             # our start-up file in this folder (None: the C library's)
    qemu: str                       # the QEMU binary
    qemu_args: list[str]            # the console: semihosting output on QEMU's stdout
    packages: str                   # the Debian packages that carry them


ARM = Toolchain("arm-none-eabi-", [], ["--specs=nano.specs", "--specs=rdimon.specs", "-nostartfiles"],
                "startup.c", "qemu-system-arm",
                ["-nographic", "-semihosting-config", "enable=on,target=native"],
                "gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm")
RISCV = Toolchain("riscv64-unknown-elf-", ["--specs=picolibc.specs"], ["--specs=picolibc.specs", "--oslib=semihost",
                                           "--crt0=semihost"],
                  None, "qemu-system-riscv32",
                  # picolibc writes stdout with SYS_WRITEC/SYS_WRITE0, which QEMU sends to its
                  # semihosting console: a chardev on stdout (-nographic would put it on stderr)
                  ["-bios", "none", "-display", "none", "-serial", "none", "-monitor", "none",
                   "-chardev", "stdio,id=semihosting",
                   "-semihosting-config", "enable=on,target=native,chardev=semihosting"],
                  "gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf and qemu-system-misc")


class Board(NamedTuple):
    flags: list[str]                # compiler flags selecting the core
    machine: str                    # QEMU machine
    ld: str                         # linker script in this folder

    @property
    def toolchain(self) -> Toolchain:
        return RISCV if self.machine == "virt" else ARM

    def cc(self) -> list[str]:
        """The compiler and flags that build C for this core (add -O, -c and the files)."""
        return [self.toolchain.prefix + "gcc", *self.flags, *self.toolchain.cflags]


_V7M_FP = ["-mthumb", "-mfloat-abi=hard"]
CORES = {
    "cortex-m0plus": Board(["-mcpu=cortex-m0plus", "-mthumb"], "mps2-an385", "mps2_an386.ld"),
    "cortex-m3": Board(["-mcpu=cortex-m3", "-mthumb"], "mps2-an385", "mps2_an386.ld"),
    "cortex-m4": Board(["-mcpu=cortex-m4", *_V7M_FP, "-mfpu=fpv4-sp-d16"], "mps2-an386",
                       "mps2_an386.ld"),
    "cortex-m7": Board(["-mcpu=cortex-m7", *_V7M_FP, "-mfpu=fpv5-d16"], "mps2-an500",
                       "mps2_an386.ld"),
    "cortex-m33": Board(["-mcpu=cortex-m33", *_V7M_FP, "-mfpu=fpv5-sp-d16"], "mps2-an505",
                        "mps2_an505.ld"),
    "cortex-m55": Board(["-mcpu=cortex-m55", *_V7M_FP], "mps3-an547", "mps3_an547.ld"),
    "rv32imc": Board(["-march=rv32imc", "-mabi=ilp32"], "virt", "riscv_virt.ld"),
    "rv32imac": Board(["-march=rv32imac", "-mabi=ilp32"], "virt", "riscv_virt.ld"),
}
TIMED_OUT = 124                         # run_elf's return code when QEMU ran past its timeout
FAULT = 99                              # run_elf's return code when the guest faulted
ALIASES = {"m0+": "cortex-m0plus", "m3": "cortex-m3", "m4": "cortex-m4", "m7": "cortex-m7",
           "m33": "cortex-m33", "m55": "cortex-m55"}


@dataclass
class TargetRun:
    outputs: list[list[np.ndarray]]     # per input vector, per model output
    instructions: list[int]             # per inference
    model_flash: int                    # .text + .rodata + .data of the model's own objects
    model_ram: int                      # .data + .bss of the model's own objects
    elf_flash: int
    elf_ram: int
    classes: list[dict[str, int]] = field(default_factory=list)   # per inference (cycles.py)
    cycles: list[int | None] = field(default_factory=list)        # estimated, per inference


def board(target: str) -> Board:
    """The QEMU board of a --target name (or its short alias, m4, m33...)."""
    target = ALIASES.get(target, target)
    if target not in CORES:
        raise CompileError(f"no QEMU board for target '{target}'; known: {', '.join(CORES)}")
    return CORES[target]


def require_toolchain(target: str = "cortex-m4") -> Toolchain:
    tc = board(target).toolchain
    missing = [t for t in (tc.prefix + "gcc", tc.prefix + "size", tc.qemu)
               if shutil.which(t) is None]
    if missing:
        raise CompileError(f"{', '.join(missing)} not found: install {tc.packages}")
    return tc


def link_command(target: str) -> list[str]:
    """gcc, the core's flags and everything the board adds at link time (C library, semihosting,
    start-up, linker script); append -O, the sources or objects and -o."""
    b = board(target)
    tc = b.toolchain
    return [tc.prefix + "gcc", *b.flags, *tc.link, "-L", str(HERE), "-T", str(HERE / b.ld),
            "-Wl,--gc-sections", *([str(HERE / tc.startup)] if tc.startup else [])]


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


def _library(sources: Sequence[Path], include: Path, cc: list[str], cache: Path,
             ar: str = "arm-none-eabi-ar") -> Path:
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
    _run([ar, "rcs", str(lib), *objs])
    return lib


def build_and_run(compiled: Compiled, inputs: Sequence[Sequence[np.ndarray]], target: str,
                  work: str | Path | None = None, opt: str = "-O2",
                  timeout: int = 600, cmsis_nn: str | Path | None = None) -> TargetRun:
    """Cross-compile the model with a harness for `target`, run it under QEMU, return results.

    `work`: a folder to build in (kept); by default a temporary one, removed afterwards.
    `cmsis_nn`: the user's CMSIS-NN folder, needed when the model was compiled with
    `--kernels cmsis-nn`; it is built for the core once and cached."""
    require_toolchain(target)
    if work is not None:
        return _build_and_run(compiled, inputs, target, Path(work), opt, timeout, cmsis_nn)
    with tempfile.TemporaryDirectory(prefix=f"tinycc-ml-{target}-") as tmp:
        return _build_and_run(compiled, inputs, target, Path(tmp), opt, timeout, cmsis_nn)


def _build_and_run(compiled: Compiled, inputs: Sequence[Sequence[np.ndarray]], target: str,
                   work: Path, opt: str, timeout: int, cmsis_nn: str | Path | None) -> TargetRun:
    b = board(target)
    tc, flags = b.toolchain, b.flags
    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
    write(compiled, src)
    name = next(iter(compiled.files)).rsplit(".", 1)[0]
    (work / "main.c").write_text(harness(compiled, inputs, name))
    cc = [*b.cc(), opt, "-std=c99", "-ffunction-sections", "-fdata-sections"]
    includes = ["-I", str(src)]
    libs: list[str] = []
    if compiled.options.kernels == "cmsis-nn":
        if cmsis_nn is None:
            raise CompileError("the model calls CMSIS-NN: give its folder (--cmsis-nn DIR)")
        srcs, inc = cmsis_nn_sources(cmsis_nn)
        cache = cache_dir() / "cmsis-nn"
        cache.mkdir(parents=True, exist_ok=True)
        lib = _library(srcs, inc, [*b.cc(), opt, "-ffunction-sections",
                                   "-fdata-sections"], cache, tc.prefix + "ar")
        includes += ["-I", str(inc)]
        libs.append(str(lib))
    objs = []
    for c in sorted(src.glob("*.c")):
        o = work / (c.stem + ".o")
        _run([*cc, *includes, "-c", str(c), "-o", str(o)])
        objs.append(o)
    elf = work / "app.elf"
    _run([*link_command(target), opt, "-ffunction-sections", "-fdata-sections", "-I", str(src),
          str(work / "main.c"), *map(str, objs), *libs, "-o", str(elf)])
    model_flash, model_ram = _sizes(_run([tc.prefix + "size", *map(str, objs)]))
    elf_flash, elf_ram = _sizes(_run([tc.prefix + "size", str(elf)]))

    p = run_elf(elf, target, count=True, timeout=timeout)
    if p.returncode != 0 or "done" not in p.stdout:
        why = {FAULT: ", a fault", 3: ", NAME_invoke returned an error",
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
    classes = cycles.parse(p.stderr)
    return TargetRun(outs, counts, model_flash, model_ram, elf_flash, elf_ram, classes,
                     [cycles.estimate(c, ALIASES.get(target, target)) for c in classes])


def run_elf(elf: str | Path, target: str, count: bool = False,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a bare-metal ELF on the target's QEMU board: the guest's semihosting output is the
    result's stdout, its exit() code the return code (99: a fault). With `count`, the plugin
    writes "insncount region N: <instructions>" to stderr for every bench_begin()/bench_end()
    pair. Past `timeout` seconds QEMU is stopped and the return code is TIMED_OUT (124)."""
    tc = require_toolchain(target)
    machine = board(target).machine
    cmd = [tc.qemu, "-M", machine, *tc.qemu_args]
    if count:
        nm = tc.prefix + "nm"
        begin, end = _symbol(Path(elf), "bench_begin", nm), _symbol(Path(elf), "bench_end", nm)
        cmd += ["-plugin", f"{_plugin()},begin={begin},end={end}", "-d", "plugin"]
    cmd += ["-kernel", str(elf)]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        if tc is RISCV and p.returncode == 1 and "RISCV fault" in p.stdout:
            p.returncode = FAULT   # picolibc's trap handler dumps the registers and exits 1
        return p
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


def _symbol(elf: Path, name: str, nm: str) -> str:
    for line in _run([nm, str(elf)]).splitlines():
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
