"""What an op module sees while it emits its layer: `LayerEmitter`.

`em.tensor(name)` gives the C pointer expression of an activation tensor (arena, caller's input
or output), `em.const(hint, array)` declares a `static const` array in flash and returns its
identifier (identical arrays are declared once), `em.struct(hint, ctype, fields)` declares a
`static const` parameter struct, `em.scratch` is this layer's scratch pointer in the arena,
`em.use("tcm_conv.c")` asks for a runtime source file to be copied next to the model,
`em.call(function, *args)` writes the call (backends/calls.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..ir import Graph, Op, c_type
from .calls import WIDTH, render_call, wrap
from .cnames import Namer
from .csize import struct_size

_NP_TO_C = {np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t",
            np.dtype(np.int16): "int16_t", np.dtype(np.uint16): "uint16_t",
            np.dtype(np.int32): "int32_t", np.dtype(np.uint32): "uint32_t",
            np.dtype(np.int64): "int64_t", np.dtype(np.float32): "float"}


def c_literal(v: Any) -> str:
    """A C99 literal for an int or float, exact for float32 (9 significant digits round-trip)."""
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        v = int(v)
        if v == -2**31:
            return "(-2147483647 - 1)"
        if v > 2**31 - 1 or v < -2**31:
            return f"{v}LL"
        return str(v)
    if isinstance(v, (float, np.floating)):
        f = float(np.float32(v))
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError("non-finite constant")
        text = f"{f:.9g}"
        if "e" not in text and "." not in text:
            text += ".0"
        return text + "f"
    return str(v)


def format_array(values: np.ndarray, per_line: int) -> str:
    """The initializer's rows: `per_line` values a row, fewer where the widest literal would
    make a row longer than calls.WIDTH."""
    values = np.asarray(values)
    flat = [c_literal(v) for v in values.reshape(-1)]
    if not flat:
        return "    0"
    if values.dtype.itemsize > 1:        # a byte's literals ("-128") always fit 16 a row
        per_line = max(1, min(per_line, (WIDTH - 4 + 1) // (max(map(len, flat)) + 2)))
    lines = [", ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return "    " + ",\n    ".join(lines)


@dataclass(frozen=True)
class ConstDecl:
    name: str
    text: str        # the whole declaration
    nbytes: int


def _field(v: Any) -> str:
    """A struct field's initializer: a C expression given as text, a number, or a sequence of
    numbers for an array field (`{ 1, 2, 3 }`)."""
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple, np.ndarray)):
        return "{ " + ", ".join(c_literal(x) for x in v) + " }"
    return c_literal(v)


class ConstTable:
    """All `static const` declarations of one model, deduplicated, in first-use order."""

    def __init__(self, namer: Namer):
        self.namer = namer
        self.decls: list[ConstDecl] = []
        self._by_content: dict[tuple, str] = {}

    def array(self, stem: str, values: np.ndarray, ctype: str | None = None,
              comment: str = "") -> str:
        values = np.asarray(values)
        ctype = ctype or _NP_TO_C[values.dtype]
        key = ("array", ctype, values.shape, values.tobytes())
        if key in self._by_content:
            return self._by_content[key]
        name = self.namer.unique(stem)
        per_line = 16 if values.dtype.itemsize == 1 else 8
        n = max(values.size, 1)
        head = "\n".join(wrap(comment.split(" "), WIDTH - 3, "/* ", " * ")) + " */\n" \
            if comment else ""
        text = (f"{head}static const {ctype} {name}[{n}] = {{\n"
                f"{format_array(values, per_line)}\n}};")
        self.decls.append(ConstDecl(name, text, values.size * values.dtype.itemsize))
        self._by_content[key] = name
        return name

    def struct(self, stem: str, ctype: str, fields: Mapping[str, Any]) -> str:
        body = ",\n".join(f"    .{k} = {_field(v)}" for k, v in fields.items())
        key = ("struct", ctype, body)
        if key in self._by_content:
            return self._by_content[key]
        name = self.namer.unique(stem)
        self.decls.append(ConstDecl(name, f"static const {ctype} {name} = {{\n{body}\n}};",
                                    struct_size(ctype)))
        self._by_content[key] = name
        return name


class LayerEmitter:
    def __init__(self, g: Graph, op: Op, position: int, stem: str, consts: ConstTable,
                 pointers: Mapping[str, str], scratch: str | None, target: str, kernels: str,
                 scratch_bytes: int = 0):
        self.g = g
        self.op = op
        self.position = position
        self.stem = stem          # unique C stem of this layer, e.g. 'conv2d_2_relu'
        self.consts = consts
        self._pointers = pointers
        self._scratch = scratch
        self.scratch_bytes = scratch_bytes   # what the layer's kernel choice reserved
        self.target = target      # 'generic', 'cortex-m4', ...
        self.kernels = kernels    # 'portable' or 'cmsis-nn'
        self.sources: set[str] = set()

    def tensor(self, name: str) -> str:
        """C expression: pointer to the tensor's first element, typed after its dtype.

        A constant operand (an ADD's bias, a PAD's paddings) becomes a static const array."""
        t = self.g.tensor(name)
        if t.is_const:
            k = list(self.op.inputs).index(name)
            return self.const(f"input{k}", t.data, c_type(t.dtype))
        return self._pointers[name]

    def const(self, hint: str, values: np.ndarray, ctype: str | None = None,
              comment: str = "") -> str:
        return self.consts.array(f"{self.stem}_{hint}", values, ctype, comment)

    def struct(self, hint: str, ctype: str, fields: Mapping[str, Any]) -> str:
        """Declares a static const struct; returns its identifier (pass `&name`)."""
        return self.consts.struct(f"{self.stem}_{hint}", ctype, fields)

    @property
    def scratch(self) -> str:
        if self._scratch is None:
            raise RuntimeError(f"op {self.op.index} asked for scratch it did not declare")
        return self._scratch

    def call(self, function: str, *args) -> str:
        """The C statement `function(args...);`, wrapped one argument per line when long."""
        return render_call(function, args)

    def use(self, *sources: str) -> None:
        self.sources.update(sources)

    def ctype(self, name: str) -> str:
        return c_type(self.g.tensor(name).dtype)
