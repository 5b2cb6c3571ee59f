"""Microcontroller cores: instructions per inference, flash and RAM of the generated C, against
TensorFlow Lite Micro, for the shared models on Cortex-M0+, M3, M4, M33, M55 and RV32IMC.

Ours: the model compiled with `--target <core>`, cross-compiled at -O2 (-ffunction-sections,
--gc-sections) with tinycc-ml's own harness (arm-none-eabi-gcc + newlib-nano, or
riscv64-unknown-elf-gcc + picolibc), run under QEMU on one fixed random input (M0+ and M3:
mps2-an385, ARMv6-M code for M0+; M4: mps2-an386; M33: mps2-an505; M55: mps3-an547; RV32:
riscv32 virt); instructions counted exactly between bench_begin()/bench_end() by the QEMU plugin
(tinycc_ml/cortexm). Instructions are exact; "est. cycles" are ESTIMATED cycles at zero wait
states, from the plugin's instruction classes and the core's timing table
(tinycc_ml/cortexm/cycles.py), set beside the best published MLPerf Tiny latency for that core
(cycles on silicon, flash wait states included; BASELINES.md "The leaders"). "Model flash/RAM" is `size` over the model's own
objects (NAME.o and the tcm_*.o kernels: code, weights, arena); "ELF" is the whole test program
(harness, C library, startup), less the embedded test input.

Theirs: the anchors of ../shared/BASELINES.md, measured with the same boards, linker scripts and
instruction counter: TFLM 90b983c2 with CMSIS-NN 4ab83cc3 (TFLM's reference kernels on RV32,
where CMSIS-NN does not apply), TFLM's release flags; flash is their whole ELF (flatbuffer, TFLM,
kernels, C library, harness). TFLM's RAM is the M4 build's whole-ELF RAM with its smallest arena
(the small-core anchors were measured with an oversized arena; TFLM's RAM does not depend on the
core beyond a few bytes).

    python benchmarks/cortexm.py [--models ad_autoencoder_int8 ...] [--cores cortex-m0plus rv32imc]
"""

from __future__ import annotations

import argparse

import numpy as np

from _common import MODELS, model_path, table

MACS = {"kws_ds_cnn_int8": 2.66e6, "vww_mobilenet_int8": 7.49e6, "ic_resnet8_int8": 12.50e6,
        "ad_autoencoder_int8": 0.26e6}
