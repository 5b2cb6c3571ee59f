"""Estimated cycles from the QEMU plugin's instruction classes and a per-core timing table.

QEMU models no cycles. The instruction-count plugin (insncount.c) puts every executed instruction
in one class (decoded at translation: loads, stores, LDM/STM/PUSH/POP, multiplies, DSP MACs, SIMD,
divides, FP/Helium loads and others, branches) and counts a few events beside them: registers
moved by the multiple transfers, load/store singles directly after another one, control
transfers taken (inferred from the next executed block), calls and loads of pc. An estimate is
sum(count x cycles) with the table of the core below, at ZERO WAIT STATES (flash and RAM answer
in one cycle; real boards with flash wait states and caches are slower or faster).

The tables come from the cores' Technical Reference Manuals (instruction set summaries:
Cortex-M0+ TRM r0p1 3.3; Cortex-M3 TRM r2p1 3.3; Cortex-M4 TRM r0p1 3.3), with these choices
where a TRM gives a range:
- branch refill P (taken branch 1+P, P = 1..3 on M3/M4): P = 2; on the M0+ a taken branch is
  2 cycles, BL 3, POP {pc} 3+N (the table's `taken`, `call` and `pcload` entries add up to those);
- neighbouring load/store singles pipeline (M3/M4: N of them take N+1 cycles): `pipelined` -1;
  on the M0+ they do not;
- M3 long multiplies 3..7 cycles (early termination): 4; SDIV/UDIV 2..12: 7;
- the M0+ has the single-cycle multiplier option.
- Cortex-M33: Arm publishes no instruction timing table; it is modelled as the M4 (the same
  Armv8-M Mainline DSP instructions, single-cycle MAC, three-stage pipeline).
- Cortex-M55: no TRM table either; scalar code as the M4, and each Helium (MVE) or FP
  instruction 2 cycles (128 bits in four beats, two per cycle: dual-beat, with no overlap of
  consecutive vector instructions credited), which makes the vector part an upper estimate.
- RV32IMC: no particular core: a simple in-order model (ALU 1, load 2 with its use, store 1,
  single-cycle multiplier, divide 34, taken branch or jump 1+2).
An instruction skipped by its condition (Thumb IT blocks) is counted at its class's cost, and
LE's zero-overhead looping on the M55 is not credited. Every figure from here is labelled
"estimated cycles".
"""

from __future__ import annotations

import re

# the plugin's classes, in its output order (insncount.c NAMES)
CLASSES = ("other", "load", "store", "multi", "mul", "mla", "mul_long", "mac", "simd", "div",
           "vector_ldst", "vector", "branch", "regs", "pipelined", "taken", "call", "pcload")

_M4 = dict(other=1, load=2, store=2, multi=1, mul=1, mla=1, mul_long=1, mac=1, simd=1, div=7,
           vector_ldst=2, vector=1, branch=1, regs=1, pipelined=-1, taken=2, call=0, pcload=0)
TABLES: dict[str, dict[str, int]] = {
    "cortex-m0plus": dict(other=1, load=2, store=2, multi=1, mul=1, branch=1, regs=1, pipelined=0,
                          taken=1, call=1, pcload=1),
    "cortex-m3": {**_M4, "mla": 2, "mul_long": 4},
    "cortex-m4": _M4,
    "cortex-m33": _M4,
    "cortex-m55": {**_M4, "vector_ldst": 2, "vector": 2},
    "rv32imc": dict(other=1, load=2, store=1, mul=1, mul_long=1, div=34, branch=1, pipelined=0,
                    taken=2, call=0),
}
TABLES["rv32imac"] = TABLES["rv32imc"]

_LINE = re.compile(r"insnclass region \d+:((?: \w+=\d+)+)")


def parse(stderr: str) -> list[dict[str, int]]:
    """The plugin's "insnclass region N: other=.. load=.." lines, one dict per region."""
    return [{k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
            for m in _LINE.finditer(stderr)]


def estimate(classes: dict[str, int], core: str) -> int | None:
    """Estimated cycles (zero wait states) of one region's class counts on `core`; None for a
    core without a table (Cortex-M7) or a class the core cannot execute."""
    table = TABLES.get(core)
    if table is None:
        return None
    if any(n and c not in table for c, n in classes.items()):
        return None
    return sum(n * table.get(c, 0) for c, n in classes.items())
