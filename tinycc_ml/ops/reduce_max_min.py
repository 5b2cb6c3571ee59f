"""REDUCE_MAX and REDUCE_MIN int8 and int16 over any constant set of axes (TFLite REDUCE_MAX,
REDUCE_MIN; keras.ops.max / keras.ops.min and tf.reduce_max / tf.reduce_min become them).

Numerics: tensorflow/lite/kernels/reduce.cc (TensorFlow 2.21), Register_REDUCE_MAX_REF /
_MIN_REF: PrepareSimple, then EvalGeneric -> EvalType<int8_t> (EvalType<int16_t> for the 16x8 scheme's
int16), which requires the input and output scale and zero point equal (TF_LITE_ENSURE_EQ,
for int8 and int16 alike) and reduces the raw values with
`(in > current) ? in : current` (max) or `<` (min) from numeric_limits lowest() / max(): every
output is one of its group's inputs, no arithmetic. An empty axis list reduces nothing (each
output is its input). The walk is MEAN's (ops/mean.py `Reduction`).
Kernel: runtime_c/tcm_reduce.c tcm_reduce_max_s8 / tcm_reduce_min_s8 and their _s16 forms,
one loop over the element size.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import OpDef, register
from .mean import Reduction, check_reduction, describe_reduction, reduction
from .signature import Operand, Signature


@dataclass(frozen=True)
class ReduceParams:
    loops: Reduction


class _ReduceExtreme(OpDef):
    signature = Signature((Operand("input", ("int8", "int16")),
                           Operand("axis", ("int32",), const=True)),
                          (Operand("output", ("int8", "int16")),))
    int16_own = True          # tcm_reduce_max_s16 / tcm_reduce_min_s16
    function = ""

    def check(self, op, g):
        check_reduction(op, g, empty_axis_ok=True)
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.dtype != y.dtype:
            raise g.error(op, f"input type {x.dtype} differs from output type {y.dtype}")
        (si, zi), (so, zo) = (g.tensor(t).qparams() for t in (op.inputs[0], op.outputs[0]))
        if (si, zi) != (so, zo):
            raise g.error(op, f"input quantization (scale {si:.9g}, zero point {zi}) differs from "
                              f"the output's ({so:.9g}, {zo}); TFLite requires them equal")

    def prepare(self, op, g):
        return ReduceParams(reduction(op, g))

    def inplace_input(self, op, g):
        return 0        # as MEAN: output o is written after its group is read (tcm_reduce.h)

    def describe(self, op, g):
        return describe_reduction(op)

    def emit(self, op, g, em):
        em.use("tcm_reduce.c")
        loops = em.struct("loops", "tcm_reduce_loops", op.params.loops.fields())
        suffix = "s16" if g.tensor(op.inputs[0]).dtype == "int16" else "s8"
        return em.call(f"{self.function}_{suffix}", f"&{loops}", em.tensor(op.inputs[0]),
                       em.tensor(op.outputs[0]))


# REDUCE_MAX (class ReduceMax, tcm_reduce_max_s8 / _s16) and REDUCE_MIN (ReduceMin,
# tcm_reduce_min_s8 / _s16)
for _kind in ("REDUCE_MAX", "REDUCE_MIN"):
    register(_kind)(type(_kind.title().replace("_", ""), (_ReduceExtreme,),
                         {"function": f"tcm_{_kind.lower()}"}))
