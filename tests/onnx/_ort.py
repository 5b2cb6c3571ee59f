"""Helpers of the ONNX tests: onnx.helper graphs, onnxruntime as the oracle (CPU execution
provider, default graph optimizations), and the generated C built for the host."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]


def const(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def save(path: Path, nodes, inputs, outputs, inits, opset: int = 17) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), OPSET[1]])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def value(name: str, dtype, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def ort_run(path: Path, feeds: list[np.ndarray], ort_reference: str = "x86") -> list[np.ndarray]:
    import onnxruntime as ort
    from tinycc_ml.reference import ort_session_options
    sess = ort.InferenceSession(str(path), ort_session_options(ort_reference),
                                providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, feeds)))


def random_input(rng, dtype, shape) -> np.ndarray:
    if dtype == np.float32:
        return rng.uniform(-3, 3, size=shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape).astype(dtype)


def check(path: Path, work: Path, n: int = 5, seed: int = 0, integer_only: bool = False,
          **options) -> None:
    """The generated C equals onnxruntime on n random inputs, exactly (integer_only: the C
    built with TCM_ORT_INTEGER_ONLY, the requantization of cores without an FPU; options go to
    the compiler, ort_reference also picks onnxruntime's session)."""
    import onnxruntime as ort
    from tinycc_ml.reference import ort_session_options
    reference = options.get("ort_reference", "x86")
    sess = ort.InferenceSession(str(path), ort_session_options(reference),
                                providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    types = {"tensor(float)": np.float32, "tensor(int8)": np.int8, "tensor(uint8)": np.uint8}
    specs = [(types[i.type], [d if isinstance(d, int) else 1 for d in i.shape])
             for i in sess.get_inputs()]
    from tinycc_ml import hostbuild
    from tinycc_ml.compiler import Options, compile_file
    compiled = compile_file(path, Options(name="m", **options))
    cflags = ("-O2", "-DTCM_ORT_INTEGER_ONLY") if integer_only else ("-O2",)
    model = hostbuild.build(compiled, work, cflags=cflags)
    layout = options.get("io_layout", "nchw")
    for _ in range(n):
        feeds = [random_input(rng, t, s) for t, s in specs]
        want = sess.run(None, dict(zip([i.name for i in sess.get_inputs()], feeds)))
        c_feeds = [f.transpose(0, 2, 3, 1) if layout == "nhwc" and f.ndim == 4 else f
                   for f in feeds]
        got = model.run(c_feeds)
        for w, g in zip(want, got):
            if layout == "nhwc" and w.ndim == 4:
                w = w.transpose(0, 2, 3, 1)
            np.testing.assert_array_equal(np.asarray(g).reshape(w.shape), w)


def sanitized_check(path: Path, work: Path, n: int = 2, seed: int = 0) -> None:
    """The generated C built with ASan + UBSan (tests/test_sanitizers.py's harness: a guarded
    arena, stdin -> NAME_invoke -> stdout) equals onnxruntime on n random inputs, exactly."""
    import os
    import subprocess
    import onnxruntime as ort
    from tests.test_sanitizers import SAN_ENV, SANITIZE, build
    from tinycc_ml.reference import ort_session_options
    exe, compiled = build(path, work, ["-O1", "-g", "-DFILL_ARENA", *SANITIZE])
    sess = ort.InferenceSession(str(path), ort_session_options("x86"),
                                providers=["CPUExecutionProvider"])
    types = {"tensor(float)": np.float32, "tensor(int8)": np.int8, "tensor(uint8)": np.uint8}
    specs = [(types[i.type], [d if isinstance(d, int) else 1 for d in i.shape])
             for i in sess.get_inputs()]
    rng = np.random.default_rng(seed)
    batches = [[random_input(rng, t, s) for t, s in specs] for _ in range(n)]
    stdin = b"".join(np.ascontiguousarray(x).tobytes() for xs in batches for x in xs)
    proc = subprocess.run([str(exe)], input=stdin, capture_output=True, timeout=300,
                          env=dict(os.environ, **SAN_ENV))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-4000:]
    got, at = proc.stdout, 0
    for xs in batches:
        for w in sess.run(None, dict(zip([i.name for i in sess.get_inputs()], xs))):
            size = w.size * w.dtype.itemsize
            np.testing.assert_array_equal(np.frombuffer(got[at:at + size], w.dtype), w.ravel())
            at += size
    assert at == len(got)
