"""UNPACK of an int8 tensor along one axis (TFLite UNPACK; Keras' LSTM and GRU cells, unrolled,
unstack their input sequence with it; tf.unstack).

Numerics: none -- output k is slice k along the axis, the axis removed, bytes unchanged
(TensorFlow 2.21 tensorflow/lite/kernels/unpack.cc -> reference_ops::Unpack; Prepare: `axis`
negative counted from the end, `num` equal to that dimension and to the number of outputs).
It is SPLIT into pieces of 1 with the axis squeezed: ops/split.py's views and kernel
(runtime_c/tcm_copy.c tcm_copy_view_s8).
"""

from __future__ import annotations

from .base import axis_index, register
from .split import _signature, _Split


@register("UNPACK")
class Unpack(_Split):
    signature = _signature(("input",))
    data_input = 0

    def _axis(self, op, g):
        return axis_index(int(op.attrs.get("axis", 0)), len(g.tensor(op.inputs[0]).shape))

    def sizes(self, op, g, extent):
        num = int(op.attrs.get("num", len(op.outputs)))
        if not num == extent == len(op.outputs):
            return f"num {num}, the axis extent {extent} and the {len(op.outputs)} outputs differ"
        return [1] * extent

    def piece_shape(self, shape, axis, n):
        return shape[:axis] + shape[axis + 1:]
