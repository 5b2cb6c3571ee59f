"""Edits of converted single-layer CONV_2D / DEPTHWISE_CONV_2D models (tests/cli/tflite_edit.py
`edit`), for the cases the converter never writes: batches above 1, a given output shape (after a
dilation edit with VALID padding). The TFLite interpreter, run on the edited bytes,
remains the reference."""

from __future__ import annotations

import numpy as np

from tests.cli.tflite_edit import edit, schema


def op_index(data: bytes, kind: str) -> int:
    """Index of the first operator of builtin `kind` (e.g. 'CONV_2D') in subgraph 0."""
    model = schema().ModelT.InitFromPackedBuf(bytearray(data), 0)
    code = vars(schema().BuiltinOperator)[kind]
    for i, op in enumerate(model.subgraphs[0].operators):
        oc = model.operatorCodes[op.opcodeIndex]
        if max(oc.builtinCode, oc.deprecatedBuiltinCode) == code:
            return i
    raise KeyError(f"the model has no {kind} operator")


def _is_const(model, tensor) -> bool:
    buf = model.buffers[tensor.buffer]
    return buf.data is not None and len(buf.data) > 0


def with_batch(data: bytes, n: int) -> bytes:
    """Every 4-D activation tensor (not constant) with batch size n."""
    def change(model):
        for t in model.subgraphs[0].tensors:
            if t.shape is not None and len(t.shape) == 4 and not _is_const(model, t):
                t.shape = np.array([n, *t.shape[1:]], np.int32)
                if t.shapeSignature is not None and len(t.shapeSignature) == 4:
                    t.shapeSignature = np.array([n, *t.shapeSignature[1:]], np.int32)
    return edit(data, change)


def with_shape(data: bytes, which: str, shape) -> bytes:
    """The graph's `which` ('input' or 'output') tensor with another stored shape."""
    def change(model):
        sg = model.subgraphs[0]
        t = sg.tensors[(sg.inputs if which == "input" else sg.outputs)[0]]
        t.shape = np.array(shape, np.int32)
        t.shapeSignature = None
    return edit(data, change)
