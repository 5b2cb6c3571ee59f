"""Magnitude pruning of a converted int8 .tflite, in its buffers: the test models of the sparse
kernels (tests/models/test_sparse_models.py, benchmarks/sparsity.py).

`prune(data, level)` zeroes, in each CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED weight
tensor, the `level` fraction of its weights smallest in magnitude (unstructured pruning, ties
broken by position). `prune(data, level, whole_filters=True)` zeroes instead the `level`
fraction of whole output filters (output channels) with the smallest L1 norm, and their bias:
the filter is removed, its channel outputs the requantized zero (the output zero point,
clamped). The TFLite interpreter, run on the pruned bytes, stays the reference.
"""

from __future__ import annotations

import numpy as np

from tests.cli.tflite_edit import edit, schema

KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def prune(data: bytes, level: float, whole_filters: bool = False) -> bytes:
    codes = {v: k for k, v in vars(schema().BuiltinOperator).items() if not k.startswith("_")}

    def change(model):
        sub = model.subgraphs[0]
        for op in sub.operators:
            oc = model.operatorCodes[op.opcodeIndex]
            kind = codes.get(max(oc.builtinCode, oc.deprecatedBuiltinCode))
            if kind not in KINDS or len(op.inputs) < 2:
                continue
            t = sub.tensors[op.inputs[1]]
            buf = model.buffers[t.buffer]
            if buf.data is None or t.type != schema().TensorType.INT8:
                continue
            w = np.frombuffer(bytes(bytearray(buf.data)), np.int8).reshape(t.shape).copy()
            if whole_filters:
                # output channels: axis 0 ([out_c, ...]), a depthwise filter's last axis
                rows = (w.reshape(-1, w.shape[-1]).T.copy() if kind == "DEPTHWISE_CONV_2D"
                        else w.reshape(w.shape[0], -1))
                norms = np.abs(rows.astype(np.int64)).sum(axis=1)
                dead = np.argsort(norms, kind="stable")[:int(round(level * len(rows)))]
                rows[dead] = 0
                if len(op.inputs) > 2 and op.inputs[2] >= 0:
                    bt = sub.tensors[op.inputs[2]]
                    bb = model.buffers[bt.buffer]
                    bias = np.frombuffer(bytes(bytearray(bb.data)), np.int32).copy()
                    bias[dead] = 0
                    bb.data = np.frombuffer(bias.tobytes(), np.uint8)
                w = (rows.T.reshape(w.shape) if kind == "DEPTHWISE_CONV_2D"
                     else rows.reshape(w.shape))
            else:
                flat = w.reshape(-1)
                order = np.argsort(np.abs(flat.astype(np.int16)), kind="stable")
                flat[order[:int(round(level * flat.size))]] = 0
            buf.data = np.frombuffer(w.tobytes(), np.uint8)
    return edit(data, change)
