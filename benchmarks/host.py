"""Host latency of the generated C against TFLite and TensorFlow Lite Micro, in one run.

For each shared model: tinycc-ml's `--target host` C built at -O2 and at -O3 -march=native, and
its portable `--target generic` C (TFLite's reference loops) at -O3 -march=native (through cffi,
called in-process), TFLite with its default kernels (XNNPACK), TFLite BUILTIN_REF, and TFLite Micro (the
`tflite-micro` package's interpreter); the same fixed input for all; median of many runs in one
process. The machine is shared and noisy: read the ratios, not the absolute times. Also prints
tinycc-ml's compile time per model.

    python benchmarks/host.py [--runs 30] [--models kws_ds_cnn_int8 ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from _common import MODELS, model_path, table
from tinycc_ml.progress import Progress


def _median_us(fn, runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1e3


def bench_model(name: str, runs: int) -> dict:
    import tensorflow as tf
    from tflite_micro import runtime as tflm

    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.hostbuild import build

    path = model_path(name)
    t0 = time.perf_counter()
    compiled = compile_file(path, Options(name="m", target="host"))
    compile_s = time.perf_counter() - t0
    portable = compile_file(path, Options(name="m", target="generic"))
    res = {"compile_s": compile_s}
    x = np.random.default_rng(0).integers(-128, 128, compiled.graph.tensor(
        compiled.graph.inputs[0]).shape, dtype=np.int8)
    native = ("-O3", "-march=native")
    for label, c, flags in (("o2", compiled, ("-O2",)), ("o3", compiled, native),
                            ("generic", portable, native)):
        host = build(c, cflags=flags)
        res[label] = _median_us(host.timer([x]), runs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, kw in (("tfl", {}), ("ref", {"experimental_op_resolver_type":
                                               tf.lite.experimental.OpResolverType.BUILTIN_REF})):
            it = tf.lite.Interpreter(model_path=str(path), **kw)
            it.allocate_tensors()
            idx = it.get_input_details()[0]["index"]

            def run(it=it, idx=idx):
                it.set_tensor(idx, x)
                it.invoke()
            res[label] = _median_us(run, runs)
    micro = tflm.Interpreter.from_file(str(path))

    def run_micro():
        micro.set_input(x, 0)
        micro.invoke()
    res["tflm"] = _median_us(run_micro, max(5, runs // 3))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--models", nargs="*", default=MODELS)
    a = ap.parse_args()
    rows = []
    bar = Progress("host", len(a.models))
    for i, name in enumerate(a.models):
        bar.update(i, name)
        try:
            r = bench_model(name, a.runs)
        except Exception as e:  # a model we cannot compile yet: say why, keep going
            rows.append([name] + [f"({type(e).__name__}: {str(e)[:40]})"] + [""] * 10)
            continue
        rows.append([name, f"{r['o2']:.0f}", f"{r['o3']:.0f}", f"{r['generic']:.0f}",
                     f"{r['tfl']:.0f}", f"{r['ref']:.0f}",
                     f"{r['tflm']:.0f}", f"{r['tflm'] / r['o3']:.1f}x", f"{r['o3'] / r['tfl']:.2f}",
                     f"{r['ref'] / r['o3']:.1f}x", f"{r['compile_s']:.2f}"])
    bar.close()
    print(table(["model", "ours -O2 us", "ours -O3 native us", "generic -O3 native us",
                 "TFLite us", "TFLite ref us",
                 "TFLM us", "TFLM/ours(O3)", "ours(O3)/TFLite", "ref/ours(O3)", "compile s"], rows))
    print("\nTargets: TFLM/ours >= 10x; ours(O3)/TFLite (XNNPACK) <= 2.0; compile < 1 s.")


if __name__ == "__main__":
    main()
