"""What the stateful ops (ops/svdf.py, ops/lstm.py) share: their rescales' QuantizeMultiplier
with the shift the C kernels can apply."""

from __future__ import annotations

from .. import quant


def rescale(op, g, real, what: str) -> tuple[int, int]:
    """QuantizeMultiplier(real) as (multiplier, shift); a shift above 30 (MBQM's `1 << shift`
    would overflow) is refused with the rescale's name."""
    m, shift = quant.quantize_multiplier(float(real))
    if shift > 30:
        raise g.error(op, f"the {what} rescale {float(real):.9g} is too large (shift {shift})")
    return m, shift
