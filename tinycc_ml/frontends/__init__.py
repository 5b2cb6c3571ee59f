"""Frontends translate a model file into the IR (`tinycc_ml.ir.Graph`) and do nothing else."""

from __future__ import annotations

from pathlib import Path

from ..errors import CompileError
from ..ir import Graph


def load(path: str | Path, **onnx_options) -> Graph:
    """Read a model file, choosing the frontend by its content (and extension).

    `onnx_options` go to the ONNX frontend (frontends/onnx.py read: shapes, io_layout,
    ort_reference)."""
    path = Path(path)
    source = path.name
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CompileError(f"cannot read the model: {e.strerror or e}", source=source) from None
    if len(data) >= 8 and data[4:8] == b"TFL3" or path.suffix.lower() == ".tflite":
        from . import tflite
        return tflite.read(data, source)
    if path.suffix.lower() == ".onnx":
        from . import onnx
        return onnx.read(data, source, **onnx_options)
    raise CompileError("not a TFLite model (no 'TFL3' identifier) and not a .onnx file",
                       source=source)