# ../shared/BASELINES.md, a row per core as there: the TFLM build, then per model of MODELS (kws,
# vww, ic, ad) TFLM's instructions per Invoke and whole-ELF flash. "Cortex-M: TensorFlow Lite
# Micro + CMSIS-NN, whole models" (M4, M55) and "Small cores" (M0+, M3, M33 with CMSIS-NN;
# RV32IMC with TFLM's reference kernels).
CMSIS = "TFLM + CMSIS-NN"
ANCHORS = {
    "cortex-m0plus": (CMSIS, (28_996_453, 148_836), (86_904_257, 428_188), (97_548_871, 187_856), (1_763_197, 321_504)),
    "cortex-m3": (CMSIS, (10_532_723, 133_844), (31_959_328, 413_196), (41_846_070, 173_456), (955_959, 312_688)),
    "cortex-m4": (CMSIS, (7_697_923, 147_204), (24_101_943, 426_556), (29_861_628, 186_624), (582_931, 318_128)),
    "cortex-m33": (CMSIS, (7_680_215, 147_428), (24_046_751, 426_780), (29_959_986, 186_704), (583_389, 318_128)),
    "cortex-m55": (CMSIS, (1_813_714, None), (6_558_317, None), (4_910_148, None), (150_000, None)),
    "rv32imc": ("TFLM reference", (45_752_778, 129_724), (114_554_905, 409_076), (127_249_548, 178_844), (2_513_742, 324_500)),
}
# TFLM's whole-ELF RAM on M4 with its smallest arena (BASELINES.md, M4 RAM column), per model.
TFLM_RAM = dict(zip(MODELS, (23_148, 101_036, 55_324, 3_336)))
# ../shared/BASELINES.md "The leaders": best published MLPerf Tiny closed-division result per core,
# cycles on silicon (latency x core clock) per model of MODELS, and whose.
LEADERS = {
    "cortex-m0plus": ("Bosch HALE", (30.4e6, 90.5e6, 97.4e6, 2.62e6)),
    "cortex-m4": ("X-CUBE-AI 9.0; ad Plumerai", (5.18e6, 10.7e6, 19.8e6, 0.486e6)),
    "cortex-m33": ("X-CUBE-AI 10.2; ic Plumerai; ad HALE", (4.64e6, 9.48e6, 16.7e6, 0.495e6)),
}
# The goals of issue 14: instructions per inference over the anchor, per core.
GOAL = {"cortex-m0plus": 0.6, "cortex-m3": 0.6, "cortex-m33": 0.6, "rv32imc": 0.3}


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
    return dict(insns=run.instructions[0], cycles=run.cycles[0], macs=sum(layer.macs for layer in compiled.layers),
                model_flash=run.model_flash, model_ram=run.model_ram,
                elf_flash=run.elf_flash - sum(x.nbytes for x in xs), elf_ram=run.elf_ram,
                arena=compiled.plan.arena_bytes)


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="*", default=MODELS)
    ap.add_argument("--cores", nargs="*", default=["cortex-m0plus", "cortex-m3", "cortex-m33",
                                                   "rv32imc"], choices=list(ANCHORS))
    ap.add_argument("--kernels", default="portable", choices=["portable", "cmsis-nn"])
    ap.add_argument("--cmsis-nn", metavar="DIR", help="your CMSIS-NN folder (--kernels cmsis-nn)")
    a = ap.parse_args()

    from tinycc_ml.errors import CompileError
    rows = []
    for core in a.cores:
        build, *per_model = ANCHORS[core]
        anchors = dict(zip(MODELS, per_model))
        leader, cycles = LEADERS.get(core, ("", ()))
        best = dict(zip(MODELS, cycles))
        for name in a.models:
            theirs, their_flash = anchors.get(name, (None, None))
            try:
                r = measure(name, core, a.kernels, a.cmsis_nn)
            except CompileError as e:   # a model we cannot compile or run yet: say why
                rows.append([core, name, f"({e.line()[:90]})"] + [""] * 13)
                continue
            ratio = r["insns"] / theirs if theirs else None
            goal = GOAL.get(core)
            cyc, top = r["cycles"], best.get(name)
            rows.append([core, name, f"{r['insns']:,}", f"{r['insns'] / r['macs']:.2f}",
                         f"{theirs:,}" if theirs else "-", build,
                         f"{ratio:.2f}" if ratio else "-",
                         ("yes" if ratio <= goal else "no") + f" (<= {goal})" if goal and ratio
                         else "-",
                         f"{cyc:,}" if cyc else "-", f"{top / 1e6:.3g} M ({leader})" if top else "-",
                         _ratio(cyc, top) if cyc else "-",
                         f"{r['elf_flash']:,}", _ratio(r["elf_flash"], their_flash),
                         f"{r['elf_ram']:,}", _ratio(r["elf_ram"], TFLM_RAM.get(name)),
                         f"{r['model_flash']:,} / {r['model_ram']:,}"])
    print(f"tinycc-ml ({a.kernels} kernels, --target <core>) against TensorFlow Lite Micro "
          "(../shared/BASELINES.md); instructions per inference under QEMU, exact; "
          "est. cycles: ESTIMATED cycles, zero wait states (tinycc_ml/cortexm/cycles.py)")
    print(table(["core", "model", "insns", "insns/MAC", "TFLM insns", "TFLM build", "ours/TFLM",
                 "goal met", "est. cycles", "MLPerf Tiny best (silicon)", "est./best", "ELF flash", "flash ours/TFLM", "ELF RAM", "RAM ours/TFLM",
                 "model flash / RAM"], rows))
    print("\nRatios below 1 favour tinycc-ml. The stack (64 KB reserved by the Cortex-M linker "
          "scripts; picolibc's at the top of RAM on RV32) is counted by neither side.")


if __name__ == "__main__":
    main()
