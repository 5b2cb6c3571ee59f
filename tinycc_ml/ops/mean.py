"""MEAN int8 and int16 over any constant set of axes (TFLite MEAN; Keras
GlobalAveragePooling2D and keras.ops.mean / tf.reduce_mean become it).

Numerics: tensorflow/lite/kernels/reduce.cc (TensorFlow 2.21). PrepareMeanOrSum computes
QuantizeMultiplier(double(in_scale) / double(out_scale)); EvalMean sends every int8 MEAN,
whatever its axes and keep_dims, to EvalQuantizedMean -> reference_ops::QuantizedMeanOrSum
(reference/reduce.h), which folds 1/n into that multiplier:
  shift_n = min(floor(log2 n), 32, 31 + shift); multiplier = (multiplier << shift_n) / n;
  shift -= shift_n
and computes MultiplyByQuantizedMultiplier(sum(x) - input_zp * n, multiplier, shift)
+ output_zp, clamped. (Older TensorFlow sent [1,H,W,C] over axes 1, 2 with keep_dims to
reference_integer_ops::Mean, which divides after requantizing; 2.21 does not.)
Kernel: runtime_c/tcm_reduce.c. 16x8 (int16, ops/_int16.py): MeanS16, runtime_c/tcm_reduce_s16.c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import quant
from ._fixedpoint import wrap
from ._requant import TFLITE_DOUBLE, Requant
from .base import Kernel, OpDef, expect_per_tensor, register
from .signature import Operand, Signature

LEVELS = 3                  # kept / reduced loop levels of tcm_mean_s8


@dataclass(frozen=True)
class Reduction:
    """How a reduction walks its input (MEAN here, REDUCE_MAX / REDUCE_MIN in
    ops/reduce_max_min.py): the fields of tcm_reduce.h's loops."""
    axes: tuple[int, ...]           # resolved, sorted, unique
    n: int                          # values reduced per output
    outer: tuple[int, ...]          # kept merged axes, LEVELS entries (1 = unused)
    outer_stride: tuple[int, ...]
    inner: tuple[int, ...]          # reduced merged axes
    inner_stride: tuple[int, ...]

    def fields(self) -> dict:
        return {"outer": self.outer, "outer_stride": self.outer_stride, "inner": self.inner,
                "inner_stride": self.inner_stride}


@dataclass(frozen=True)
class MeanParams:
    loops: Reduction
    sum_offset: int                 # -input_zp * n, wrapped to int32
    rq: Requant                     # the sum's rescale, 1/n folded in (mean_multiplier)


def resolve_axes(axis_values, rank: int) -> tuple[int, ...] | None:
    """reference_ops::ResolveAxis: negative axes count from the end, duplicates dropped."""
    out = []
    for a in axis_values:
        a = int(a)
        if a < -rank or a >= rank:
            return None
        a = a + rank if a < 0 else a
        if a not in out:
            out.append(a)
    return tuple(sorted(out))


def merged_loops(shape: tuple[int, ...], axes: tuple[int, ...]):
    """Neighbouring axes of the same kind merged: [(extent, stride, reduced), ...] outer first."""
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    loops: list[list] = []
    for i, extent in enumerate(shape):
        if extent == 1:
            continue                      # a unit axis is a no-op either way
        reduced = i in axes
        if loops and loops[-1][2] == reduced and loops[-1][1] == extent * strides[i]:
            loops[-1][0] *= extent
            loops[-1][1] = strides[i]
        else:
            loops.append([extent, strides[i], reduced])
    return [tuple(x) for x in loops]


def mean_multiplier(in_scale: float, out_scale: float, n: int) -> tuple[int, int]:
    """PrepareMeanOrSum's multiplier with QuantizedMeanOrSum's 1/n folded in."""
    multiplier, shift = quant.quantize_multiplier(float(quant.f32(in_scale)) /
                                                  float(quant.f32(out_scale)))
    shift_n = (n.bit_length() - 1)              # 63 - CountLeadingZeros(uint64 n)
    shift_n = min(shift_n, 32, 31 + shift)
    return (multiplier << shift_n) // n, shift - shift_n


def check_reduction(op, g, empty_axis_ok: bool) -> None:
    """The checks every reduction makes: input and output per tensor, the input not constant
    nor empty, the axes in range, the output shape the reduced one, the loops fit LEVELS."""
    x, axis, y = op.inputs[0], op.inputs[1], op.outputs[0]
    expect_per_tensor(op, g, x, "input")
    expect_per_tensor(op, g, y, "output")
    xt, yt = g.tensor(x), g.tensor(y)
    if xt.is_const:
        raise g.error(op, f"input '{x}' is a constant; {op.kind} of constants is not supported")
    if xt.size == 0:
        raise g.error(op, f"input {list(xt.shape)} is empty")
    values = g.tensor(axis).data.reshape(-1)
    if values.size == 0 and not empty_axis_ok:
        raise g.error(op, "the axis tensor is empty (TFLite copies the input unchanged); "
                          "not supported")
    axes = resolve_axes(values, len(xt.shape))
    if axes is None:
        raise g.error(op, f"axis {list(int(v) for v in values)} is out of range for rank "
                          f"{len(xt.shape)}")
    keep = [1 if i in axes else d for i, d in enumerate(xt.shape)]
    want = keep if op.attrs.get("keep_dims", False) else [d for i, d in enumerate(xt.shape)
                                                           if i not in axes]
    if list(yt.shape) != want:
        raise g.error(op, f"output shape {list(yt.shape)} is not the reduced shape {want}")
    loops = merged_loops(xt.shape, axes)
    for reduced in (False, True):
        if sum(1 for lp in loops if lp[2] == reduced) > LEVELS:
            raise g.error(op, f"axes {list(axes)} of shape {list(xt.shape)} interleave kept "
                              f"and reduced axes more than {LEVELS} times")


