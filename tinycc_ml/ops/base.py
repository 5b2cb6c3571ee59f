"""The op interface: one module per op holds its checks, shape rules, constants and C emission.

An op module defines a subclass of `OpDef` and decorates it with `@register("KIND")`. The parts,
in the order the pipeline calls them:

- `signature`: the inputs and outputs (count, types, constness) as a `Signature`
  (ops/signature.py); checked for every op before shape inference (passes/validate.py).
- `check(op, g)`: validate shapes, quantization, options; `raise g.error(op, "reason")`.
- `output_shape(op, g)`: the output shape from the input shapes, where the model's stored one may
  be a placeholder (passes/shapes.py).
- `prepare(op, g) -> Params`: every number the kernel reads, computed once at compile time
  (TFLM's Prepare moved to compile time). Stored in `op.params` by passes/prepare.py.
- `macs(op, g)`, `scratch_bytes(op, g, target)`: for the summary and the arena planner.
- `alias_input(op, g)`: index of an input whose buffer the output may reuse (RESHAPE: 0), or None.
- `inplace_input(op, g)`: index of an input the kernel may overwrite in place (ADD with equal
  shapes), or None; used by the planner only when that input dies at this op.
- `emit(op, g, em) -> str`: the C statement(s) of the portable kernel call; constants are
  registered through `em` (see backends/emit.py `LayerEmitter`).
- `cmsis_nn_scratch_bytes(op, g, target) -> int | None` and `emit_cmsis_nn(op, g, em)`: with
  `--kernels cmsis-nn`, the layer's CMSIS-NN scratch and call, or None where the layer is not
  eligible (not bit-exact with BUILTIN_REF, or not supported): it then keeps the portable kernel.
  `cmsis_nn_inexact_scratch_bytes` / `emit_cmsis_nn_inexact`: a call that is not bit-exact,
  used only when the user opts in for that op kind (Options.cmsis_nn_inexact).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import CompileError
from ..ir import Graph, Op

_REGISTRY: dict[str, "OpDef"] = {}
# op kinds whose arithmetic differs under op.attrs["numerics"] == "onnxruntime" (ops/ort.py)
_ORT_REGISTRY: dict[str, "OpDef"] = {}


def register(kind: str, numerics: str = "tflite"):
    def wrap(cls):
        cls.kind = kind
        (_ORT_REGISTRY if numerics == "onnxruntime" else _REGISTRY)[kind] = cls()
        return cls
    return wrap


def supported_kinds() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def lookup(op: Op, g: Graph) -> "OpDef":
    _load_all()
    opdef = _REGISTRY.get(op.kind)
    if op.attrs.get("numerics") == "onnxruntime":
        opdef = _ORT_REGISTRY.get(op.kind, opdef)
    if opdef is None:
        raise g.error(op, "not supported (`tinycc-ml ops` lists the supported ops)")
    return opdef


def _load_all() -> None:
    from . import _all  # noqa: F401  (imports every op module, which registers itself)


class OpDef:
    kind: ClassVar[str] = ""
    # why a layer of this op keeps the portable kernel under --kernels cmsis-nn (compile summary)
    cmsis_nn_note: ClassVar[str] = "tinycc-ml does not call CMSIS-NN for this op"

    # the op's operands (an ops.signature.Signature: count, types, constness), checked before
    # shape inference (passes/validate.py); every op declares one (tests/passes/test_validate.py)
    signature: ClassVar[Any] = None

    def check(self, op: Op, g: Graph) -> None:
        pass

    def output_shape(self, op: Op, g: Graph) -> tuple[int, ...] | None:
        """The output's shape from the inputs (passes/shapes.py writes it into the graph), or
        None to keep the shape the model stores. Needed where converters store placeholders
        for shapes computed at run time (RESHAPE after Keras 3's shape arithmetic). Runs after
        the signature's checks (arity, types) and before check(): on other malformations (odd
        ranks, a non-constant parameter) return None, never raise."""
        return None

    def prepare(self, op: Op, g: Graph) -> Any:
        return None

    def macs(self, op: Op, g: Graph) -> int:
        return 0

    def scratch_bytes(self, op: Op, g: Graph, target: str) -> int:
        return 0

    def alias_input(self, op: Op, g: Graph) -> int | None:
        return None

    def inplace_input(self, op: Op, g: Graph) -> int | None:
        """Index of an input the kernel may overwrite with its output, when that input is not
        read after this op: its output[i] is written only after every input value it needs
        (elementwise ops with equal shapes, ...). The planner decides whether to use it."""
        return None

    def inplace_gap(self, op: Op, g: Graph) -> int:
        """With `inplace_input` k: bytes the output must start below input k (0: exactly over it).
        Output byte j then lands on input byte j - gap, so a kernel may declare gap if it never
        reads an input byte after writing the output byte placed over it (also for any larger
        gap). Streaming kernels use it: a stride-1 SAME KxK depthwise conv writing NHWC in order
        needs C * p * (W + 1), p = K // 2 (MCUNet-style in place, no temporary);
        planner.window_gap(win) computes it for the windowed kernels."""
        return 0

    def describe(self, op: Op, g: Graph) -> str:
        """Options for the per-layer comment, e.g. '3x3, stride 2, pad SAME (0,1), ReLU'."""
        return ""

    def emit(self, op: Op, g: Graph, em) -> str:
        raise NotImplementedError

    def cmsis_nn_scratch_bytes(self, op: Op, g: Graph, target: str) -> int | None:
        """Scratch bytes of this layer's CMSIS-NN call on `target`, or None when the layer is not
        eligible for CMSIS-NN (then it keeps the portable kernel and its scratch_bytes)."""
        return None

    def emit_cmsis_nn(self, op: Op, g: Graph, em) -> str | None:
        return None

    # A CMSIS-NN call that is NOT bit-exact with BUILTIN_REF (FULLY_CONNECTED: double rounding)
    # is offered only behind an explicit opt-in (Options.cmsis_nn_inexact, e.g. compile
    # --cmsis-nn-inexact-fc): the same contract as the two methods above, and
    # `cmsis_nn_inexact_note` says how the outputs differ (printed in the compile summary).
    cmsis_nn_inexact_note: ClassVar[str] = ""

    def cmsis_nn_inexact_scratch_bytes(self, op: Op, g: Graph, target: str) -> int | None:
        return None

    def emit_cmsis_nn_inexact(self, op: Op, g: Graph, em) -> str | None:
        return None


# Shared checks, so every op words the same problem the same way.

FLOAT_HINT = ("; this is a float or hybrid model: tinycc-ml compiles fully int8-quantized ones. "
              "Convert it with full-integer post-training quantization: converter.optimizations = "
              "[tf.lite.Optimize.DEFAULT]; converter.representative_dataset = <a few real inputs>; "
              "converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8] "
              "(the README's 'Quantizing a model')")


def expect_arity(op: Op, g: Graph, n_in: tuple[int, ...], n_out: int = 1) -> None:
    present = len(op.inputs)
    if present not in n_in:
        raise g.error(op, f"expects {' or '.join(map(str, n_in))} inputs, has {present}")
    if len(op.outputs) != n_out:
        raise g.error(op, f"expects {n_out} output(s), has {len(op.outputs)}")


def expect_dtype(op: Op, g: Graph, name: str | None, dtypes: tuple[str, ...], role: str) -> None:
    if name is None:
        raise g.error(op, f"the {role} is missing")
    t = g.tensor(name)
    if t.dtype not in dtypes:
        hint = FLOAT_HINT if t.dtype == "float32" and "int8" in dtypes else ""
        raise g.error(op, f"{role} '{t.name}' has type {t.dtype}; supported: {', '.join(dtypes)}{hint}")


def expect_per_tensor(op: Op, g: Graph, name: str, role: str) -> None:
    t = g.tensor(name)
    if not t.is_quantized:
        raise g.error(op, f"{role} '{t.name}' has no quantization parameters")
    if t.per_channel:
        raise g.error(op, f"{role} '{t.name}' is quantized per channel; only per-tensor is supported")


def expect_rank(op: Op, g: Graph, name: str, ranks: tuple[int, ...], role: str) -> None:
    t = g.tensor(name)
    if len(t.shape) not in ranks:
        raise g.error(op, f"{role} '{t.name}' has rank {len(t.shape)} {list(t.shape)}; expected "
                          f"rank {' or '.join(map(str, ranks))}")


def expect_const(op: Op, g: Graph, name: str | None, role: str) -> None:
    if name is not None and not g.tensor(name).is_const:
        raise g.error(op, f"{role} '{g.tensor(name).name}' must be a constant")


def clamp_of(op: Op) -> tuple[float | None, float | None]:
    """The op's activation clamp (lo, hi) in real units, None for an open end (attr `clamp`)."""
    return tuple(op.attrs.get("clamp", (None, None)))


__all__ = ["CompileError", "OpDef", "register", "lookup", "supported_kinds", "expect_arity",
           "expect_dtype", "expect_per_tensor", "expect_rank", "expect_const", "clamp_of"]
