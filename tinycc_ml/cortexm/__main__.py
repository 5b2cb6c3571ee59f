"""Run a bare-metal ELF on a Cortex-M or RV32 core under QEMU with tinycc-ml's own board support.

    python -m tinycc_ml.cortexm bsp                     # folder of startup.c and the linker scripts
    python -m tinycc_ml.cortexm flags cortex-m4         # gcc flags and linker script for that core
    python -m tinycc_ml.cortexm link rv32imc            # the same with C library and start-up file
    python -m tinycc_ml.cortexm run cortex-m4 app.elf [--count] [--timeout 60]

`run` prints the guest's semihosting output and exits with the guest's exit() code (99 on a
fault, 124 past the timeout). With --count, it also prints "insncount region N: <instructions>" on stderr for every
bench_begin()/bench_end() pair the guest executes (exact and repeatable). Building a program:

    arm-none-eabi-gcc $(python -m tinycc_ml.cortexm link cortex-m4) -O2 app.c model/*.c -o app.elf
    riscv64-unknown-elf-gcc $(python -m tinycc_ml.cortexm link rv32imc) -O2 app.c model/*.c -o app.elf
"""

from __future__ import annotations

import argparse
import sys

from ..errors import CompileError
from . import ALIASES, CORES, HERE, link_command, run_elf


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tinycc_ml.cortexm",
                                 description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("bsp", help="print the folder of startup.c and the linker scripts")
    p = sub.add_parser("flags", help="print the gcc flags and linker script for a core")
    p.add_argument("target", choices=sorted(CORES) + sorted(ALIASES))
    p = sub.add_parser("link", help="print the gcc flags for linking a program for a core: "
                       "the flags, the C library, the start-up file and the linker script")
    p.add_argument("target", choices=sorted(CORES) + sorted(ALIASES))
    p = sub.add_parser("run", help="run an ELF under QEMU")
    p.add_argument("target", choices=sorted(CORES) + sorted(ALIASES))
    p.add_argument("elf")
    p.add_argument("--count", action="store_true",
                   help="count instructions between bench_begin() and bench_end()")
    p.add_argument("--timeout", type=float, default=60, help="seconds (default: %(default)s)")
    a = ap.parse_args(argv)
    if a.command == "bsp":
        print(HERE)
        return 0
    target = ALIASES.get(a.target, a.target)
    if a.command == "flags":
        b = CORES[target]
        print(" ".join(b.flags + ["-L", str(HERE), "-T", str(HERE / b.ld)]))
        return 0
    if a.command == "link":
        print(" ".join(link_command(target)[1:]))
        return 0
    try:
        p = run_elf(a.elf, target, count=a.count, timeout=a.timeout)
    except CompileError as e:
        print(f"error: {e.line()}", file=sys.stderr)
        return 2
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
