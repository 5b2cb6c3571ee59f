"""What each --target core offers the kernels. 'generic' assumes nothing (portable C,
auto-vectorized on hosts).

- ARMv6-M (cortex-m0plus): Thumb-1 data processing, 8 low registers, MULS (32x32->32), no
  64-bit multiply instruction, no DSP;
- ARMv7-M without DSP (cortex-m3): Thumb-2, SMULL/UMULL/MLA, no SIMD;
- Armv7E-M / Armv8-M Mainline with the DSP extension (cortex-m4, m7, m33): SMLAD/SXTB16;
- Helium (cortex-m55): MVE;
- RV32IMC / RV32IMAC (rv32imc, rv32imac): MUL/MULH, no SIMD (the A extension changes nothing
  for the kernels)."""

from __future__ import annotations

TARGETS = ("generic", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33",
           "cortex-m55", "rv32imc", "rv32imac")
DSP = frozenset({"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"})
MVE = frozenset({"cortex-m55"})
ARMV6M = frozenset({"cortex-m0plus"})
RV32 = frozenset({"rv32imc", "rv32imac"})


def has_dsp(target: str) -> bool:
    return target in DSP


def has_mve(target: str) -> bool:
    return target in MVE


def is_armv6m(target: str) -> bool:
    return target in ARMV6M


def is_scalar_mcu(target: str) -> bool:
    """A microcontroller core without SIMD for int8 (M0+, M3, RV32): the scalar kernels."""
    return target in ARMV6M | RV32 | {"cortex-m3"}
