"""What each --target offers the kernels. 'generic' assumes nothing: the portable C99 kernels,
TFLite's reference loops.

- 'host': a 64-bit application processor: the blocked kernels written for vector units, with
  x86 AVX2/VNNI paths under #if, in runtime_c/*_host.*;
- ARMv6-M (cortex-m0plus): Thumb-1 data processing, 8 low registers, MULS (32x32->32), no
  64-bit multiply instruction, no DSP;
- ARMv7-M without DSP (cortex-m3): Thumb-2, SMULL/UMULL/MLA, no SIMD;
- Armv7E-M / Armv8-M Mainline with the DSP extension (cortex-m4, m7, m33): SMLAD/SXTB16;
- Helium (cortex-m55): MVE;
- RV32IMC / RV32IMAC (rv32imc, rv32imac): MUL/MULH, no SIMD (the A extension changes nothing
  for the kernels).
The cores without SIMD (M0+, M3, RV32) get the scalar kernels (runtime_c/*_scalar.*)."""

from __future__ import annotations

TARGETS = ("generic", "host", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7",
           "cortex-m33", "cortex-m55", "rv32imc", "rv32imac")
DSP = frozenset({"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"})
MVE = frozenset({"cortex-m55"})
HOST = frozenset({"host"})
ARMV6M = frozenset({"cortex-m0plus"})
RV32 = frozenset({"rv32imc", "rv32imac"})
ARMV7M = frozenset({"cortex-m3"})     # ARMv7-M without the DSP extension: SMLAL, no SIMD
SCALAR = ARMV6M | RV32 | {"cortex-m3"}
# targets whose code runs on the machine that compiles it (verify builds it there through cffi)
ON_BUILD_MACHINE = frozenset({"generic", "host"})


def has_dsp(target: str) -> bool:
    return target in DSP


def has_mve(target: str) -> bool:
    return target in MVE


def is_host(target: str) -> bool:
    return target in HOST


def is_armv7m_nodsp(target: str) -> bool:
    """ARMv7-M without the DSP extension (cortex-m3): SMLAL, a 64-bit multiply-accumulate."""
    return target in ARMV7M


def is_scalar_mcu(target: str) -> bool:
    """A microcontroller core without SIMD for int8 (M0+, M3, RV32): the scalar kernels."""
    return target in SCALAR
