"""PACK of int8 (or int16) activations along a new axis (TFLite PACK; tf.stack, keras.ops.stack; Keras'
unrolled LSTM and GRU cells stack their outputs with it). PACK of constant shape values is
folded by passes/fold.py.

Numerics: none -- TensorFlow 2.21 tensorflow/lite/kernels/pack.cc: every input has the same
shape, and (int8) the output's scale and zero point ("we do not support packing quantized
tensors" with other parameters); Eval is reference_ops::Pack, a copy: for each slice over
the axes before `axis`, each input's block in turn. That is CONCATENATION of the inputs seen
with a unit axis inserted: ops/concatenation.py's layout and kernel (runtime_c/tcm_copy.c
tcm_concat).
"""

from __future__ import annotations

import math

from .base import expect_axis, register
from .concatenation import ConcatParams, Concatenation, _q


@register("PACK")
class Pack(Concatenation):
    def _axis(self, op, g) -> int:
        return expect_axis(op, g, int(op.attrs.get("axis", 0)), len(g.tensor(op.outputs[0]).shape),
                           "the output's rank")

    def check(self, op, g):
        y = g.tensor(op.outputs[0])
        if int(op.attrs.get("values_count", len(op.inputs))) != len(op.inputs):
            raise g.error(op, f"values_count {op.attrs.get('values_count')} differs from the "
                              f"{len(op.inputs)} inputs")
        axis = self._axis(op, g)
        first = g.tensor(op.inputs[0]).shape
        want = first[:axis] + (len(op.inputs),) + first[axis:]
        if tuple(y.shape) != want:
            raise g.error(op, f"output shape {list(y.shape)} is not the stacked {list(want)}")
        for k, name in enumerate(op.inputs):
            t = g.tensor(name)
            if t.shape != first:
                raise g.error(op, f"input {k} '{t.name}' has shape {list(t.shape)}, input 0 "
                                  f"{list(first)}")
            if t.per_channel or y.per_channel or t.qparams() != y.qparams():
                raise g.error(op, f"input {k} '{t.name}' is quantized {_q(t)} and the output "
                                  f"{_q(y)}; TFLite's {y.dtype} PACK does not rescale")

    def prepare(self, op, g):
        y = g.tensor(op.outputs[0])
        axis = self._axis(op, g)
        block = math.prod(y.shape[axis + 1:]) * (y.nbytes // max(y.size, 1))   # bytes
        return ConcatParams(axis=axis, outer=math.prod(y.shape[:axis]),
                            bytes=(block,) * len(op.inputs))
