"""AVERAGE_POOL_2D and MAX_POOL_2D int8 and int16 (later ONNX AveragePool/MaxPool,
GlobalAveragePool).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h AveragePool (the
sum over the part of the window inside the image, divided by that part's tap count rounding
half away from zero) and MaxPool; both clamp to the fused activation range. Prepare:
tensorflow/lite/kernels/pooling.cc GenericPrepare: padding from ComputePaddingHeightWidth
(tinycc_ml/ops/_conv_common.py, shared with the convolutions), activation range from the
output's quantization; input and output must share scale and zero point (TFLite DCHECKs
|scale difference| <= 1e-6 and equal zero points; the kernels do not rescale).
Kernels: PoolCmsisNN (arm_avgpool_s8, arm_max_pool_s8; --kernels cmsis-nn), PoolPortable
(runtime_c/tcm_pool.c). 16x8 (int16, ops/_int16.py): PoolPortableS16 (runtime_c/tcm_pool_s16.c,
the same reference loops on int16).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import quant
from ..backends import cmsis_nn
from . import _conv_common as cc, pool_ort
from ._ort import onnxruntime_rules
from ._requant import TFLITE_ROUND_DIVIDE, Requant
from .base import Kernel, OpDef, clamp_of, expect_per_tensor, register
from .signature import Operand, Signature

SCALE_TOLERANCE = 1e-6      # pooling.cc: TFLITE_DCHECK_LE(|input scale - output scale|, 1e-6)


@dataclass(frozen=True)
class PoolParams:
    win: cc.Window
    act_min: int
    act_max: int
    rq: Requant | None      # AVERAGE_POOL_2D: the rounded division (no multiplier); MAX: None


class PoolPortable(Kernel):
    """tcm_avg_pool_s8 / tcm_max_pool_s8 (tcm_pool.c)."""

    forms = (TFLITE_ROUND_DIVIDE,)     # AVERAGE_POOL_2D; MAX_POOL_2D's layers have no form

    def __init__(self, c_function: str):
        self.c_function = c_function

    def emit(self, layer, em, decision):
        p = layer.params
        if not self.int16:
            em.use("tcm_pool.c")
        fields = cc.window_fields(p.win, None)
        fields.update(act_min=p.act_min, act_max=p.act_max)
        params = em.struct("params", "tcm_window", fields)
        return em.call(self.c_function, f"&{params}", em.tensor(layer.op.inputs[0]),
                       em.tensor(layer.op.outputs[0]))


class PoolPortableS16(PoolPortable):
    """tcm_avg_pool_s16 / tcm_max_pool_s16 (tcm_pool_s16.c): int16 activations."""
    int16 = True

    def emit(self, layer, em, decision):
        em.use("tcm_pool_s16.c")
        return super().emit(layer, em, decision)


class PoolCmsisNN(Kernel):
    """arm_avgpool_s8 / arm_max_pool_s8: bit-exact with the reference (taps inside the image
    only, the same rounded division; backends/cmsis_nn.py), so every layer is eligible."""
    backend = "cmsis-nn"
    forms = (TFLITE_ROUND_DIVIDE,)

    def __init__(self, c_function: str):
        self.c_function = c_function

    def scratch_bytes(self, layer, ctx, decision):
        """arm_avgpool_s8_get_buffer_size(output_w, channels), _dsp or _mve for the core;
        arm_max_pool_s8 needs none."""
        if self.c_function != "arm_avgpool_s8":
            return 0
        return cmsis_nn.avgpool_buffer_size(ctx.target, layer.params.win.in_c)

    def emit(self, layer, em, decision):
        p = layer.params
        return cmsis_nn.pool(em, self.c_function, x=em.tensor(layer.op.inputs[0]),
                             y=em.tensor(layer.op.outputs[0]), win=p.win, act_min=p.act_min,
                             act_max=p.act_max, scratch_size=em.scratch_bytes)


class _Pool(OpDef):
    signature = Signature((Operand("input", ("int8", "int16")),),
                          (Operand("output", ("int8", "int16")),))
    averages = False

    def _window(self, op, g) -> cc.Window:
        kh, kw = (int(v) for v in op.attrs.get("window", (0, 0)))
        return cc.window(op, g, kh, kw, g.tensor(op.inputs[0]).shape[-1])

    def check(self, op, g):
        expect_per_tensor(op, g, op.inputs[0], "input")
        expect_per_tensor(op, g, op.outputs[0], "output")
        from . import _int16
        io = ((op.inputs[0], "input"), (op.outputs[0], "output"))
        int16 = g.tensor(op.inputs[0]).dtype == "int16"
        _int16.check_activations(op, g, io)
        (si, zi), (so, zo) = g.tensor(op.inputs[0]).qparams(), g.tensor(op.outputs[0]).qparams()
        if zi != zo or abs(si - so) > SCALE_TOLERANCE:
            raise g.error(op, f"input quantization (scale {si:.9g}, zero point {zi}) differs from "
                              f"the output's ({so:.9g}, {zo}); TFLite requires them equal")
        win = self._window(op, g)
        if int16 and win.k_h * win.k_w >= 1 << 16:
            raise g.error(op, f"a {win.k_h}x{win.k_w} window: the int32 sum of int16 values "
                              "may overflow")

    def prepare(self, op, g):
        scale, zp = g.tensor(op.outputs[0]).qparams()
        lo, hi = quant.activation_range(clamp_of(op), scale, zp,
                                        g.tensor(op.outputs[0]).dtype)
        rq = Requant(zp, zp, lo, hi, form=TFLITE_ROUND_DIVIDE) if self.averages else None
        return PoolParams(self._window(op, g), lo, hi, rq)

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w

    def describe(self, op, g):
        return cc.describe(op.params.win, clamp_of(op))


@register("AVERAGE_POOL_2D")
@onnxruntime_rules(pool_ort.AVG_RULES)
class AveragePool2D(_Pool):
    averages = True
    kernels = (PoolCmsisNN("arm_avgpool_s8"), PoolPortable("tcm_avg_pool_s8"),
               PoolPortableS16("tcm_avg_pool_s16"))


@register("MAX_POOL_2D")
@onnxruntime_rules(pool_ort.MAX_RULES)
class MaxPool2D(_Pool):
    kernels = (PoolCmsisNN("arm_max_pool_s8"), PoolPortable("tcm_max_pool_s8"),
               PoolPortableS16("tcm_max_pool_s16"))
