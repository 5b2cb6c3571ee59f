"""Shared test helpers: build int8 TFLite models with Keras, compile them, compare with BUILTIN_REF.

Every numerical assertion is `np.testing.assert_array_equal` against TFLite's reference kernels.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = REPO / "models" / "mlperf_tiny"   # the four MLPerf Tiny models, shipped
SHARED = ["kws_ds_cnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]


def tf():
    import tensorflow  # noqa: PLC0415
    return tensorflow


def int8_tflite(build: Callable, input_shapes: Sequence[tuple], seed: int = 0,
                n_calib: int = 32, low: float = -1.0, high: float = 1.0,
                per_channel: bool = True, io_type: str = "int8", scheme: str = "int8") -> bytes:
    """Full-integer post-training quantization of a Keras model, int8 (or uint8, float32) I/O.

    `build()` returns a keras.Model. Representative data is uniform in [low, high).
    per_channel, io_type and scheme: as `quantize`.
    """
    t = tf()
    t.keras.utils.set_random_seed(seed)
    model = build()
    rng = np.random.default_rng(seed)

    names = [getattr(i, "name", None) for i in model.inputs]

    def rep():
        for _ in range(n_calib):
            xs = [rng.uniform(low, high, (1,) + tuple(s)).astype(np.float32) for s in input_shapes]
            # several inputs: by name, since the converter may order them differently from Keras
            yield dict(zip(names, xs)) if len(xs) > 1 else xs
    return quantize(model, rep, per_channel=per_channel, io_type=io_type, scheme=scheme)


def quantize(model, rep: Callable, per_channel: bool = True, io_type: str = "int8",
             scheme: str = "int8", sparsity: bool = False) -> bytes:
    """The TFLite converter's full-integer post-training quantization of a built Keras (or
    tf_keras) model, `rep` its representative dataset (a generator function).

    per_channel=False asks the converter for per-tensor weight scales. scheme="16x8": int16
    activations, int8 weights (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8);
    io_type then "int16" (or "float32"). sparsity: EXPERIMENTAL_SPARSITY too, the pruned weights
    written in TFLite's sparse format.
    """
    t = tf()
    conv = t.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [t.lite.Optimize.DEFAULT] + (
        [t.lite.Optimize.EXPERIMENTAL_SPARSITY] if sparsity else [])
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [
        t.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        if scheme == "16x8" else t.lite.OpsSet.TFLITE_BUILTINS_INT8]
    io = {"int8": t.int8, "uint8": t.uint8, "int16": t.int16}.get(io_type, t.float32)
    conv.inference_input_type = io
    conv.inference_output_type = io
    if not per_channel:
        conv._experimental_disable_per_channel = True
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return conv.convert()


def write_model(data: bytes, directory: Path, name: str = "model.tflite") -> Path:
    path = Path(directory) / name
    path.write_bytes(data)
    return path


def compile_and_build(model_path: Path, name: str = "m", cflags=("-O2",), trace=False, **opts):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.hostbuild import build
    compiled = compile_file(model_path, Options(name=name, **opts))
    return build(compiled, cflags=cflags, trace=trace)   # in a temporary folder, then removed


def assert_bitexact(model_path: Path, n: int = 20, seed: int = 0, cflags=("-O2",),
                    host=None, **opts) -> None:
    """Generated C == TFLite BUILTIN_REF on n random inputs, every output element."""
    from tinycc_ml.reference import TFLiteReference, random_inputs
    host = host or compile_and_build(model_path, cflags=cflags, **opts)
    ref = TFLiteReference(model_path)
    rng = np.random.default_rng(seed)
    for i in range(n):
        xs = random_inputs(host.in_specs, rng)
        want = ref.run(xs)
        got = host.run(xs)
        for k, (a, b) in enumerate(zip(got, want)):
            np.testing.assert_array_equal(
                a, b.reshape(a.shape), err_msg=f"{model_path.name}: input {i}, output {k}")


def check_keras(build: Callable, input_shapes: Sequence[tuple], tmp_path: Path, n: int = 10,
                seed: int = 0, expect_kinds: Sequence[str] = (), **kw) -> Path:
    """Convert a Keras model to int8, check it contains `expect_kinds`, assert bit-exactness."""
    from tinycc_ml.frontends import load
    path = write_model(int8_tflite(build, input_shapes, seed=seed, **kw), tmp_path)
    kinds = {op.kind for op in load(path).ops}
    missing = set(expect_kinds) - kinds
    assert not missing, f"the converted model has {sorted(kinds)}, not {sorted(missing)}"
    assert_bitexact(path, n=n, seed=seed)
    return path


def keras():
    return tf().keras


def single_layer(shape: tuple, fn: Callable) -> Callable:
    """A Keras model builder: one input of `shape` (no batch), output fn(keras, input)."""
    def build():
        k = keras()
        inp = k.Input(shape)
        return k.Model(inp, fn(k, inp))
    return build
