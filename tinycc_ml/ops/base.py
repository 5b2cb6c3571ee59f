"""The op interface: one module per op holds its checks, shape rules, kernels and constants.

An op module defines a subclass of `OpDef` and decorates it with `@register("KIND")`. The parts,
in the order the pipeline calls them:

- `signature`: the inputs and outputs (count, types, constness) as a `Signature`
  (ops/signature.py); checked for every op before shape inference (passes/validate.py).
- `check(op, g)`: validate shapes, quantization, options; `raise g.error(op, "reason")`.
- `output_shape(op, g)`: the output shape from the input shapes, where the model's stored one may
  be a placeholder (passes/shapes.py).
- `prepare(op, g) -> Params`: every number the kernels read, computed once at compile time
  (TFLM's Prepare moved to compile time). Stored in `op.params` by passes/prepare.py. Every
  op that rescales at run time keeps its rescale in `params.rq`, a `Requant` (ops/_requant.py)
  whose `form` names the arithmetic the layer needs (TFLite's double rounding, the single
  rounding of FULLY_CONNECTED, softmax's, average pooling's rounded division; the 16x8
  scheme's "tflite_int64" and "tflite_single_int64", ops/_int16.py; onnxruntime's float32 one); `Layer.form` reads it. `bias` (conv,
  depthwise, transpose conv, FC) is the model's int32 bias as stored: each kernel folds
  input_offset * filter sums into it as it packs (_conv_common.folded_bias).
- `macs(op, g)`, `describe(op, g)`: the summary and the per-layer comment.
- `alias_input(op, g)`: index of an input whose buffer the output may reuse (RESHAPE: 0), or None.
- `kernels`: the op's implementations (`Kernel` objects, below), most specialised first.
  passes/select.py takes the first that can run the layer; the planner and the emitter read
  only that `Choice`. An op with one implementation leaves `kernels` alone and writes
  `emit(op, g, em)` (and `inplace_input(op, g)` if its kernel may write over an input): the
  default `kernels` is one `OwnKernel` that calls them, so every op goes through selection;
  its `forms` (TFLite's double rounding unless the OpDef says otherwise) are that kernel's.

The kernel object contract (`Kernel`): one implementation of an op (portable, DSP/SMLAD,
Helium/MVE, CMSIS-NN, a CMSIS-NN call that is not bit-exact, later sparse, int16, ort_float),
written in its op's module.
- `c_function`: the C function its call names (the "kernel" of `inspect`); `backend`:
  "portable" (tinycc-ml's runtime_c) or "cmsis-nn"; `forms`: the requantization forms it
  implements (selection passes it over for a layer of another form; a layer without a
  Requant runs on any kernel). A kernel that names none implements TFLite's double rounding.
- `int16`: True for a kernel that runs layers with int16 activations (the 16x8 scheme,
  ops/_int16.py; `Layer.int16`: the first non-constant input is int16); selection passes over
  every other kernel for such a layer. An int16-only kernel comes after the op's int8 ones (or
  says so in `why_not`), so int8 layers never reach it.
  An op with one implementation sets `OpDef.int16_own` when that one handles int16 too.
- `inexact`: empty for a kernel bit-exact with the reference; otherwise how its outputs differ,
  and `opt_in` names the option that allows it (Options.cmsis_nn_inexact holds the op kinds).
- `core`: "" for a kernel any target runs, or the core feature it is written for ("dsp",
  "mve", "host", "scalar", "armv7m": CORES below); selection passes it over on other targets.
- `why_not(layer, ctx) -> str | None`: why else it cannot run this layer (None: it can).
  Selection itself passes over a CMSIS-NN kernel without --kernels cmsis-nn, an inexact one
  without its opt-in, one lacking the layer's form and one written for another core.
- `decide(layer, ctx)`: a data-dependent choice made once (depthwise's 3x3 path on the weight
  values, the short requantization), recorded in the `Choice` as `decision` and handed to the
  methods below, so no two of them recompute it.
- `scratch_bytes(layer, ctx, decision)`: arena bytes the call needs during the layer.
- `cycles(layer, decision) -> float`: its ESTIMATED cycles for the layer (`cycles_per_mac` times
  the layer's MACs, or its output elements for an op without MACs): a ranking for
  --max-arena / --optimize ram and the frontier of `inspect --tradeoff` (passes/tradeoff.py).
- `inplace(layer, decision) -> (input index, gap) | None`: the input it may overwrite and the
  gap for ITS loop order (see planner.py, "In place"); None for a kernel that never does.
- `emit(layer, em, decision) -> str`: packs the constants it reads (through `em`,
  backends/emit.py `LayerEmitter`) and returns its call; "" for no code (a zero-copy view).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..backends.targets import has_dsp, has_mve, is_armv7m_nodsp, is_host, is_scalar_mcu
from ..errors import CompileError
from ..ir import Graph, Op, Tensor
from ._requant import TFLITE_DOUBLE

_REGISTRY: dict[str, "OpDef"] = {}


# ops the compiler itself makes (passes/tile.py), never read from a model: `tinycc-ml ops`
# does not list them
_INTERNAL: dict[str, "OpDef"] = {}


def register(kind: str, internal: bool = False):
    def wrap(cls):
        cls.kind = kind
        (_INTERNAL if internal else _REGISTRY)[kind] = cls()
        return cls
    return wrap


def supported_kinds() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def lookup(op: Op, g: Graph) -> "OpDef":
    _load_all()
    opdef = _REGISTRY.get(op.kind) or _INTERNAL.get(op.kind)
    if opdef is None:
        raise g.error(op, "not supported (`tinycc-ml ops` lists the supported ops)")
    return opdef


def _load_all() -> None:
    from . import _all  # noqa: F401  (imports every op module, which registers itself)


@dataclass(frozen=True)
class Context:
    """What kernel selection honours: --target, --kernels, the inexact opt-in, --sparsity."""
    target: str = "generic"
    kernels: str = "portable"              # 'portable' or 'cmsis-nn'
    inexact: tuple[str, ...] = ()          # op kinds whose inexact kernel the user accepts
    sparsity: str = "off"                 # 'auto': sparse kernels where they pay; 'off'


@dataclass(frozen=True)
class Layer:
    """One op of the prepared graph, as its kernels see it."""
    op: Op
    g: Graph

    @property
    def params(self) -> Any:
        return self.op.params

    def input(self, k: int) -> Tensor:
        return self.g.tensor(self.op.inputs[k])

    def output(self, k: int = 0) -> Tensor:
        return self.g.tensor(self.op.outputs[k])

    @property
    def int16(self) -> bool:
        """True when the layer's activation input (its first non-constant input) is int16: a
        16x8 layer. (SOFTMAX int8 -> int16 and QUANTIZE float -> int16 are int8/float ones.)"""
        names = [t for t in self.op.inputs if t is not None and not self.g.tensor(t).is_const]
        return bool(names) and self.g.tensor(names[0]).dtype == "int16"

    @property
    def form(self) -> str | None:
        """The requantization form the layer needs (its Params' Requant, or the Params' own
        `form` for an op without a multiplier whose arithmetic still differs), or None."""
        rq = getattr(self.op.params, "rq", None)
        return getattr(rq, "form", None) or getattr(self.op.params, "form", None)


class Kernel:
    """One implementation of an op; see the module docstring for the contract."""
    c_function: ClassVar[str | None] = None
    backend: ClassVar[str] = "portable"
    forms: ClassVar[tuple[str, ...]] = (TFLITE_DOUBLE,)
    int16: ClassVar[bool] = False
    inexact: ClassVar[str] = ""
    opt_in: ClassVar[str] = ""
    core: ClassVar[str] = ""

    @property
    def name(self) -> str:
        return self.c_function or type(self).__name__

    def why_not(self, layer: Layer, ctx: Context) -> str | None:
        return None

    def decide(self, layer: Layer, ctx: Context) -> Any:
        return None

    def scratch_bytes(self, layer: Layer, ctx: Context, decision: Any) -> int:
        return 0

    def inplace(self, layer: Layer, decision: Any) -> tuple[int, int] | None:
        return None

    def emit(self, layer: Layer, em, decision: Any) -> str:
        raise NotImplementedError

    @property
    def cycles_per_mac(self) -> float:
        """Estimated cycles per MAC (or per output element), zero wait states: by the family
        its C function's name says (_CYCLES_PER_MAC); a kernel may set its own."""
        name = self.c_function or ""
        return next((v for k, v in _CYCLES_PER_MAC if k in name), _CYCLES_PER_MAC[-1][1])

    def cycles(self, layer: Layer, decision: Any) -> float:
        work = lookup(layer.op, layer.g).macs(layer.op, layer.g) or layer.output().size
        return self.cycles_per_mac * work


