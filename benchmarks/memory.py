"""RAM of the generated C against TensorFlow Lite Micro and the liveness bound, in one run.

For each shared model: TFLite Micro's smallest arena (measured now by bisection with the
`tflite-micro` package; it holds the graph I/O and TFLM's own structures), the liveness bound
of ../shared/BASELINES.md (most bytes of activations alive at one layer, graph I/O included),
tinycc-ml's NAME_ARENA_BYTES (activations and kernel scratch; the graph I/O stays in the
caller's buffers), that arena plus the I/O buffers, and this planner with the I/O planned inside
the arena as TFLM counts it; then the ratios, the in-place layers used and how good the
placement is known to be. Nothing is timed, nothing asserted.

    python benchmarks/memory.py [--models kws_ds_cnn_int8 ...] [--target cortex-m4]
                                [--optimize ram]

`--target` and `--optimize` compile as the CLI does (`--optimize ram`: the smallest-arena kernels
and tiled layers, passes/tradeoff.py and passes/tile.py).
"""

from __future__ import annotations

import argparse

from _common import MODELS, model_path, table
from tinycc_ml.progress import Progress


def measure(name: str, target: str = "generic", optimize: str = "speed") -> dict:
    from tinycc_ml import planner
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.tflm import measure as tflm_measure

    path = model_path(name)
    c = compile_file(path, Options(name="m", target=target, optimize=optimize))
    g = c.graph
    io = sum(g.tensor(t).nbytes for t in set(g.inputs) | set(g.outputs))
    tflm, note = tflm_measure(path)   # in a child process: a crash of TFLM is a note
    return {"tflm": tflm, "tflm_note": note, "bound": c.lower_bound, "arena": c.plan.arena_bytes,
            "arena_io": c.plan.arena_bytes + io,
            "io_inside": planner.replan(c.plan, g, io_in_arena=True).arena_bytes,
            "inplace": len(c.plan.inplace), "status": c.plan.status.split(":")[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="*", default=MODELS)
    ap.add_argument("--target", default="generic")
    ap.add_argument("--optimize", default="speed", choices=["speed", "ram"])
    a = ap.parse_args()
    rows, notes = [], []
    bar = Progress("memory", len(a.models))
    for i, name in enumerate(a.models):
        bar.update(i, name)
        try:
            r = measure(name, a.target, a.optimize)
        except Exception as e:  # a model we cannot compile: say why, keep going
            rows.append([name, f"({type(e).__name__}: {str(e)[:60]})"] + [""] * 10)
            continue
        tflm = r["tflm"]
        if tflm is None:
            notes.append(f"{name}: TFLite Micro {r['tflm_note']}")

        def ratio(x, y):
            return f"{x / y:.3f}" if y else "-"
        rows.append([name, f"{tflm:,}" if tflm else "-", f"{r['bound']:,}", f"{r['arena']:,}",
                     f"{r['arena_io']:,}", f"{r['io_inside']:,}",
                     ratio(r["arena"], r["bound"]), ratio(r["arena_io"], r["bound"]),
                     ratio(r["arena_io"], tflm), ratio(r["io_inside"], tflm),
                     str(r["inplace"]), r["status"]])
    bar.close()
    print(f"--target {a.target} --optimize {a.optimize}")
    print(table(["model", "TFLM arena B", "liveness bound B", "arena B", "arena+I/O B",
                 "I/O inside B", "arena/bound", "arena+I/O/bound", "arena+I/O/TFLM",
                 "I/O inside/TFLM", "in-place layers", "placement"], rows))
    print("\narena: NAME_ARENA_BYTES (activations + scratch; graph I/O in the caller's buffers). "
          "I/O inside: the same planner with the graph I/O in the arena, as TFLM counts it.")
    for n in notes:
        print(n)


if __name__ == "__main__":
    main()
