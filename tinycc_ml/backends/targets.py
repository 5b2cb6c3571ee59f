"""What each --target offers the kernels: the Armv7E-M DSP extension (SMLAD/SXTB16), Helium
(MVE), or a 64-bit application processor ('host': the blocked kernels written for vector units,
with x86 AVX2/VNNI paths under #if, in runtime_c/*_host.*). 'generic' assumes nothing: the
portable C99 kernels, TFLite's reference loops."""

from __future__ import annotations

DSP = frozenset({"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"})
MVE = frozenset({"cortex-m55"})
HOST = frozenset({"host"})
# targets whose code runs on the machine that compiles it (verify builds it there through cffi)
ON_BUILD_MACHINE = frozenset({"generic", "host"})


def has_dsp(target: str) -> bool:
    return target in DSP


def has_mve(target: str) -> bool:
    return target in MVE


def is_host(target: str) -> bool:
    return target in HOST
