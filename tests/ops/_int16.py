"""Helpers of the 16x8 op tests (int16 activations, int8 weights): the conversion, the kernels
a compiled layer runs, and BUILTIN_REF's outputs and refusals."""

from __future__ import annotations

import numpy as np

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


def _ref_interpreter(data: bytes):
    from tests.util import tf
    lite = tf().lite
    return lite.Interpreter(model_content=data,
                            experimental_op_resolver_type=lite.experimental.OpResolverType.BUILTIN_REF)


def ref_outputs(data: bytes, x) -> dict[str, np.ndarray]:
    """BUILTIN_REF on the model's one input `x` (reshaped to it): output name -> flat array."""
    it = _ref_interpreter(data)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], x.reshape(d["shape"]))
    it.invoke()
    return {o["name"]: it.get_tensor(o["index"]).reshape(-1) for o in it.get_output_details()}


def ref_rejects(data: bytes) -> None:
    """BUILTIN_REF's Prepare refuses the model (allocate_tensors raises)."""
    import pytest
    with pytest.raises(RuntimeError):
        _ref_interpreter(data).allocate_tensors()
