"""Pruned models: flash, instructions and host latency of the sparse kernels against the dense
compile of the same model, as ratios.

For each shared model and pruning level (tests/prune.py: magnitude pruning in the .tflite's
buffers, 50%, 75%, 90% of the weights unstructured, 50% of whole filters), compiled with
`--sparsity auto` (the sparse kernels where ops/_sparse.py's cost model says they pay) and with
`--sparsity off` (the dense kernels):
- flash: `arm-none-eabi-size` over the model's own objects (NAME.o and the tcm_*.o kernels:
  code and constants) of the Cortex-M4 build (-O2, --gc-sections as tinycc_ml/cortexm);
- M4 and M55 instructions per inference under QEMU (exact, the instruction-count plugin),
  one fixed random input;
- host latency: `--target host` C at -O2 through cffi, median of --runs calls.
Also checks each compile's outputs against TFLite BUILTIN_REF on that input (M4, M55, host).
The issue-12 goals are printed beside the ratios they concern.

    python benchmarks/sparsity.py [--models ad_autoencoder_int8 ...] [--levels 75 90 50f]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from _common import MODELS, model_path, table

LEVELS = {"50": (0.5, False), "75": (0.75, False), "90": (0.9, False), "50f": (0.5, True)}
# issue 12: (model, level) -> (flash ratio, M4 instructions ratio) to reach
GOALS = {("ad_autoencoder_int8", "75"): (0.45, 0.7), ("vww_mobilenet_int8", "75"): (0.45, 0.7),
         ("kws_ds_cnn_int8", "90"): (0.3, 0.45), ("ic_resnet8_int8", "50f"): (0.55, 0.55)}


def _pruned(name: str, level: str, work) -> "Path":
    from tests.prune import prune
    frac, whole = LEVELS[level]
    path = work / f"{name}_{level}.tflite"
    path.write_bytes(prune(model_path(name).read_bytes(), frac, whole))
    return path


def _check(got, want) -> None:
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b.reshape(a.shape))


def measure(path, sparsity: str, xs, want, runs: int) -> dict:
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.hostbuild import build
    out = {}
    for core in ("cortex-m4", "cortex-m55"):
        c = compile_file(path, Options(name="m", target=core, sparsity=sparsity))
        run = build_and_run(c, [xs], core)
        _check(run.outputs[0], want)
        out[core] = run.instructions[0]
        if core == "cortex-m4":
            out["flash"] = run.model_flash
            out["sparse_layers"] = sum(1 for x in c.layers if (x.kernel or "").endswith("_sparse"))
    c = compile_file(path, Options(name="m", target="host", sparsity=sparsity))
    host = build(c, cflags=("-O2",))
    _check(host.run(xs), want)
    call = host.timer(xs)
    call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - t0)
    out["host_us"] = statistics.median(times) / 1e3
    return out


def main() -> None:
    import tempfile
    from pathlib import Path

    from tinycc_ml.ir import DTYPES
    from tinycc_ml.reference import TFLiteReference, random_inputs
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="*", default=MODELS)
    ap.add_argument("--levels", nargs="*", default=list(LEVELS), choices=list(LEVELS))
    ap.add_argument("--runs", type=int, default=50)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="tinycc-ml-sparsity-") as tmp:
        for name in a.models:
            for level in a.levels:
                path = _pruned(name, level, Path(tmp))
                ref = TFLiteReference(path)
                from tinycc_ml.frontends import load
                g = load(path)
                xs = random_inputs([(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0])
                                    for t in g.inputs], np.random.default_rng(0))
                want = ref.run(xs)
                dense = measure(path, "off", xs, want, a.runs)
                sparse = measure(path, "auto", xs, want, a.runs)
                r = {k: sparse[k] / dense[k] for k in ("flash", "cortex-m4", "cortex-m55",
                                                       "host_us")}
                goal = GOALS.get((name, level))
                met = "-" if goal is None else (
                    f"flash {'yes' if r['flash'] <= goal[0] else 'no'} (<= {goal[0]}), "
                    f"M4 {'yes' if r['cortex-m4'] <= goal[1] else 'no'} (<= {goal[1]})")
                rows.append([name, level, str(sparse["sparse_layers"]),
                             f"{dense['flash']:,} -> {sparse['flash']:,}", f"{r['flash']:.2f}",
                             f"{dense['cortex-m4']:,} -> {sparse['cortex-m4']:,}",
                             f"{r['cortex-m4']:.2f}",
                             f"{dense['cortex-m55']:,} -> {sparse['cortex-m55']:,}",
                             f"{r['cortex-m55']:.2f}",
                             f"{dense['host_us']:.0f} -> {sparse['host_us']:.0f}",
                             f"{r['host_us']:.2f}", met])
                print(" | ".join(rows[-1]), flush=True)
    print("\nPruned models (tests/prune.py), --sparsity auto against --sparsity off; levels: % "
          "of the weights zeroed, 'f' = whole filters. Outputs equal TFLite BUILTIN_REF on M4, "
          "M55 and host for every row.")
    print(table(["model", "level", "sparse layers", "M4 flash B", "ratio", "M4 insns", "ratio",
                 "M55 insns", "ratio", "host us", "ratio", "issue-12 goal"], rows))


if __name__ == "__main__":
    main()
