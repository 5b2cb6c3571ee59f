"""TILED_ROWS: a pointwise CONV_2D, a DEPTHWISE_CONV_2D and a pointwise CONV_2D run row by row
(MCUNetV2-style patch execution with line buffers; made by passes/tile.py, never read from a
model).

For each output row r of the depthwise convolution, the rows of the first convolution's output
its window needs (k_h of them, rows shared with row r - 1 kept and moved down) are computed into
a band of k_h rows, the depthwise convolution makes one row from the band, and the second
convolution turns that row into output row r. The two intermediate tensors never exist whole:
the scratch is k_h rows of the first output, one row of the depthwise output and the scratch of
the kernels it calls. Each call is a kernel of its op on a window of one row (the
depthwise one, tcm_depthwise_conv2d_s8, with the band's rows and padding; the pointwise ones the
fastest of their MVE, DSP, scalar and portable kernels for the target), so the arithmetic, and
every output byte, are those of the untiled layers. Nothing is computed twice. The output may be written over the input (Kernel.inplace, gap below): row r
is written once the input rows it depends on are read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..backends.emit import LayerEmitter
from .base import Kernel, Layer, OpDef, register
from .conv2d import ConvMve, ConvPortable, ConvScalar, ConvSmlad
from .depthwise_conv2d import DepthwisePortable


@dataclass(frozen=True)
class TiledParams:
    ops: tuple          # the three ops (ir.Op, prepared): pointwise, depthwise, pointwise
    row_a: int          # bytes of one row of the first convolution's output
    row_b: int          # ... of the depthwise output; both rounded up to 4


def rows_read(win_b, r: int) -> tuple[int, int, int]:
    """(y0, lo, hi): the depthwise window's first row for output row r and the rows of its
    input (the first convolution's output) inside the image."""
    y0 = r * win_b.stride_h - win_b.pad_h
    return y0, max(y0, 0), min(y0 + (win_b.k_h - 1) * win_b.dil_h, win_b.in_h - 1)


# the pointwise convolutions' kernels a tile may call, fastest first (a row is an image of
# one row for them; the host and CMSIS-NN kernels are left out)
_POINTWISE = (ConvMve(), ConvSmlad(), ConvScalar(), ConvPortable())


class TiledRowsKernel(Kernel):
    """`pointwise`: the kernels its pointwise calls may use (the fastest that can run the layer);
    TiledRows lists the fast tile, then the portable one (the smallest scratch)."""
    c_function = None
    forms = ()

    def __init__(self, pointwise: tuple = _POINTWISE):
        self.pointwise = pointwise

    @property
    def name(self) -> str:
        return "TILED_ROWS (row by row" + ("" if len(self.pointwise) > 1 else ", portable") + ")"

    def decide(self, layer, ctx):
        """(kernel, decision) for each of the three calls: the pointwise ones the fastest of
        _POINTWISE that can run the layer on ctx, the depthwise one the portable kernel."""
        from ..passes.select import why_not
        g, out = layer.g, []
        for op, kernels in zip(layer.params.ops,
                               (self.pointwise, (DepthwisePortable(),), self.pointwise)):
            sub = Layer(op, g)
            k = next(k for k in kernels if why_not(k, sub, ctx) is None)
            out.append((k, k.decide(sub, ctx)))
        return tuple(out)

    def scratch_bytes(self, layer, ctx, decision):
        p = layer.params
        win_b = p.ops[1].params.win
        acc = max(k.scratch_bytes(Layer(op, layer.g), ctx, d)
                  for op, (k, d) in zip(p.ops, decision))
        return win_b.k_h * p.row_a + p.row_b + (acc + 3) // 4 * 4

    def cycles(self, layer, decision):
        return sum(k.cycles(Layer(op, layer.g), d) for op, (k, d) in zip(layer.params.ops, decision))

    def inplace(self, layer, decision):
        p = layer.params
        a, b, c = (op.params.win for op in p.ops)
        row_in, row_out = a.in_w * a.in_c, c.out_w * c.out_c
        gap = 0
        for r in range(b.out_h):
            _, _, hi = rows_read(b, r)
            if hi < a.in_h - 1:
                gap = max(gap, (r + 1) * row_out - (hi + 1) * row_in)
        return 0, gap

    def emit(self, layer, em, decision):
        p, g = layer.params, layer.g
        a_op, b_op, c_op = p.ops
        a, b, c = (op.params.win for op in p.ops)
        names = {a_op.inputs[0]: "tl_in", a_op.outputs[0]: "tl_a", b_op.outputs[0]: "tl_row",
                 c_op.outputs[0]: "tl_c"}
        calls, structs = [], []
        for op, (kernel, d), tag in zip(p.ops, decision, "abc"):
            sub = _RowEmitter(g, op, em, f"{em.stem}_{tag}", names, f"tl_w{tag}")
            calls.append(kernel.emit(Layer(op, g), sub, d))
            structs.append(sub.ident)
            em.use(*sub.sources)
        ind = lambda text, n: "\n".join(" " * n + line for line in text.splitlines())  # noqa: E731
        row_in, row_c = a.in_w * a.in_c, c.out_w * c.out_c
        return "\n".join([
            "{",
            "    const int8_t *tl_in;",
            f"    const int8_t *const tl_x = {em.tensor(layer.op.inputs[0])};",
            f"    int8_t *const tl_y = {em.tensor(layer.op.outputs[0])};",
            f"    int8_t *const tl_band = (int8_t *){em.scratch};   /* {b.k_h} rows of the "
            "first convolution's output */",
            f"    int8_t *const tl_row = tl_band + {b.k_h * p.row_a};   /* a row of the "
            "depthwise output */",
            f"    uint8_t *const tl_acc = (uint8_t *)(tl_row + {p.row_b});",
            "    int8_t *tl_a, *tl_c;",
            f"    tcm_window tl_wa = {structs[0]}, tl_wb = {structs[1]}, tl_wc = {structs[2]};",
            "    int32_t r, k, first, prev_lo = 0, prev_hi = -1;",
            "    tl_wa.in_h = tl_wa.out_h = 1; tl_wb.out_h = 1; tl_wc.in_h = tl_wc.out_h = 1;",
            f"    for (r = 0; r < {b.out_h}; ++r) {{",
            f"        const int32_t y0 = r * {b.stride_h} - {b.pad_h};",
            "        const int32_t lo = y0 < 0 ? 0 : y0;",
            f"        const int32_t hi = y0 + {(b.k_h - 1) * b.dil_h} < {b.in_h} ? "
            f"y0 + {(b.k_h - 1) * b.dil_h} : {b.in_h - 1};",
            "        first = lo;",
            "        if (lo <= prev_hi) {   /* rows kept from the previous band move down */",
            f"            memmove(tl_band, tl_band + (lo - prev_lo) * {p.row_a}, "
            f"(size_t)(prev_hi - lo + 1) * {p.row_a}u);",
            "            first = prev_hi + 1;",
            "        }",
            "        for (k = first; k <= hi; ++k) {",
            f"            tl_in = tl_x + k * {row_in};",
            f"            tl_a = tl_band + (k - lo) * {p.row_a};",
            ind(calls[0], 12),
            "        }",
            "        prev_lo = lo;",
            "        prev_hi = hi;",
            "        tl_wb.in_h = hi - lo + 1;",
            "        tl_wb.pad_h = lo - y0;",
            "        tl_a = tl_band;",
            ind(calls[1], 8),
            f"        tl_c = tl_y + r * {row_c};",
            ind(calls[2], 8),
            "    }",
            "}"])


class _RowEmitter(LayerEmitter):
    """The emitter of one op inside the tile: its tensors are the tile's local pointers, its
    window struct a local copy (`local`) the loop adjusts; constants as the layer's own."""

    def __init__(self, g, op, em: LayerEmitter, stem: str, names: dict, local: str):
        super().__init__(g, op, em.position, stem, em.consts, names, "tl_acc", em.target,
                         em.kernels)
        self.local, self.ident = local, None

    def struct(self, hint, ctype, fields):
        self.ident = super().struct(hint, ctype, fields)
        return self.local


@register("TILED_ROWS", internal=True)
class TiledRows(OpDef):
    kernels = (TiledRowsKernel(), TiledRowsKernel((ConvPortable(),)))

    def macs(self, op, g):
        from .base import lookup
        return sum(lookup(o, g).macs(o, g) for o in op.params.ops)

    def describe(self, op, g):
        return "row by row: " + ", ".join(f"{o.kind} '{o.name}'" for o in op.params.ops)


def tiled_op(ops: tuple) -> "object":
    """The TILED_ROWS op replacing `ops` (pointwise, depthwise, pointwise; passes/tile.py)."""
    a, b, _ = (o.params.win for o in ops)
    params = TiledParams(ops=tuple(ops), row_a=(a.out_w * a.out_c + 3) // 4 * 4,
                         row_b=(b.out_w * b.out_c + 3) // 4 * 4)
    return replace(ops[0], kind="TILED_ROWS", name=ops[2].name, inputs=(ops[0].inputs[0],),
                   outputs=ops[2].outputs, params=params, source_kind="")
