"""The generated C of the shared models on every core with a QEMU board (Cortex-M0+, M3, M4,
M33, M55, RV32IMC) under QEMU: bit-exact with TFLite BUILTIN_REF, and warning-free under the
cross compiler's strict flags (arm-none-eabi-gcc per -mcpu, riscv64-unknown-elf-gcc -march=rv32imc). Also the
board support tinycc-ml ships (tinycc_ml/cortexm: startup, linker scripts, QEMU runner,
instruction counter) and `tinycc-ml verify --target cortex-m4`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.util import SHARED

CORES = ["cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m33", "cortex-m55", "rv32imc"]


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("model", SHARED)
def test_shared_model_on_qemu(model, core, shared_models, tmp_path):
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.reference import TFLiteReference, random_inputs
    path = shared_models / f"{model}.tflite"
    c = compile_file(path, Options(name="m", target=core))
    g = c.graph
    rng = np.random.default_rng(3)
    specs = [(g.tensor(t).shape, np.int8) for t in g.inputs]
    inputs = [random_inputs(specs, rng) for _ in range(3)]
    run = build_and_run(c, inputs, core, work=tmp_path)
    ref = TFLiteReference(path)
    for xs, got in zip(inputs, run.outputs):
        want = ref.run(xs)
        assert len(got) == len(want)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b.reshape(a.shape))
    assert len(run.instructions) == 3 and min(run.instructions) > 0
    # the model's own objects: the constants in flash, the arena in RAM
    assert run.model_flash >= c.const_bytes and run.model_ram >= c.plan.arena_bytes
    assert run.elf_flash > run.model_flash and run.elf_ram >= run.model_ram


REQUANT_GUEST = r"""
#include <stdio.h>
#include "tcm_requant_scalar.h"
static const int32_t cases[][5] = {
%s
};
int main(void)
{
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        printf("%%ld %%ld\n", (long)tcm_scalar_double_right(cases[i][0], cases[i][1], cases[i][2]),
               (long)tcm_scalar_single_right(cases[i][3], cases[i][1], cases[i][4]));
    }
    return 0;
}
"""


def test_right_requant_on_m0plus(tmp_path):
    """ARMv6-M's assembly tcm_scalar_double_right and tcm_scalar_single_right
    (runtime_c/tcm_requant_scalar.h) on QEMU against TFLite's MultiplyByQuantizedMultiplier in
    Python integers: double rounding (ops/_fixedpoint.py mbqm; |acc| < 2^30, right shift 1..31)
    and single rounding (floor((acc * m + 2^(30 + r)) / 2^(31 + r)); any acc, r in 2..31), with
    multipliers in [2^30, 2^31) or 0: their domains' edges and random samples."""
    import random
    from tinycc_ml._paths import runtime_dir
    from tinycc_ml.cortexm import link_command, run_elf
    from tinycc_ml.ops._fixedpoint import mbqm
    rnd = random.Random(14)
    accs = [-2**30 + 1, -2**30 + 2, -2**16 - 1, -2**16, -2**15, -2, -1, 0, 1, 2**15,
            2**16 - 1, 2**16, 2**29, 2**30 - 1]
    wide = [-2**31, -2**31 + 1, -2**30, 2**30, 2**31 - 2**16, 2**31 - 1]
    mults = [0, 2**30, 2**30 + 1, 2**31 - 2**16, 2**31 - 1]
    cases = [(a, m, r, s, max(r, 2)) for a in accs for m in mults for r in (1, 2, 7, 31)
             for s in (a, wide[(a + r) % len(wide)])]
    cases += [(rnd.randint(-2**30 + 1, 2**30 - 1), rnd.randint(2**30, 2**31 - 1),
               rnd.randint(1, 31), rnd.randint(-2**31, 2**31 - 1), rnd.randint(2, 31))
              for _ in range(1500)]
    cases += [(rnd.randint(-2**20, 2**20), rnd.randint(2**30, 2**31 - 1), rnd.randint(1, 12),
               rnd.randint(-2**20, 2**20), rnd.randint(2, 12)) for _ in range(1500)]
    (tmp_path / "g.c").write_text(REQUANT_GUEST % ",\n".join(
        "{" + ", ".join(map(str, c)) + "}" for c in cases))
    elf = tmp_path / "g.elf"
    subprocess.run([*link_command("cortex-m0plus"), "-O2", "-std=c99", "-I", str(runtime_dir()),
                    str(tmp_path / "g.c"), "-o", str(elf)], check=True)
    p = run_elf(elf, "cortex-m0plus", timeout=120)
    assert p.returncode == 0, p.stderr
    got = [tuple(int(v) for v in line.split()) for line in p.stdout.splitlines()]
    assert len(got) == len(cases)
    want = [(mbqm(a, m, -r), (s * m + 2**(30 + q)) >> (31 + q)) for a, m, r, s, q in cases]
    bad = [(c, g, w) for c, g, w in zip(cases, got, want) if g != w]
    assert not bad, bad[:5]


