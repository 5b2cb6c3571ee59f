"""Helpers of the 16x8 op tests (int16 activations, int8 weights): the conversion, and the
kernels a compiled layer runs."""

from __future__ import annotations

from tests.util import int8_tflite


def x16_tflite(build, shapes, **kw) -> bytes:
    """`build()` converted with the 16x8 scheme (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_
    WEIGHTS_INT8), int16 inputs and outputs unless io_type says otherwise."""
    kw.setdefault("io_type", "int16")
    return int8_tflite(build, shapes, scheme="16x8", **kw)


def chosen_kernels(data: bytes, tmp_path, target: str = "generic") -> dict[str, set[str]]:
    """op kind -> the names of the kernels selection chose for its layers on `target`."""
    from tinycc_ml.compiler import Options, compile_file
    from tests.util import write_model
    path = write_model(data, tmp_path, f"sel-{target}.tflite")
    compiled = compile_file(path, Options(name="m", target=target))
    out: dict[str, set[str]] = {}
    for op, choice in zip(compiled.graph.ops, compiled.choices):
        out.setdefault(op.kind, set()).add(choice.kernel.name)
    return out
