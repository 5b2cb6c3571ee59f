"""BATCH_MATMUL int8 (TFLite BATCH_MATMUL; keras.ops.matmul / tf.linalg.matmul of activations,
or of an activation and a constant), rank 2 to 5, broadcast batch dimensions, adj_x / adj_y.

Numerics: tensorflow/lite/kernels/batch_matmul.cc (TensorFlow 2.21). Prepare: int8 operands and
output per tensor, GetQuantizedConvolutionMultipler (lhs_scale * rhs_scale in float32, then
/ out_scale in double) -> QuantizeMultiplier; no fused activation (range -128..127). EvalInt8 ->
reference_ops::BatchMatMul<int8_t, int32_t> (reference/batch_matmul.h): int32 sums of
(lhs - lhs_zp) * (rhs - rhs_zp), MultiplyByQuantizedMultiplier (double rounding), + output_zp,
clamped. Canonical attributes: adj_x, adj_y. Kernel: runtime_c/tcm_batch_matmul.c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import quant
from ._requant import TFLITE_DOUBLE, Requant
from .base import OpDef, expect_per_tensor, register
from .signature import Operand, Signature

BATCH = 3          # batch dimensions of tcm_batch_matmul_s8 (rank 5 at most)


@dataclass(frozen=True)
class BatchMatMulParams:
    fields: dict               # tcm_batch_matmul_params (its rescale fields from rq)
    rq: Requant
    rows: int
    cols: int
    depth: int
    batches: int


def _strides(shape: tuple[int, ...]) -> list[int]:
    out = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        out[i] = out[i + 1] * shape[i + 1]
    return out


def _layout(op, g):
    """(out_shape, lhs5, rhs5, adj_x, adj_y) with shapes extended to rank 5, or a reason."""
    a, b = g.tensor(op.inputs[0]).shape, g.tensor(op.inputs[1]).shape
    if not (2 <= len(a) <= 5 and 2 <= len(b) <= 5):
        return f"operands {list(a)} and {list(b)} must have rank 2 to 5"
    rank = max(len(a), len(b))
    a5 = (1,) * (5 - len(a)) + tuple(a)
    b5 = (1,) * (5 - len(b)) + tuple(b)
    adj_x, adj_y = bool(op.attrs.get("adj_x", False)), bool(op.attrs.get("adj_y", False))
    batch = []
    for da, db in zip(a5[:BATCH], b5[:BATCH]):
        if da != db and 1 not in (da, db):
            return f"batch dimensions of {list(a)} and {list(b)} do not broadcast"
        batch.append(max(da, db))
    rows, depth_a = (a5[4], a5[3]) if adj_x else (a5[3], a5[4])
    depth_b, cols = (b5[4], b5[3]) if adj_y else (b5[3], b5[4])
    if depth_a != depth_b:
        return (f"lhs {list(a)}{' (adj_x)' if adj_x else ''} and rhs {list(b)}"
                f"{' (adj_y)' if adj_y else ''} disagree on the summed dimension")
    out = tuple(batch[BATCH - (rank - 2):]) + (rows, cols) if rank > 2 else (rows, cols)
    return out, a5, b5, adj_x, adj_y


@register("BATCH_MATMUL")
class BatchMatMul(OpDef):
    signature = Signature((Operand("lhs", ("int8",)), Operand("rhs", ("int8",))))

    def output_shape(self, op, g):
        lay = _layout(op, g)
        return None if isinstance(lay, str) else lay[0]

    def check(self, op, g):
        for name, role in ((op.inputs[0], "lhs"), (op.inputs[1], "rhs"), (op.outputs[0], "output")):
            expect_per_tensor(op, g, name, role)
        if g.tensor(op.inputs[0]).is_const and g.tensor(op.inputs[1]).is_const:
            raise g.error(op, "both operands are constants; not supported")
        lay = _layout(op, g)
        if isinstance(lay, str):
            raise g.error(op, lay)
        out = g.tensor(op.outputs[0]).shape
        if tuple(out) != lay[0]:
            raise g.error(op, f"output shape {list(out)} is not the product's {list(lay[0])}")
        a, b = g.tensor(op.inputs[0]).shape, g.tensor(op.inputs[1]).shape
        if lay[3] and len(a) > 2 and len(b) > 2 and b[-3] == 1 and a[-3] > 1:
            # batch_matmul.cc Eval compresses lhs [..., Q, R, S] to [..., Q * R, S] when rhs is
            # [..., 1, X, Y], also under adj_x, where R is the summed axis: BUILTIN_REF then
            # computes 1/Q of the output and leaves the rest unwritten
            raise g.error(op, f"adj_x with lhs {list(a)} and rhs {list(b)}: TFLite's kernel "
                              "merges lhs axis -3 into the summed axis (no reference result)")
        depth = lay[1][3] if lay[3] else lay[1][4]
        if depth * 255 * 255 >= 2**31:
            raise g.error(op, f"sums {depth} products; the int32 sum may overflow")
        self._requant(op, g)

    def _requant(self, op, g) -> tuple[int, int]:
        (ls, _), (rs, _) = g.tensor(op.inputs[0]).qparams(), g.tensor(op.inputs[1]).qparams()
        os_ = g.tensor(op.outputs[0]).qparams()[0]
        if not (ls > 0 and rs > 0 and os_ > 0 and math.isfinite(ls * rs / os_)):
            raise g.error(op, "scales must be positive and finite")
        m, shift = quant.per_tensor_conv_multiplier(ls, rs, os_)
        if shift > 30:
            raise g.error(op, f"the requantization scale {ls * rs / os_:.9g} is too large "
                              "(shift > 30)")
        return m, shift

    def prepare(self, op, g):
        out, a5, b5, adj_x, adj_y = _layout(op, g)
        sa, sb = _strides(a5), _strides(b5)
        rows, depth = (a5[4], a5[3]) if adj_x else (a5[3], a5[4])
        cols = b5[3] if adj_y else b5[4]
        batch = [max(x, y) for x, y in zip(a5[:BATCH], b5[:BATCH])]
        m, shift = self._requant(op, g)
        fields = {
            "batch": tuple(batch),
            "lhs_batch": tuple(0 if a5[i] == 1 else sa[i] for i in range(BATCH)),
            "rhs_batch": tuple(0 if b5[i] == 1 else sb[i] for i in range(BATCH)),
            "rows": rows, "cols": cols, "depth": depth,
            "lhs_row": 1 if adj_x else sa[3], "lhs_depth": sa[3] if adj_x else 1,
            "rhs_depth": 1 if adj_y else sb[3], "rhs_col": sb[3] if adj_y else 1,
            "lhs_offset": -g.tensor(op.inputs[0]).qparams()[1],
            "rhs_offset": -g.tensor(op.inputs[1]).qparams()[1]}
        rq = Requant(0, g.tensor(op.outputs[0]).qparams()[1], -128, 127, m, shift, TFLITE_DOUBLE)
        fields.update(multiplier=rq.multiplier, shift=rq.shift, output_offset=rq.output_zp)
        return BatchMatMulParams(fields=fields, rq=rq, rows=rows, cols=cols, depth=depth,
                                 batches=math.prod(batch))

    def macs(self, op, g):
        p = op.params
        return p.batches * p.rows * p.cols * p.depth

    def describe(self, op, g):
        adj = [n for n in ("adj_x", "adj_y") if op.attrs.get(n, False)]
        p = op.params
        return ", ".join([f"{p.batches} x [{p.rows}x{p.depth}] x [{p.depth}x{p.cols}]"] + adj)

    def emit(self, op, g, em):
        em.use("tcm_batch_matmul.c")
        params = em.struct("params", "tcm_batch_matmul_params", op.params.fields)
        return (f"tcm_batch_matmul_s8(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])});")
