"""The numerical truth: TFLite's interpreter with its reference kernels (BUILTIN_REF).

TensorFlow is needed only here (verify, tests, benchmarks), never to compile.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import CompileError
from .frontends.tflite import accepted_by_tflite


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TensorFlow's oneDNN notice (its float ops only; the TFLite interpreter does not use them)
    # is printed through absl before TF_CPP_MIN_LOG_LEVEL applies: keep verify's output clean
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as tf  # noqa: PLC0415
    except ImportError:
        raise CompileError("verify needs TensorFlow for the reference interpreter: "
                           "pip install tensorflow-cpu") from None
    return tf


class TFLiteReference:
    """The model in TFLite's interpreter with its reference kernels (BUILTIN_REF). When those
    lack an op's version (TF 2.21's reference resolver has no TILE v3, which Keras 3's
    UpSampling2D writes), TFLite's builtin kernels without delegates are used instead (not
    XNNPACK, which rounds differently) and `resolver` says so: verify prints it. Only
    data-movement ops are missing from BUILTIN_REF in practice."""

    def __init__(self, model_path: str | Path, preserve_all: bool = False, reference: bool = True):
        tf = _tf()
        self.resolver = "BUILTIN_REF" if reference else "BUILTIN"
        content = accepted_by_tflite(Path(model_path).read_bytes())
        try:
            self.it = self._load(tf, content, preserve_all)
        except (ValueError, RuntimeError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if self.resolver == "BUILTIN_REF" and "Didn't find op for builtin opcode" in first:
                self.resolver = "BUILTIN_WITHOUT_DEFAULT_DELEGATES (its reference kernels lack " + \
                    first.split("builtin opcode ")[-1].split(".")[0] + ")"
                self.it = self._load(tf, content, preserve_all)
            else:
                raise CompileError(f"{Path(model_path).name}: TFLite's reference interpreter "
                                   f"refuses the model, nothing to compare with: {first[:300]}"
                                   ) from None
        self.inputs = self.it.get_input_details()
        self.outputs = self.it.get_output_details()

    def _load(self, tf, content: bytes, preserve_all: bool):
        kwargs = {}
        if self.resolver != "BUILTIN":      # BUILTIN: TFLite's default, XNNPACK delegate included
            kwargs["experimental_op_resolver_type"] = getattr(
                tf.lite.experimental.OpResolverType, self.resolver.split()[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            it = tf.lite.Interpreter(model_content=content,
                                     experimental_preserve_all_tensors=preserve_all, **kwargs)
        it.allocate_tensors()
        return it

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        for d, x in zip(self.inputs, inputs):
            self.it.set_tensor(d["index"], np.asarray(x, d["dtype"]).reshape(d["shape"]))
        self.it.invoke()
        return [self.it.get_tensor(d["index"]).copy() for d in self.outputs]

    def tensor(self, index: int) -> np.ndarray:
        return self.it.get_tensor(index).copy()


def random_inputs(shapes_dtypes, rng: np.random.Generator) -> list[np.ndarray]:
    """Uniform over the whole integer range (floats: uniform in [-1, 1))."""
    out = []
    for shape, dt in shapes_dtypes:
        dt = np.dtype(dt)
        if dt.kind in "iu":
            info = np.iinfo(dt)
            out.append(rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dt))
        else:
            out.append(rng.uniform(-1, 1, size=shape).astype(dt))
    return out
