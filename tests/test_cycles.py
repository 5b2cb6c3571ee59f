"""The QEMU plugin's instruction classes and the estimated-cycle tables, on hand-counted loops.

Each loop in tests/cycles/ is assembly, so the executed instructions are known exactly: the
expected class counts are counted by hand from the listing (its comments), and the expected
cycles by hand from the cores' Technical Reference Manuals (the sums below), not from the
plugin or from cycles.py."""

from __future__ import annotations

import subprocess

import pytest

from tests.util import REPO

HERE = REPO / "tests" / "cycles"
ZERO = dict.fromkeys(("other", "load", "store", "multi", "mul", "mla", "mul_long", "mac", "simd",
                      "div", "vector_ldst", "vector", "branch", "regs", "pipelined", "taken",
                      "call", "pcload"), 0)

LOOPS = {
    # push 1, ldr 1, movs 1, 10 x 11 in the loop, bl 1, pop.w 1, helper 2: 117 instructions
    ("cortex-m4", "loop_thumb.S"): (117, dict(
        other=11, load=21, store=10, multi=4, mul=10, mla=10, mul_long=10, mac=10, simd=10,
        div=10, branch=11, regs=10, pipelined=20, taken=11, call=1, pcload=1)),
    # push 1, ldr 1, movs 1, 10 x 7, bl 1, pop 2, mov 1, helper 2: 79
    ("cortex-m0plus", "loop_thumb.S"): (79, dict(
        other=22, load=21, store=10, multi=5, mul=10, branch=11, regs=8, pipelined=20,
        taken=11, call=1, pcload=1)),
    # addi, sw, lui, addi, li, 10 x 8, jal, lw, addi, helper's ret: 89
    ("rv32imc", "loop_rv32.S"): (89, dict(
        other=15, load=21, store=11, mul=10, mul_long=10, div=10, branch=12, pipelined=20,
        taken=11, call=1)),
    # push, ldr, movs, movs, dls, 4 x 3, pop: 18
    ("cortex-m55", "loop_mve.S"): (18, dict(
        other=2, load=1, multi=2, vector_ldst=4, vector=4, branch=5, regs=4, taken=3)),
}

# Hand counts from the TRMs' instruction tables (P = 2 for a taken branch on M3/M4, SDIV 7):
M4_CYCLES = (4 + 2 + 1                        # push {r4,r5,lr} 1+3, ldr literal 2, movs 1
             + 9 * (2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 7 + 1 + 3)   # ldr, ldr and str pipelined,
             + (2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 7 + 1 + 1)       # mul..smull, sdiv, subs, bne
             + 3 + 3 + 5 + 4)                 # bl 1+P, push {r4,lr} 1+2, pop {r4,pc} 1+2+P, pop.w 1+3
M0_CYCLES = (4 + 2 + 1                        # push 1+3, ldr 2, movs 1
             + 9 * (2 + 2 + 2 + 1 + 1 + 1 + 2) + (2 + 2 + 2 + 1 + 1 + 1 + 1)  # bne taken 2, not 1
             + 3 + 2 + 4 + 3 + 2 + 1)         # bl 3, push {lr} 2, pop {pc} 3+1, pop 1+2, 1+1, mov

RV_CYCLES = (5                                # addi, sw (store 1), lui, addi, li
             + 9 * (2 + 2 + 1 + 1 + 1 + 34 + 1 + 3) + (2 + 2 + 1 + 1 + 1 + 34 + 1 + 1)
             + 3 + 2 + 1 + 3)                 # jal 1+2, lw 2, addi 1, the helper's ret 1+2


def _run(core: str, source: str, tmp_path):
    from tinycc_ml.cortexm import link_command, run_elf
    from tinycc_ml.cortexm.cycles import parse
    elf = tmp_path / "loop.elf"
    subprocess.run([*link_command(core), "-O2", str(HERE / "main.c"), str(HERE / source),
                    "-o", str(elf)], check=True, capture_output=True, text=True)
    p = run_elf(elf, core, count=True)
    assert p.returncode == 0, p.stderr
    counts = [int(line.split()[-1]) for line in p.stderr.splitlines()
              if line.startswith("insncount region")]
    return counts, parse(p.stderr)


@pytest.mark.parametrize("core,source", list(LOOPS))
def test_classes_of_a_hand_counted_loop(core, source, tmp_path):
    counts, classes = _run(core, source, tmp_path)
    insns, expected = LOOPS[core, source]
    assert counts == [insns]
    assert classes == [{**ZERO, **expected}]
    primary = sum(v for k, v in classes[0].items()
                  if k not in ("regs", "pipelined", "taken", "call", "pcload"))
    assert primary == insns   # the classes partition the instructions


def test_estimate_matches_the_trm_hand_count():
    from tinycc_ml.cortexm.cycles import estimate
    m4 = {**ZERO, **LOOPS["cortex-m4", "loop_thumb.S"][1]}
    m0 = {**ZERO, **LOOPS["cortex-m0plus", "loop_thumb.S"][1]}
    assert estimate(m4, "cortex-m4") == M4_CYCLES == 220
    assert estimate(m0, "cortex-m0plus") == M0_CYCLES == 131
    rv = {**ZERO, **LOOPS["rv32imc", "loop_rv32.S"][1]}
    assert estimate(rv, "rv32imc") == RV_CYCLES == 462
    assert estimate(m4, "cortex-m0plus") is None     # SMLAD etc. are not Armv6-M
    assert estimate(m4, "cortex-m7") is None          # no table
    # the M3 differs from the M4 only in MLA (2) and SMULL (4)
    assert estimate(m4, "cortex-m3") == M4_CYCLES + 10 * (2 - 1) + 10 * (4 - 1)
