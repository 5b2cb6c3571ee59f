"""Cortex-M: instructions per inference, flash and RAM of the generated C, against TFLite Micro
with CMSIS-NN, for the shared models on Cortex-M4 and Cortex-M55.

Ours: the model compiled with `--target <core>`, cross-compiled with arm-none-eabi-gcc -O2
(-ffunction-sections, --gc-sections) with tinycc-ml's own harness, run under QEMU (mps2-an386 for
M4, mps3-an547 for M55) on one fixed random input; instructions counted exactly between
bench_begin()/bench_end() by the QEMU plugin (tinycc_ml/cortexm). Instructions, not cycles.
"Model flash/RAM" is arm-none-eabi-size over the model's own objects (NAME.o and the tcm_*.o
kernels: code, weights, arena); "ELF" is the whole test program (harness, newlib-nano, startup),
less the embedded test input.

Theirs: the anchor table below, copied from ../shared/BASELINES.md ("Cortex-M: TensorFlow Lite
Micro + CMSIS-NN, whole models"): same boards, linker scripts and instruction counter, TFLM
90b983c2 with CMSIS-NN 4ab83cc3, TFLM's release flags. Their flash and RAM are the whole ELF
(flatbuffer, TFLM, CMSIS-NN, newlib-nano, harness; the arena is in RAM), measured on M4 only.

    python benchmarks/cortexm.py [--models ad_autoencoder_int8 ...] [--cores cortex-m4 cortex-m55]
"""

from __future__ import annotations

import argparse

import numpy as np

from _common import MODELS, model_path, table

# ../shared/BASELINES.md, "Cortex-M: TensorFlow Lite Micro + CMSIS-NN, whole models".
# insns: one Invoke; m4_ref: TFLM's reference kernels on M4; flash/RAM: whole ELF on M4;
# model_bytes: the .tflite flatbuffer inside that flash; arena: TFLM's arena on M4.
TFLM = {
    "kws_ds_cnn_int8": dict(macs=2.66e6, m4=7_697_923, m55=1_813_714, m4_ref=43_040_811,
                            flash=147_204, model_bytes=53_936, ram=23_148, arena=22_832),
    "vww_mobilenet_int8": dict(macs=7.49e6, m4=24_101_943, m55=6_558_317, m4_ref=100_240_479,
                               flash=426_556, model_bytes=333_288, ram=101_036, arena=100_720),
    "ic_resnet8_int8": dict(macs=12.50e6, m4=29_861_628, m55=4_910_148, m4_ref=107_406_410,
                            flash=186_624, model_bytes=98_496, ram=55_324, arena=55_008),
    "ad_autoencoder_int8": dict(macs=0.26e6, m4=582_931, m55=150_000, m4_ref=1_952_157,
                                flash=318_128, model_bytes=276_976, ram=3_336, arena=3_024),
}
SHORT = {"cortex-m4": "m4", "cortex-m7": "m7", "cortex-m55": "m55"}


def measure(name: str, core: str, kernels: str, cmsis_nn) -> dict:
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.ir import DTYPES
    from tinycc_ml.reference import random_inputs
    compiled = compile_file(model_path(name), Options(name="m", target=core, kernels=kernels))
    g = compiled.graph
    xs = random_inputs([(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0]) for t in g.inputs],
                       np.random.default_rng(0))
    run = build_and_run(compiled, [xs], core, cmsis_nn=cmsis_nn)
    return dict(insns=run.instructions[0], macs=sum(layer.macs for layer in compiled.layers),
                model_flash=run.model_flash, model_ram=run.model_ram,
                elf_flash=run.elf_flash - sum(x.nbytes for x in xs), elf_ram=run.elf_ram,
                arena=compiled.plan.arena_bytes)


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="*", default=MODELS)
    ap.add_argument("--cores", nargs="*", default=["cortex-m4", "cortex-m55"],
                    choices=list(SHORT))
    ap.add_argument("--kernels", default="portable", choices=["portable", "cmsis-nn"])
    ap.add_argument("--cmsis-nn", metavar="DIR", help="your CMSIS-NN folder (--kernels cmsis-nn)")
    a = ap.parse_args()

    from tinycc_ml.errors import CompileError
    speed, memory = [], []
    for name in a.models:
        base = TFLM.get(name, {})
        for core in a.cores:
            try:
                r = measure(name, core, a.kernels, a.cmsis_nn)
            except CompileError as e:   # a model we cannot compile or run yet: say why
                speed.append([name, core, f"({e.line()[:90]})"] + [""] * 5)
                continue
            theirs = base.get(SHORT[core])
            speed.append([name, core, f"{r['macs'] / 1e6:.2f} M", f"{r['insns']:,}",
                          f"{r['insns'] / r['macs']:.2f}", f"{theirs:,}" if theirs else "-",
                          _ratio(r["insns"], theirs),
                          _ratio(base["m4_ref"], r["insns"]) if core == "cortex-m4" and base else "-"])
            mem = base if core == "cortex-m4" else {}   # TFLM's memory was measured on M4
            memory.append([name, core, f"{r['model_flash']:,}", f"{r['model_ram']:,}",
                           f"{r['elf_flash']:,}", f"{r['elf_ram']:,}",
                           f"{mem['flash']:,}" if mem else "-", f"{mem['ram']:,}" if mem else "-",
                           _ratio(r["elf_flash"], mem.get("flash")),
                           _ratio(r["elf_ram"], mem.get("ram"))])
    print(f"Instructions per inference (QEMU, exact), tinycc-ml {a.kernels} kernels vs "
          "TFLite Micro + CMSIS-NN (../shared/BASELINES.md)")
    print(table(["model", "core", "MACs", "ours insns", "ours insns/MAC", "TFLM+CMSIS-NN insns",
                 "ours/TFLM", "TFLM ref kernels/ours"], speed))
    print("\nMemory in bytes. Ours: model objects (code+weights / arena) and the whole ELF;"
          " TFLM: whole ELF on M4 (its RAM includes the arena)")
    print(table(["model", "core", "model flash", "model RAM", "ELF flash", "ELF RAM",
                 "TFLM flash", "TFLM RAM", "ELF flash ours/TFLM", "ELF RAM ours/TFLM"], memory))
    print("\nRatios below 1 favour tinycc-ml. The stack (64 KB reserved by the linker scripts) "
          "is counted by neither side.")


if __name__ == "__main__":
    main()
