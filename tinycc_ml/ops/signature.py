"""What an op takes, declared: the count, types and constness of its inputs and outputs.

Each op module sets `OpDef.signature`; passes/validate.py checks it for every op before shape
inference, so `output_shape` and `check` may rely on it (the count of inputs and outputs, each
required operand present, each type allowed, each constant operand constant). Cross-operand
rules (an output of the input's type, shapes) stay in the op's `check`. Messages are the shared
ones of ops/base.py (`expect_dtype`, `expect_const`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Graph, Op
from .base import expect_const, expect_dtype


@dataclass(frozen=True)
class Operand:
    """One input or output slot of a Signature."""
    role: str                       # how errors name it: "input", "filter", "bias", ...
    dtypes: tuple[str, ...]         # the types it may have
    const: bool = False             # must be a constant
    optional: bool = False          # may be absent (None) or left off the end


@dataclass(frozen=True)
class Signature:
    """The operands an op takes. With `more_inputs` (`more_outputs`) the last slot repeats: one
    or more of it, named 'input 0', 'input 1', ... by position."""
    inputs: tuple[Operand, ...]
    outputs: tuple[Operand, ...] = (Operand("output", ("int8",)),)
    more_inputs: bool = False
    more_outputs: bool = False

    def check(self, op: Op, g: Graph) -> None:
        """Arity, then each operand's presence and type (inputs, then outputs), then constness;
        raise g.error for the first problem."""
        ins = _slots(op, g, op.inputs, self.inputs, self.more_inputs, "input")
        outs = _slots(op, g, op.outputs, self.outputs, self.more_outputs, "output")
        for name, slot, role in ins + outs:
            expect_dtype(op, g, name, slot.dtypes, role)
        for name, slot, role in ins:
            if slot.const:
                expect_const(op, g, name, role)


    def describe(self) -> str:
        """The operands with their types, for `tinycc-ml ops`: 'input int8, filter int8
        (constant), bias int32 (constant, optional) -> output int8'."""
        def one(slot: Operand, repeat: bool) -> str:
            notes = [n for n, on in (("constant", slot.const), ("optional", slot.optional),
                                     ("one or more", repeat)) if on]
            text = f"{slot.role} {'/'.join(slot.dtypes)}"
            return text + (f" ({', '.join(notes)})" if notes else "")
        ins = [one(s, self.more_inputs and k == len(self.inputs) - 1)
               for k, s in enumerate(self.inputs)]
        outs = [one(s, self.more_outputs and k == len(self.outputs) - 1)
                for k, s in enumerate(self.outputs)]
        return ", ".join(ins) + " -> " + ", ".join(outs)


# one int8 input, one int8 output (pools, the table ops, ...)
INT8_UNARY = Signature((Operand("input", ("int8",)),))


def _slots(op: Op, g: Graph, names, slots, repeat: bool, what: str):
    """(name, slot, role) of each operand present, after checking the count."""
    required = sum(1 for s in slots if not s.optional)
    n = len(names)
    if repeat:
        if n < len(slots):
            raise g.error(op, f"expects at least {len(slots)} {what}(s), has {n}")
    elif not required <= n <= len(slots):
        counts = " or ".join(str(k) for k in range(required, len(slots) + 1))
        raise g.error(op, f"expects {counts} {what}(s), has {n}")
    out = []
    for k, name in enumerate(names):
        slot = slots[min(k, len(slots) - 1)]
        role = f"{slot.role} {k - len(slots) + 1}" if repeat and k >= len(slots) - 1 else slot.role
        if name is None:
            if slot.optional:
                continue
            raise g.error(op, f"the {role} is missing")
        out.append((name, slot, role))
    return out
