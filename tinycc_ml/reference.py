"""The numerical truth: TFLite's interpreter with its reference kernels (BUILTIN_REF).

TensorFlow is needed only here (verify, tests, benchmarks), never to compile.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import CompileError
from .frontends.tflite import accepted_by_tflite


RUNTIMES = ("tensorflow", "litert")


def _runtime(which: str | None = None):
    """(Interpreter class, OpResolverType enum, label) of TFLite's interpreter: TensorFlow's
    tf.lite.Interpreter, or, when TensorFlow is not installed (or which="litert"), LiteRT's
    (pip install ai-edge-litert: the same interpreter and reference kernels, without TensorFlow;
    the tests check both give the same results)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TensorFlow's oneDNN notice (its float ops only; the TFLite interpreter does not use them)
    # is printed through absl before TF_CPP_MIN_LOG_LEVEL applies: keep verify's output clean
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    if which in (None, "tensorflow"):
        try:
            with _quiet_native_stderr():
                import tensorflow as tf  # noqa: PLC0415
            return tf.lite.Interpreter, tf.lite.experimental.OpResolverType, "TFLite"
        except ImportError:
            if which == "tensorflow":
                raise CompileError("TensorFlow is not installed: pip install tensorflow-cpu"
                                   ) from None
    try:
        from ai_edge_litert import interpreter as litert  # noqa: PLC0415
    except ImportError:
        raise CompileError("verify needs TFLite's reference interpreter: pip install "
                           "ai-edge-litert (or tensorflow-cpu)") from None
    return litert.Interpreter, litert.OpResolverType, "TFLite (LiteRT)"


@contextlib.contextmanager
def _quiet_native_stderr():
    """File descriptor 2 pointed at /dev/null while TensorFlow loads: its C++ libraries print
    absl notices there before any log level applies (the CUDA stub's "Could not find cuda
    drivers" of the `tensorflow` wheel, which tf-keras installs beside tensorflow-cpu). Python's
    own errors are raised after the import, with stderr restored."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class TFLiteReference:
    """The model in TFLite's interpreter with its reference kernels (BUILTIN_REF). When those
    lack an op's version (TF 2.21's reference resolver has no TILE v3, which Keras 3's
    UpSampling2D writes), TFLite's builtin kernels without delegates are used instead (not
    XNNPACK, which rounds differently) and `resolver` says so: verify prints it. Only
    data-movement ops are missing from BUILTIN_REF in practice."""

    def __init__(self, model_path: str | Path, preserve_all: bool = False, reference: bool = True,
                 runtime: str | None = None):
        self._interpreter, self._resolvers, self.runtime = _runtime(runtime)
        self.resolver = "BUILTIN_REF" if reference else "BUILTIN"
        content = accepted_by_tflite(Path(model_path).read_bytes())
        try:
            self.it = self._load(content, preserve_all)
        except (ValueError, RuntimeError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if self.resolver == "BUILTIN_REF" and "Didn't find op for builtin opcode" in first:
                self.resolver = "BUILTIN_WITHOUT_DEFAULT_DELEGATES (its reference kernels lack " + \
                    first.split("builtin opcode ")[-1].split(".")[0] + ")"
                self.it = self._load(content, preserve_all)
            else:
                raise CompileError(f"{Path(model_path).name}: TFLite's reference interpreter "
                                   f"refuses the model, nothing to compare with: {first[:300]}"
                                   ) from None
        self.inputs = self.it.get_input_details()
        self.outputs = self.it.get_output_details()

    def _load(self, content: bytes, preserve_all: bool):
        kwargs = {}
        if self.resolver != "BUILTIN":      # BUILTIN: TFLite's default, XNNPACK delegate included
            kwargs["experimental_op_resolver_type"] = getattr(self._resolvers,
                                                              self.resolver.split()[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            it = self._interpreter(model_content=content,
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


class OnnxReference:
    """An .onnx model in onnxruntime's CPU execution provider with its default graph
    optimizations (the reference of the "onnxruntime" numerics, tinycc_ml/ops/_ort.py).
    `run` takes and returns arrays in the generated function's layout (io_layout "nhwc":
    4-D tensors NHWC, transposed to and from the model's NCHW here)."""

    def __init__(self, model_path: str | Path, io_layout: str = "nchw",
                 ort_reference: str = "x86", extra_outputs: Sequence[str] = ()):
        try:
            import onnxruntime as ort  # noqa: PLC0415
        except ImportError:
            raise CompileError("verify needs onnxruntime for .onnx models: pip install "
                               "onnxruntime") from None
        opts = ort_session_options(ort_reference)
        try:
            self.sess = ort.InferenceSession(str(model_path), opts,
                                             providers=["CPUExecutionProvider"])
            # verify --per-layer: a second session with every layer's value as an output (the
            # verdict stays the first's: extra outputs may change onnxruntime's fusions)
            self.sess_values = ort.InferenceSession(
                with_outputs(Path(model_path), extra_outputs), opts,
                providers=["CPUExecutionProvider"]) if extra_outputs else None
        except Exception as e:  # noqa: BLE001  (onnxruntime raises its own exception types)
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CompileError(f"{Path(model_path).name}: onnxruntime refuses the model, "
                               f"nothing to compare with: {first[:300]}") from None
        self.names = [i.name for i in self.sess.get_inputs()]
        self.nhwc = io_layout == "nhwc"
        self.runtime = f"onnxruntime {ort.__version__}"
        self.resolver = f"CPU EP, --ort-reference {ort_reference}"
        self.extra = list(extra_outputs)
        self.values: dict[str, np.ndarray] = {}     # of the last run, per layer
        self.values_agree = True    # the second session's outputs equal the first's

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        feeds = {n: (x.transpose(0, 3, 1, 2) if self.nhwc and x.ndim == 4 else x)
                 for n, x in zip(self.names, inputs)}
        outs = self.sess.run(None, feeds)
        if self.sess_values is not None:
            more = self.sess_values.run(None, feeds)
            self.values = dict(zip((o.name for o in self.sess_values.get_outputs()), more))
            self.values_agree = all(np.array_equal(a, b) for a, b in zip(outs, more))
        return [o.transpose(0, 2, 3, 1) if self.nhwc and o.ndim == 4 else o for o in outs]


def ort_session_options(ort_reference: str = "x86"):
    """onnxruntime.SessionOptions of the reference `ort_reference` (frontends/onnx.py
    ORT_REFERENCES): default graph optimizations plus its config entries."""
    import onnxruntime as ort  # noqa: PLC0415
    from .frontends.onnx import ORT_REFERENCES  # noqa: PLC0415
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    for key, value in ORT_REFERENCES[ort_reference].items():
        opts.add_session_config_entry(key, value)
    return opts


def with_outputs(model_path: Path, names: Sequence[str]) -> bytes:
    """The model's bytes with the values `names` added as graph outputs (verify --per-layer).
    onnxruntime still fuses the groups around them (a QuantizeLinear output stays one)."""
    import onnx  # noqa: PLC0415
    m = onnx.load(str(model_path))
    have = {o.name for o in m.graph.output}
    for name in names:
        if name not in have:
            m.graph.output.append(onnx.ValueInfoProto(name=name))
    return m.SerializeToString()


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