def reduction(op, g) -> Reduction:
    """The loops of a reduction that passed check_reduction."""
    shape = g.tensor(op.inputs[0]).shape
    axes = resolve_axes(g.tensor(op.inputs[1]).data.reshape(-1), len(shape))
    loops = merged_loops(shape, axes)

    def levels(reduced):
        chosen = [(e, s) for e, s, r in loops if r == reduced]
        chosen = [(1, 0)] * (LEVELS - len(chosen)) + chosen
        return tuple(e for e, _ in chosen), tuple(s for _, s in chosen)
    outer, outer_stride = levels(False)
    inner, inner_stride = levels(True)
    return Reduction(axes, math.prod(shape[a] for a in axes), outer, outer_stride, inner,
                     inner_stride)


def describe_reduction(op) -> str:
    r = op.params.loops
    keep = ", keep_dims" if op.attrs.get("keep_dims", False) else ""
    return f"axes {list(r.axes)}{keep}, {r.n} values per output"


@register("MEAN")
class Mean(OpDef):
    signature = Signature((Operand("input", ("int8", "int16")),
                           Operand("axis", ("int32",), const=True)),
                          (Operand("output", ("int8", "int16")),))

    def check(self, op, g):
        check_reduction(op, g, empty_axis_ok=False)
        xt, yt = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        from . import _int16
        int16 = xt.dtype == "int16"
        _int16.check_activations(op, g, ((op.inputs[0], "input"), (op.outputs[0], "output")))
        axes = resolve_axes(g.tensor(op.inputs[1]).data.reshape(-1), len(xt.shape))
        n = math.prod(xt.shape[a] for a in axes)
        if (32768 if int16 else 128) * n >= 2**31:
            raise g.error(op, f"averages {n} values; the int32 sum may overflow")
        in_scale, out_scale = xt.qparams()[0], yt.qparams()[0]
        if not (in_scale > 0 and out_scale > 0 and math.isfinite(in_scale / out_scale)):
            raise g.error(op, f"scales must be positive (input {in_scale:.9g}, "
                              f"output {out_scale:.9g})")
        if mean_multiplier(in_scale, out_scale, n)[1] > 30:
            raise g.error(op, f"the requantization scale {in_scale / out_scale / n:.9g} is too "
                              "large (shift > 30)")

    def prepare(self, op, g):
        loops = reduction(op, g)
        (in_scale, in_zp), (out_scale, out_zp) = (g.tensor(t).qparams()
                                                  for t in (op.inputs[0], op.outputs[0]))
        multiplier, shift = mean_multiplier(in_scale, out_scale, loops.n)
        return MeanParams(loops=loops, sum_offset=wrap(-in_zp * loops.n, 32),
                          rq=Requant(in_zp, out_zp, -128, 127, multiplier, shift, TFLITE_DOUBLE))

    def inplace_input(self, op, g):
        return 0

    def describe(self, op, g):
        return describe_reduction(op)

    @property
    def kernels(self):
        return OpDef.kernels.fget(self) + (_MEAN_S16,)

    def emit(self, op, g, em):
        em.use("tcm_reduce.c")
        params = _struct(op.params, em)
        return f"tcm_mean_s8(&{params}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});"


def _struct(p, em) -> str:
    return em.struct("params", "tcm_mean_params", {
        "loops": "{ " + ", ".join(f".{k} = {{ {', '.join(map(str, v))} }}"
                                  for k, v in p.loops.fields().items()) + " }",
        "sum_offset": p.sum_offset, "multiplier": p.rq.multiplier, "shift": p.rq.shift,
        "output_offset": p.rq.output_zp})


# --- 16x8: int16 activations (ops/_int16.py) ---

class MeanS16(Kernel):
    """tcm_mean_s16 (tcm_reduce_s16.c): QuantizedMeanOrSum on int16; in place as the int8
    kernel (the same element size in and out)."""
    c_function = "tcm_mean_s16"
    forms = (TFLITE_DOUBLE,)
    int16 = True

    def inplace(self, layer, decision):
        return 0, 0

    def emit(self, layer, em, decision):
        op = layer.op
        em.use("tcm_reduce.c", "tcm_reduce_s16.c")
        return em.call(self.c_function, f"&{_struct(layer.params, em)}", em.tensor(op.inputs[0]),
                       em.tensor(op.outputs[0]))


_MEAN_S16 = MeanS16()
