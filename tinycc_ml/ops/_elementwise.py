"""What the binary elementwise ops (ADD, SUB, MUL) share: TFLite's broadcasting rule, the loop
nest their kernels run, the checks and the in-place choice.

Broadcasting follows tensorflow/lite/kernels/kernel_util.cc CalculateShapeForBroadcast (numpy
rules: shapes aligned on the right, each pair of dimensions equal or one of them 1) and the
reference kernels' NdArrayDescsForElementwiseBroadcast (a broadcast axis has stride 0).

The loop nest (runtime_c/tcm_elementwise.h `tcm_broadcast`) is simplified at compile time:
axes of extent 1 are dropped and neighbouring axes merged when both inputs walk them
contiguously (or both broadcast them), so `[1,32,32,16] + [1,32,32,16]` becomes one run of
16384 elements and `[1,8,8,C] + [1,1,1,C]` 64 runs of C. The innermost axis is the run; each
input steps through it by 1, or by 0 when broadcast along it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import quant
from .base import OpDef, clamp_of, expect_per_tensor
from .signature import Operand, Signature

MAX_RANK = 6        # TFLite's BroadcastAdd6DSlow / BroadcastMul6DSlow


def broadcast_shape(a: tuple, b: tuple) -> tuple | None:
    """CalculateShapeForBroadcast: the output shape, or None if the shapes do not broadcast."""
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcast_strides(shape: tuple, out: tuple) -> list[int]:
    """Element strides of `shape` walked as `out`: 0 along the axes it is broadcast on."""
    shape = (1,) * (len(out) - len(shape)) + tuple(shape)
    strides, step = [0] * len(out), 1
    for axis in range(len(out) - 1, -1, -1):
        strides[axis] = step if shape[axis] != 1 else 0
        step *= shape[axis]
    return strides


@dataclass(frozen=True)
class LoopNest:
    """The tcm_broadcast struct: outer axes around one contiguous inner run."""
    dims: tuple[int, ...]        # outer axes, outermost first (at most MAX_RANK - 1)
    stride1: tuple[int, ...]     # element strides of input 1 on those axes (0: broadcast)
    stride2: tuple[int, ...]
    inner: int                   # elements of the innermost run
    step1: int                   # 1, or 0 when input 1 is broadcast along the run
    step2: int

    @property
    def broadcast(self) -> bool:
        return bool(self.dims) or (self.step1, self.step2) != (1, 1)

    def fields(self) -> dict:
        def arr(v):
            return "{ " + ", ".join(str(x) for x in (v or (0,))) + " }"
        return {"rank": len(self.dims), "dims": arr(self.dims), "stride1": arr(self.stride1),
                "stride2": arr(self.stride2), "inner": self.inner, "step1": self.step1,
                "step2": self.step2}


def loop_nest(shape1: tuple, shape2: tuple) -> LoopNest:
    out = broadcast_shape(shape1, shape2)
    s1, s2 = broadcast_strides(shape1, out), broadcast_strides(shape2, out)
    merged: list[list[int]] = []
    for d, a, b in zip(out, s1, s2):
        if d == 1:
            continue
        if merged and merged[-1][1] == a * d and merged[-1][2] == b * d:
            merged[-1] = [merged[-1][0] * d, a, b]       # contiguous with the axis before
        else:
            merged.append([d, a, b])
    if not merged:
        merged = [[1, 1, 1]]
    *outer, (inner, step1, step2) = merged
    if inner == 1:
        step1, step2 = 1, 1
    return LoopNest(dims=tuple(m[0] for m in outer), stride1=tuple(m[1] for m in outer),
                    stride2=tuple(m[2] for m in outer), inner=inner, step1=step1, step2=step2)


def output_shape(op, g) -> tuple | None:
    """The broadcast shape, as TFLite's Prepare resizes the output to (None: check() reports)."""
    return broadcast_shape(g.tensor(op.inputs[0]).shape, g.tensor(op.inputs[1]).shape)


# x1 (op) x2: ADD, SUB, MUL, MAXIMUM, MINIMUM
BINARY_SIGNATURE = Signature((Operand("input 1", ("int8",)), Operand("input 2", ("int8",))))
# ADD, SUB, MUL: int8, or int16 throughout (the 16x8 scheme, check_same_type)
BINARY16_SIGNATURE = Signature((Operand("input 1", ("int8", "int16")),
                                Operand("input 2", ("int8", "int16"))),
                               (Operand("output", ("int8", "int16")),))


def check_same_type(op, g) -> None:
    """Both inputs and the output of one type; int16 ones symmetric (ops/_int16.py)."""
    from . import _int16
    _int16.check_activations(op, g, ((op.inputs[0], "input 1"), (op.inputs[1], "input 2"),
                                     (op.outputs[0], "output")))


def check_binary(op, g, quantized_output: bool = True) -> None:
    """Per-tensor quantization and broadcast shapes of x1 (op) x2 (BINARY_SIGNATURE holds);
    quantized_output=False for a bool output (the comparisons)."""
    for k, role in ((0, "input 1"), (1, "input 2")):
        expect_per_tensor(op, g, op.inputs[k], role)
    if quantized_output:
        expect_per_tensor(op, g, op.outputs[0], "output")
    a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    out = broadcast_shape(a.shape, b.shape)
    if out is None:
        raise g.error(op, f"input shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
    if len(out) > MAX_RANK:
        raise g.error(op, f"rank {len(out)} is above the supported {MAX_RANK}")
    if y.size == 0:
        raise g.error(op, "the output is empty")


def inplace_operand(op, g) -> int | None:
    """An input the output may overwrite: one with the output's shape (the kernel reads its
    element i, once, before writing output element i). Prefers an input this op reads last."""
    y = g.tensor(op.outputs[0])
    fits = [k for k in (0, 1) if not g.tensor(op.inputs[k]).is_const
            and g.tensor(op.inputs[k]).shape == y.shape]
    if not fits:
        return None
    position = next((i for i, o in enumerate(g.ops) if o is op), None)
    readers = g.consumers()
    for k in fits:
        if position is not None and max(readers.get(op.inputs[k], [position])) <= position:
            return k
    return fits[0]


def describe(op, g, loop: LoopNest) -> str:
    act = quant.clamp_name(clamp_of(op))
    runs = 1
    for d in loop.dims:
        runs *= d
    parts = [f"broadcast: {runs} runs of {loop.inner}" if loop.broadcast else ""]
    parts.append("" if act == "NONE" else act)
    return ", ".join(x for x in parts if x)


class BinaryOp(OpDef):
    """An elementwise op of two broadcast operands with one kernel (MUL, MAXIMUM, MINIMUM,
    SQUARED_DIFFERENCE): the signature, the output shape, the in-place operand and the comment;
    its Params hold the `loop` (LoopNest)."""
    signature = BINARY_SIGNATURE

    def check(self, op, g):
        check_binary(op, g)

    def output_shape(self, op, g):
        return output_shape(op, g)

    def inplace_input(self, op, g):
        return inplace_operand(op, g)

    def describe(self, op, g):
        return describe(op, g, op.params.loop)
