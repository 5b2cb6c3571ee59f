"""PAD and PADV2 int8 (and int16, pad value 0) with constant paddings (TFLite PAD, PADV2;
Keras ZeroPadding1D/2D/3D and keras.ops.pad / tf.pad become them).

Numerics: tensorflow/lite/kernels/pad.cc EvalInt (TensorFlow 2.21): the input bytes are copied
unchanged (no rescaling, whatever the two scales); the pad value is the output zero point for
PAD, and for PADV2 the int8 constant_values scalar, which must share the output's scale and
zero point. Ranks up to reference_ops::PadKernelMaxDimensionCount() = 5, paddings >= 0.
Kernel: runtime_c/tcm_copy.c tcm_pad_s8.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import OpDef, expect_per_tensor, register
from .layout import byte_pointers
from .signature import Operand, Signature

MAX_RANK = 5                # reference_ops::PadKernelMaxDimensionCount()


@dataclass(frozen=True)
class PadParams:
    paddings: tuple[tuple[int, int], ...]   # per axis of the model's shape
    in_dims: tuple[int, ...]                # MAX_RANK axes, merged (tcm_pad_params)
    before: tuple[int, ...]
    after: tuple[int, ...]
    pad_value: int


def merged_axes(shape, paddings):
    """Axes without padding fold into the axis before them (their rows stay contiguous).
    Returns (dims, before, after), left-extended with unpadded 1s to MAX_RANK axes (the caller
    checks the rank is at most MAX_RANK)."""
    dims, before, after = [], [], []
    for d, (b, a) in zip(shape, paddings):
        if dims and b == 0 and a == 0:
            dims[-1] *= d
            before[-1] *= d
            after[-1] *= d
        else:
            dims.append(d)
            before.append(b)
            after.append(a)
    lead = MAX_RANK - len(dims)
    return (tuple([1] * lead + dims), tuple([0] * lead + before), tuple([0] * lead + after))


_PAD_OPERANDS = (Operand("input", ("int8", "int16")),
                 Operand("paddings", ("int32", "int64"), const=True))
_PAD_OUTPUT = (Operand("output", ("int8", "int16")),)


class _Pad(OpDef):
    signature = Signature(_PAD_OPERANDS, _PAD_OUTPUT)
    # int16 (the 16x8 scheme): the same byte copy with a last axis of 2 bytes; the pad value is
    # then 0 (int16 activations are symmetric), two zero bytes
    int16_own = True

    def check(self, op, g):
        x, paddings, y = op.inputs[0], op.inputs[1], op.outputs[0]
        expect_per_tensor(op, g, y, "output")
        xt, yt, pt = g.tensor(x), g.tensor(y), g.tensor(paddings)
        if xt.is_const:
            raise g.error(op, f"input '{x}' is a constant; padding constants is not supported")
        rank = len(xt.shape)
        if rank > MAX_RANK:
            raise g.error(op, f"input has rank {rank}; TFLite pads at most {MAX_RANK} axes")
        if pt.shape != (rank, 2):
            raise g.error(op, f"paddings have shape {list(pt.shape)}; expected [{rank}, 2]")
        pads = pt.data.astype("int64")
        if (pads < 0).any():
            raise g.error(op, f"paddings {pads.tolist()} are negative")
        want = [d + int(b) + int(a) for d, (b, a) in zip(xt.shape, pads)]
        if list(yt.shape) != want:
            raise g.error(op, f"output shape {list(yt.shape)} is not the padded shape {want}")
        if xt.dtype != yt.dtype:
            raise g.error(op, f"input type {xt.dtype} differs from output type {yt.dtype}")
        zp = yt.qparams()[1]
        if not -128 <= zp <= 127:
            raise g.error(op, f"output zero point {zp} is outside the int8 range")
        self.check_value(op, g)
        if yt.dtype == "int16" and self.pad_value(op, g) != 0:
            raise g.error(op, f"int16 pad value {self.pad_value(op, g)}: only 0 is supported")

    def check_value(self, op, g) -> None:
        pass

    def pad_value(self, op, g) -> int:
        return g.tensor(op.outputs[0]).qparams()[1]

    def prepare(self, op, g):
        xt = g.tensor(op.inputs[0])
        pads = tuple((int(b), int(a)) for b, a in g.tensor(op.inputs[1]).data)
        item = xt.nbytes // max(xt.size, 1)     # int16: a last axis of 2 bytes, merged
        shape, byte_pads = (tuple(xt.shape) + (item,), pads + ((0, 0),)) if item > 1 \
            else (xt.shape, pads)
        dims, before, after = merged_axes(shape, byte_pads)
        return PadParams(paddings=pads, in_dims=dims, before=before, after=after,
                         pad_value=self.pad_value(op, g))

    def describe(self, op, g):
        p = op.params
        pads = ", ".join(f"{b}/{a}" for b, a in p.paddings)
        return f"before/after {pads}, value {p.pad_value}"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_copy.c")

        params = em.struct("params", "tcm_pad_params", {
            "in_dims": tuple(p.in_dims), "before": tuple(p.before), "after": tuple(p.after),
            "pad_value": p.pad_value})
        src, dst = byte_pointers(op, g, em, op.inputs[0], op.outputs[0])
        return f"tcm_pad_s8(&{params}, {src}, {dst});"


@register("PAD")
class Pad(_Pad):
    pass


@register("PADV2")
class PadV2(_Pad):
    signature = Signature(_PAD_OPERANDS + (Operand("constant_values", ("int8", "int16"),
                                                   const=True, optional=True),), _PAD_OUTPUT)

    def check_value(self, op, g):
        if len(op.inputs) < 3 or op.inputs[2] is None:
            return
        c = op.inputs[2]
        ct, yt = g.tensor(c), g.tensor(op.outputs[0])
        if ct.size != 1:
            raise g.error(op, f"constant_values has {ct.size} values; expected a scalar")
        if not ct.is_quantized or ct.qparams() != yt.qparams():
            raise g.error(op, "constant_values must share the output's scale and zero point "
                              f"(has {ct.qparams()}, output {yt.qparams()})")

    def pad_value(self, op, g):
        if len(op.inputs) < 3 or op.inputs[2] is None:
            return super().pad_value(op, g)
        return int(g.tensor(op.inputs[2]).data.reshape(-1)[0])