# Estimated cycles per MAC of a kernel family (first matching name part), from the estimated
# cycles (cortexm/cycles.py) of the four shared models, 2026-12-03: portable kernels on
# cortex-m4 9.6-21.5 per MAC, the DSP (SMLAD) ones 2.3-2.7, Helium on cortex-m55 0.6-1.4, the
# scalar ones 7-12 on M3/M0+. A ranking of kernels for one layer, not a measurement of it.
_CYCLES_PER_MAC = (("_host", 0.5), ("_mve", 1.1), ("_3x3_smlad", 2.2), ("_smlad", 2.5),
                   ("_scalar", 8.0), ("_pairs", 5.0), ("arm_", 2.5), ("", 15.0))


class OwnKernel(Kernel):
    """The one kernel of an op with one implementation: its OpDef's `emit` and `inplace_input`
    (gap 0: an elementwise loop). Its forms are the OpDef's."""

    def __init__(self, opdef: "OpDef"):
        self.opdef = opdef

    @property
    def forms(self) -> tuple[str, ...]:
        return self.opdef.forms

    @property
    def int16(self) -> bool:
        return self.opdef.int16_own

    @property
    def name(self) -> str:
        return f"{self.opdef.kind} kernel"

    def inplace(self, layer, decision):
        k = self.opdef.inplace_input(layer.op, layer.g)
        return None if k is None else (k, 0)

    def emit(self, layer, em, decision):
        return self.opdef.emit(layer.op, layer.g, em)