def _run_on(core, path, inputs, tmp_path, kernels):
    """Compile `path` for `core`, check that it calls `kernels`, run it under QEMU on `inputs`
    and compare with BUILTIN_REF."""
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.reference import TFLiteReference
    c = compile_file(path, Options(name="m", target=core))
    assert set(kernels) <= {getattr(choice.kernel, "c_function", None) for choice in c.choices}
    run = build_and_run(c, inputs, core, work=tmp_path / "w")
    ref = TFLiteReference(path)
    for xs, got in zip(inputs, run.outputs):
        np.testing.assert_array_equal(got[0], ref.run(xs)[0].reshape(got[0].shape))


@pytest.mark.parametrize("core, kernels", [
    ("cortex-m0plus", ("tcm_conv2d_s8_scalar", "tcm_fully_connected_s8_scalar")),
    ("cortex-m3", ("tcm_conv2d_s8_pairs", "tcm_fully_connected_s8_pairs"))])
def test_scalar_tails(core, kernels, tmp_path):
    """ARMv6-M's assembly loops (runtime_c/tcm_conv_scalar.c: 4 taps per iteration) and the
    ARMv7-M pair kernels (4 taps, 4 pixels x 2 channels) with their C tails: a conv of 27 taps
    and 9 pixels (not multiples of 4), FC layers of depth 63 and 6, 7 and 5 output channels (a
    short channel block), on QEMU, bit-exact with BUILTIN_REF."""
    from tests.util import int8_tflite, tf, write_model
    from tinycc_ml.reference import random_inputs

    def build():
        k = tf().keras
        x = inp = k.Input((5, 5, 3))
        x = k.layers.Conv2D(7, 3, activation="relu", bias_initializer="random_normal")(x)
        x = k.layers.Flatten()(x)
        x = k.layers.Dense(6, activation="relu", bias_initializer="random_normal")(x)
        x = k.layers.Dense(5, bias_initializer="random_normal")(x)
        return k.Model(inp, x)
    path = write_model(int8_tflite(build, [(5, 5, 3)], seed=14), tmp_path)
    rng = np.random.default_rng(14)
    inputs = [random_inputs([((1, 5, 5, 3), np.int8)], rng) for _ in range(4)]
    _run_on(core, path, inputs, tmp_path, kernels)


@pytest.mark.parametrize("depth, kernel", [(515, "tcm_fully_connected_s8_pairs"),
                                           (517, "tcm_fully_connected_s8_scalar")])
