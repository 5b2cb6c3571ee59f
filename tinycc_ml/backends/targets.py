"""What each --target core offers the kernels: the Armv7E-M DSP extension (SMLAD/SXTB16) and
Helium (MVE). 'generic' assumes nothing (portable C, auto-vectorized on hosts)."""

from __future__ import annotations

DSP = frozenset({"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"})
MVE = frozenset({"cortex-m55"})


def has_dsp(target: str) -> bool:
    return target in DSP


def has_mve(target: str) -> bool:
    return target in MVE