def needs_dsp(ctx: Context) -> str | None:
    """why_not of a kernel written for the Armv7E-M DSP extension (SMLAD, SXTB16)."""
    return None if has_dsp(ctx.target) else f"needs the DSP extension; --target {ctx.target}"


def needs_host(ctx: Context) -> str | None:
    """why_not of a kernel written for --target host (64-bit application processors)."""
    return None if is_host(ctx.target) else f"--target host only; --target {ctx.target}"


def needs_scalar_mcu(ctx: Context) -> str | None:
    """why_not of a kernel written for a core without SIMD for int8 (Cortex-M0+, M3, RV32)."""
    return None if is_scalar_mcu(ctx.target) else \
        f"for cores without SIMD (cortex-m0plus, cortex-m3, rv32); --target {ctx.target}"


def needs_armv7m(ctx: Context) -> str | None:
    """why_not of a kernel written for ARMv7-M without DSP (cortex-m3: SMLAL, no SIMD)."""
    return None if is_armv7m_nodsp(ctx.target) else \
        f"for ARMv7-M without DSP (cortex-m3); --target {ctx.target}"


def needs_mve(ctx: Context) -> str | None:
    """why_not of a kernel written for Helium (MVE)."""
    return None if has_mve(ctx.target) else f"needs Helium (MVE); --target {ctx.target}"


# Kernel.core -> why a kernel written for that core cannot run on ctx.target (None: it can)
CORES = {"dsp": needs_dsp, "mve": needs_mve, "host": needs_host, "scalar": needs_scalar_mcu,
         "armv7m": needs_armv7m}


@dataclass(frozen=True)
class Choice:
    """The kernel selection picked for one layer: what the planner and the emitter read."""
    layer: Layer
    opdef: "OpDef"                                   # macs() and describe() of the summary
    kernel: Kernel
    decision: Any
    scratch: int
    inplace: tuple[int, int] | None
    alias: int | None                                # OpDef.alias_input: a zero-copy output
    passed_over: tuple[tuple[Kernel, str], ...]      # kernels tried first, each with its reason

    @property
    def backend(self) -> str:
        return self.kernel.backend

    @property
    def inexact(self) -> bool:
        return bool(self.kernel.inexact)


class OpDef:
    kind: ClassVar[str] = ""
    # the requantization forms of the op's own kernel (OwnKernel), for an op with one
    forms: ClassVar[tuple[str, ...]] = (TFLITE_DOUBLE,)

    # OwnKernel.int16: the op's one implementation also runs int16 activations (ops/_int16.py)
    int16_own: ClassVar[bool] = False

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

    def alias_input(self, op: Op, g: Graph) -> int | None:
        return None

    def describe(self, op: Op, g: Graph) -> str:
        """Options for the per-layer comment, e.g. '3x3, stride 2, pad SAME (0,1), ReLU'."""
        return ""

    @property
    def kernels(self) -> tuple[Kernel, ...]:
        """The implementations, most specialised first (an op with several overrides this)."""
        own = self.__dict__.get("_own")
        if own is None:
            own = self.__dict__["_own"] = (OwnKernel(self),)
        return own

    # The body of OwnKernel, for an op with one implementation:
    def inplace_input(self, op: Op, g: Graph) -> int | None:
        """Index of an input the kernel may overwrite with its output, when that input is not
        read after this op: its output[i] is written only after every input value it needs
        (elementwise ops with equal shapes, ...). The planner decides whether to use it."""
        return None

    def emit(self, op: Op, g: Graph, em) -> str:
        raise NotImplementedError


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


def axis_index(axis: int, rank: int, of: str = "rank") -> int | str:
    """An axis attribute in [-rank, rank) as an index, or why it is not one (`of` names the
    rank in the message)."""
    if not -rank <= axis < rank:
        return f"axis {axis} is out of range for {of} {rank}"
    return axis % rank


def expect_axis(op: Op, g: Graph, axis: int, rank: int, of: str = "rank") -> int:
    """axis_index, or the op's one-line error."""
    index = axis_index(axis, rank, of)
    if isinstance(index, str):
        raise g.error(op, index)
    return index


def clamp_of(op: Op) -> tuple[float | None, float | None]:
    """The op's activation clamp (lo, hi) in real units, None for an open end (attr `clamp`)."""
    return tuple(op.attrs.get("clamp", (None, None)))


__all__ = ["CORES", "CompileError", "Choice", "Context", "Kernel", "Layer", "OpDef", "OwnKernel", "needs_dsp",
           "needs_host", "needs_scalar_mcu", "needs_armv7m",
           "needs_mve", "register", "lookup", "supported_kinds", "expect_arity", "expect_dtype",
           "expect_per_tensor", "expect_rank", "expect_const", "axis_index", "expect_axis", "clamp_of"]
