"""L2_NORMALIZATION int8 over the last axis (TFLite L2_NORMALIZATION; tf.math.l2_normalize(x,
axis=-1) becomes it).

Numerics: tensorflow/lite/kernels/l2norm.cc (TensorFlow 2.21). Prepare, int8: the output
quantized with scale 1/128 and zero point 0 (TF_LITE_ENSURE_EQ), rank at most 4, no fused
activation. Eval:
reference_integer_ops::L2Normalization (reference/integer_ops/l2normalization.h): per row the
int32 sum of squared offset inputs, GetInvSqrtQuantizedMultiplierExp of it (common.h), each
output MultiplyByQuantizedMultiplier(x - input_zp, multiplier, shift + 7) clamped. The
multiplier depends on the data, so it is computed at run time (runtime_c/tcm_l2norm.c, the same
fixed-point steps as ops/abs_rsqrt.py's compile-time inv_sqrt_multiplier_exp); the layer
carries no Requant.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .base import OpDef, clamp_of, expect_per_tensor, register
from .signature import INT8_UNARY


@dataclass(frozen=True)
class L2NormParams:
    rows: int
    depth: int
    input_offset: int


@register("L2_NORMALIZATION")
class L2Normalization(OpDef):
    signature = INT8_UNARY
    forms = ()              # its rescale is computed from the data at run time

    def check(self, op, g):
        expect_per_tensor(op, g, op.inputs[0], "input")
        expect_per_tensor(op, g, op.outputs[0], "output")
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if not x.shape or x.shape != y.shape or x.size == 0:
            raise g.error(op, f"input {list(x.shape)} and output {list(y.shape)} must have one "
                              "non-empty shape of rank 1 or more")
        if len(x.shape) > 4:
            raise g.error(op, f"input {list(x.shape)} has rank above 4 (TFLite's Prepare: "
                              "NumDimensions(input) <= 4)")
        scale, zp = y.qparams()
        if np.float32(scale) != np.float32(1.0 / 128.0) or zp != 0:
            raise g.error(op, f"output must have scale 1/128 and zero point 0 (TFLite's "
                              f"L2NORM Prepare), has {scale:.9g} and {zp}")
        if clamp_of(op) != (None, None):
            raise g.error(op, "a fused activation is not supported (TFLite's Prepare)")
        if x.shape[-1] * 256 * 256 >= 2**31:
            raise g.error(op, f"rows of {x.shape[-1]} values: the int32 sum of squares may "
                              "overflow")

    def prepare(self, op, g):
        x = g.tensor(op.inputs[0])
        return L2NormParams(math.prod(x.shape[:-1]), x.shape[-1], -x.qparams()[1])

    def inplace_input(self, op, g):
        return 0

    def describe(self, op, g):
        return f"{op.params.rows} x {op.params.depth}"

    def emit(self, op, g, em):
        em.use("tcm_l2norm.c")
        params = em.struct("params", "tcm_l2norm_params", asdict(op.params))   # same fields
        return em.call("tcm_l2_normalization_s8", f"&{params}", em.tensor(op.inputs[0]),
                       em.tensor(op.outputs[0]))
