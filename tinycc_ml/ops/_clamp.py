"""The canonical `clamp` attribute (PLAN.md: (lo, hi) in real units, None for an open end) as
an int8/int16 range, exactly as TFLite's CalculateActivationRangeQuantized computes it for the
fused activation the clamp stands for (quant.activation_range)."""

from __future__ import annotations

from .. import quant

_ACT = {(None, None): quant.ACT_NONE, (0.0, None): quant.ACT_RELU, (0.0, 6.0): quant.ACT_RELU6,
        (-1.0, 1.0): quant.ACT_RELU_N1_TO_1}


def clamp_act(op, g) -> str:
    """The fused activation of op.attrs['clamp'], or a one-line error for another clamp."""
    clamp = op.attrs.get("clamp", (None, None))
    act = _ACT.get(tuple(clamp)) if isinstance(clamp, (tuple, list)) else None
    if act is None:
        raise g.error(op, f"fused activation {clamp} is not supported")
    return act


def clamp_range(op, g, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    return quant.activation_range(clamp_act(op, g), scale, zero_point, dtype)