def test_fc_pairs_bound_on_m3(depth, kernel, tmp_path):
    """tcm_fully_connected_s8_pairs at its bound (ops/_scalar.py pairs_fit): weights of +-127
    and inputs of -128 / 127 matching their signs put 128 * 127 * 515 < 2^23 in the low lanes;
    at depth 517 the bound fails and the layer keeps tcm_fully_connected_s8_scalar. Both
    bit-exact with BUILTIN_REF under QEMU on the M3."""
    from tests.util import int8_tflite, tf, write_model
    signs = np.where(np.random.default_rng(depth).random((depth, 4)) < 0.5, -1.0, 1.0)

    def build():
        k = tf().keras
        inp = k.Input((depth,))
        dense = k.layers.Dense(4, use_bias=False)
        model = k.Model(inp, dense(inp))
        dense.set_weights([signs.astype(np.float32)])
        return model
    path = write_model(int8_tflite(build, [(depth,)], seed=3), tmp_path)
    extreme = [np.where(signs[:, j] < 0, -128, 127).astype(np.int8)[None] for j in range(4)]
    inputs = [[x] for x in extreme + [-extreme[0] - 1]]
    _run_on("cortex-m3", path, inputs, tmp_path, (kernel,))


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("model", SHARED)
def test_strict_arm_build(model, core, shared_models, tmp_path):
    from tinycc_ml.cli import main
    from tinycc_ml.cortexm import CORES as BOARDS
    assert main(["compile", str(shared_models / f"{model}.tflite"), "-o", str(tmp_path / "o"),
                 "--target", core, "-q"]) == 0
    for c in sorted((tmp_path / "o").glob("*.c")):
        p = subprocess.run([*BOARDS[core].cc(), "-std=c99", "-Wall", "-Wextra",
                            "-Werror", "-pedantic", "-O2", "-c", str(c),
                            "-o", str(tmp_path / (c.stem + ".o"))], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr


GUEST = r"""
#include <stdio.h>
volatile int bench_mark, sink;
__attribute__((noinline, noipa)) void bench_begin(void) { bench_mark = 1; }
__attribute__((noinline, noipa)) void bench_end(void) { bench_mark = 2; }
int main(void)
{
    int i;
    bench_begin();
    for (i = 0; i < 1000; ++i) { sink = i; }
    bench_end();
    printf("hello %d\n", sink);
#if MODE == 1
    __builtin_trap();
#elif MODE == 2
    for (;;) { sink = 0; }
#endif
    return 7;
}
"""


def _guest(tmp_path, core: str, mode: int):
    from tinycc_ml.cortexm import link_command
    (tmp_path / "g.c").write_text(GUEST)
    elf = tmp_path / f"g{mode}.elf"
    subprocess.run([*link_command(core), "-O2", f"-DMODE={mode}", str(tmp_path / "g.c"),
                    "-o", str(elf)], check=True)
    return elf


@pytest.mark.parametrize("core", ["cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7",
                                  "cortex-m33", "cortex-m55", "rv32imc", "rv32imac"])
def test_board_support_and_runner(core, tmp_path):
    """Exit codes, semihosting output and exact, repeatable instruction counts, through the
    runner users call (`python -m tinycc_ml.cortexm run`)."""
    elf = _guest(tmp_path, core, 0)
    runs = [subprocess.run([sys.executable, "-m", "tinycc_ml.cortexm", "run", core, str(elf),
                            "--count"], capture_output=True, text=True) for _ in range(2)]
    for p in runs:
        assert p.returncode == 7, p.stderr
        assert p.stdout == "hello 999\n"
    counts = [[int(line.split()[-1]) for line in p.stderr.splitlines()
               if line.startswith("insncount region")] for p in runs]
    assert len(counts[0]) == 1 and counts[0] == counts[1]
    assert 2000 <= counts[0][0] <= 10000   # 1000 iterations of a short loop


@pytest.mark.parametrize("core", ["m4", "rv32imc"])
def test_runner_fault_and_timeout(core, tmp_path):
    from tinycc_ml.cortexm import FAULT, TIMED_OUT, run_elf
    assert run_elf(_guest(tmp_path, core, 1), core).returncode == FAULT
    p = run_elf(_guest(tmp_path, core, 2), core, timeout=2)
    assert p.returncode == TIMED_OUT and p.stdout == "hello 999\n"


def test_missing_toolchain_is_one_line(monkeypatch, tmp_path, capsys):
    from tinycc_ml.cli import main
    from tinycc_ml.compiler import Options, compile_file
    from tinycc_ml.cortexm import build_and_run
    from tinycc_ml.errors import CompileError
    from tests.util import REPO
    model = REPO / "examples" / "accelerometer_anomaly" / "model.tflite"
    monkeypatch.setenv("PATH", str(tmp_path))     # no gcc, no QEMU
    c = compile_file(model, Options(target="cortex-m4"))
    with pytest.raises(CompileError, match="arm-none-eabi-gcc.*qemu-system-arm not found"):
        build_and_run(c, [], "cortex-m4")
    assert main(["verify", str(model), "--target", "cortex-m4", "--inputs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "not found" in err and "\n" not in err


def test_cli_verify_on_m4(shared_models, monkeypatch, capsys):
    """Exit 0 and the instruction count when bit-exact; exit 1 when one value differs."""
    import tinycc_ml.cortexm as cm
    from tinycc_ml.cli import main
    model = str(shared_models / "ad_autoencoder_int8.tflite")
    assert main(["verify", model, "--target", "cortex-m4", "--inputs", "3"]) == 0
    out = capsys.readouterr().out
    assert "BIT-EXACT on cortex-m4" in out and "instructions per inference" in out
    assert "model flash" in out and "model RAM" in out

    real = cm.build_and_run

    def off_by_one(*args, **kwargs):
        run = real(*args, **kwargs)
        run.outputs[-1][0].reshape(-1)[0] ^= 1
        return run
    monkeypatch.setattr(cm, "build_and_run", off_by_one)
    assert main(["verify", model, "--target", "cortex-m4", "--inputs", "2"]) == 1
    assert "MISMATCH in 1 of 2 runs" in capsys.readouterr().out
