"""The generated C under AddressSanitizer, UndefinedBehaviorSanitizer and valgrind.

Each model is compiled with `--caller-arena` and linked with a small C program (`HARNESS`)
that reads inputs from stdin, calls NAME_invoke and writes the outputs to stdout. Everything
the model touches is sized exactly: each input and output in its own heap block, and the
arena in a block with guard bytes before and after its NAME_ARENA_BYTES. The guards hold
canary bytes, checked after every run (an arena overflow writes them), and under ASan they
are also poisoned, so reading them stops the program as well. Before each run the arena is
filled with fresh garbage: a layer that reads arena bytes nobody wrote changes the result.
Under valgrind the arena is left uninitialised instead, so memcheck reports such a read.
Outputs are compared with TFLite BUILTIN_REF, bit for bit.

The four shared models run under ASan+UBSan (gcc, -fno-sanitize-recover=all), with the portable
kernels (--target generic) and the host kernels (--target host); the smallest also under
valgrind with a few inputs, and the static-arena build under ASan (global redzones).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.util import SHARED
from tinycc_ml.compiler import Options, compile_file, write

GUARD = 64
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=86",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=87"}

HARNESS = r"""/* Test harness: stdin -> NAME_invoke -> stdout; an exactly sized, guarded arena. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "{name}.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)0)
#define UNPOISON(p, n) ((void)0)
#endif

#define GUARD {guard}
#define ARENA {NAME}_ARENA_BYTES

static unsigned char canary(size_t i) {{ return (unsigned char)(0xA5u ^ (i * 37u)); }}

static int guards_intact(const unsigned char *lo, const unsigned char *hi)
{{
    size_t i;
    int ok = 1;
    UNPOISON(lo, GUARD);
    UNPOISON(hi, GUARD);
    for (i = 0; i < GUARD; ++i) {{
        if (lo[i] != canary(i) || hi[i] != canary(i + GUARD)) {{
            ok = 0;
        }}
    }}
    POISON(lo, GUARD);
    POISON(hi, GUARD);
    return ok;
}}

int main(void)
{{
    /* [pad to 16][GUARD][ARENA][GUARD]: the arena is 16-byte aligned, the guards touch it. */
    unsigned char *block = malloc(ARENA + 2 * GUARD + 16);
    unsigned char *lo, *arena, *hi;
    unsigned long run = 0, seed = 12345;
    size_t i;
{decls}
    if (block == NULL{null_checks}) {{
        return 2;
    }}
    lo = block + (16 - ((uintptr_t)block % 16)) % 16;
    arena = lo + GUARD;
    hi = arena + ARENA;
    for (i = 0; i < GUARD; ++i) {{
        lo[i] = canary(i);
        hi[i] = canary(i + GUARD);
    }}
    POISON(lo, GUARD);
    POISON(hi, GUARD);
{reset}
    for (;;) {{
{reads}
#ifdef FILL_ARENA
        for (i = {state_head}; i < ARENA; ++i) {{  /* a stateful model's state is kept */
            seed = seed * 1103515245ul + 12345ul;
            arena[i] = (unsigned char)(seed >> 16);
        }}
#endif
        if ({name}_invoke({args}, arena) != 0) {{
            fprintf(stderr, "run %lu: {name}_invoke failed\n", run);
            return 3;
        }}
        if (!guards_intact(lo, hi)) {{
            fprintf(stderr, "run %lu: the arena guard bytes were overwritten\n", run);
            return 4;
        }}
{writes}
        ++run;
    }}
done:
{frees}
    free(block);
    return run > 0 ? 0 : 5;
}}
"""


def harness_source(compiled) -> str:
    g = compiled.graph
    name = compiled.options.name
    ios = [("in", t) for t in g.inputs] + [("out", t) for t in g.outputs]
    decls, checks, reads, writes, frees, args = [], [], [], [], [], []
    for k, (role, t) in enumerate(ios):
        tensor = g.tensor(t)
        var = f"{role}{k}"
        decls.append(f"    {tensor.ctype} *{var} = malloc({tensor.nbytes}u);")
        checks.append(f" || {var} == NULL")
        if role == "in":
            n = f"{tensor.nbytes}u"
            reads.append(f"        if (fread({var}, 1, {n}, stdin) != {n}) {{\n"
                         "            goto done;\n        }")
        else:
            writes.append(f"        fwrite({var}, 1, {tensor.nbytes}u, stdout);")
        frees.append(f"    free({var});")
        args.append(var)
    # a stateful model (plan.state_bytes): reset once, then the inputs run as one sequence
    caller = compiled.options.caller_arena
    reset = (f"    {name}_reset({'arena' if caller else ''});" if compiled.plan.state_bytes
             else "")
    state_head = (compiled.plan.state_bytes + 15) // 16 * 16 if caller else 0
    return HARNESS.format(name=name, NAME=name.upper(), guard=GUARD, decls="\n".join(decls),
                          reset=reset, state_head=state_head,
                          null_checks="".join(checks), reads="\n".join(reads),
                          writes="\n".join(writes), frees="\n".join(frees), args=", ".join(args))


def build(model: Path, work: Path, cflags, caller_arena: bool = True, cc: str = "gcc",
          target: str = "generic", **opts) -> tuple:
    """Compile the model (`opts`: more Options), write it and the harness, build one
    executable: (exe, compiled)."""
    if shutil.which(cc) is None:
        pytest.fail(f"{cc} is not installed (.ci/run installs it)")
    compiled = compile_file(model, Options(name="m", caller_arena=caller_arena, target=target,
                                           **opts))
    src = work / "src"
    write(compiled, src)
    harness = work / "harness.c"
    text = harness_source(compiled)
    if not caller_arena:  # the static arena: the harness's guarded block goes unused
        text = text.replace(", arena) != 0", ") != 0")
    harness.write_text(text)
    exe = work / "harness"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", *cflags, "-I", str(src), str(harness),
                    *map(str, sorted(src.glob("*.c"))), "-o", str(exe), "-lm"], check=True)
    return exe, compiled


def run_and_compare(exe: Path, compiled, model: Path, n: int, seed: int, prefix=(), env=None):
    """Run n random inputs through the executable, compare with BUILTIN_REF bit for bit."""
    from tinycc_ml.reference import TFLiteReference, random_inputs
    from tinycc_ml.ir import DTYPES
    g = compiled.graph
    ins = [(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0]) for t in g.inputs]
    outs = [(g.tensor(t).shape, DTYPES[g.tensor(t).dtype][0]) for t in g.outputs]
    rng = np.random.default_rng(seed)
    batches = [random_inputs(ins, rng) for _ in range(n)]
    stdin = b"".join(np.ascontiguousarray(x).tobytes() for xs in batches for x in xs)
    proc = subprocess.run([*prefix, str(exe)], input=stdin, capture_output=True, timeout=600,
                          env=dict(os.environ, **(env or {})))
    assert proc.returncode == 0, (f"exit {proc.returncode}\n"
                                  + proc.stderr.decode(errors="replace")[-4000:])
    ref = TFLiteReference(model)
    got, at = proc.stdout, 0
    for i, xs in enumerate(batches):
        want = ref.run(xs)
        for k, ((shape, dt), w) in enumerate(zip(outs, want)):
            size = int(np.prod(shape)) * np.dtype(dt).itemsize
            y = np.frombuffer(got[at:at + size], dt).reshape(shape)
            at += size
            np.testing.assert_array_equal(y, w.reshape(shape),
                                          err_msg=f"{model.name}: input {i}, output {k}")
    assert at == len(got), "the harness wrote more than the outputs"
    return proc


# generic: the portable kernels; host: the blocked host kernels (their short-row copies read
# and write past a patch row, into scratch only: ASan checks that)
@pytest.mark.parametrize("target", ["generic", "host"])
@pytest.mark.parametrize("model", SHARED)
def test_asan_ubsan_bitexact(model, target, shared_models, tmp_path):
    path = shared_models / f"{model}.tflite"
    exe, compiled = build(path, tmp_path, ["-O1", "-g", "-DFILL_ARENA", *SANITIZE], target=target)
    run_and_compare(exe, compiled, path, n=4, seed=1, env=SAN_ENV)


# the microcontroller kernels (--target cortex-m3 built on the host): the scalar conv, FC and
# depthwise in ARMv6-M's variant (1 pixel, 32-bit multiplies only) and the table ADD
# the sparse kernels (--sparsity auto on pruned models, tests/prune.py), the DSP cores' C built
# on the host: the keyword spotter at 90% with every weighted layer forced sparse (CONV_2D,
# DEPTHWISE_CONV_2D row by row, FULLY_CONNECTED), the autoencoder at 75% (its FC layers)
@pytest.mark.parametrize("model,level,force", [("kws_ds_cnn_int8", 0.9, True),
                                               ("ad_autoencoder_int8", 0.75, False)])
def test_asan_ubsan_sparse_kernels(model, level, force, shared_models, tmp_path, monkeypatch):
    from tests.prune import prune
    from tests.util import write_model
    from tinycc_ml.ops import _sparse
    if force:
        monkeypatch.setattr(_sparse, "WORK_GAIN", 1e9)
    path = write_model(prune((shared_models / f"{model}.tflite").read_bytes(), level), tmp_path,
                       f"{model}_pruned.tflite")
    exe, compiled = build(path, tmp_path, ["-O1", "-g", "-DFILL_ARENA", *SANITIZE],
                          target="cortex-m4", sparsity="auto")
    assert any((x.kernel or "").endswith("_sparse") for x in compiled.layers)
    run_and_compare(exe, compiled, path, n=2, seed=1, env=SAN_ENV)


@pytest.mark.parametrize("model", ["kws_ds_cnn_int8", "ic_resnet8_int8"])
def test_asan_ubsan_scalar_kernels(model, shared_models, tmp_path):
    path = shared_models / f"{model}.tflite"
    exe, compiled = build(path, tmp_path, ["-O1", "-g", "-DFILL_ARENA", *SANITIZE,
                                           "-DTCM_SCALAR_PIXELS=1", "-DTCM_SCALAR_NO_MUL64"],
                          target="cortex-m3")
    run_and_compare(exe, compiled, path, n=2, seed=1, env=SAN_ENV)


def test_asan_static_arena(shared_models, tmp_path):
    path = shared_models / "ad_autoencoder_int8.tflite"
    exe, compiled = build(path, tmp_path, ["-O1", "-g", *SANITIZE], caller_arena=False)
    run_and_compare(exe, compiled, path, n=3, seed=2, env=SAN_ENV)


@pytest.mark.parametrize("target", ["generic", "host"])
def test_valgrind(target, shared_models, tmp_path):
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is not installed (.ci/run installs it)")
    path = shared_models / "ad_autoencoder_int8.tflite"
    exe, compiled = build(path, tmp_path, ["-O1", "-g"], target=target)  # arena uninitialised
    run_and_compare(exe, compiled, path, n=2, seed=3,
                    prefix=["valgrind", "-q", "--error-exitcode=88", "--track-origins=yes"])


def _overflowing_copy(compiled, tmp_path: Path) -> tuple[Path, Path]:
    """The model's files, with one write placed a byte past the arena's end."""
    src = tmp_path / "broken"
    write(compiled, src)
    c = src / "m.c"
    text = c.read_text()
    marker = "    return 0;\n}"
    assert marker in text
    c.write_text(text.replace(marker, "    arena[M_ARENA_BYTES] = 1;\n" + marker, 1))
    return src, c


def test_guards_catch_an_overflow(shared_models, tmp_path):
    """The harness is not blind: a one-byte write past the arena fails the canary check
    (plain build) and ASan (sanitized build)."""
    path = shared_models / "ad_autoencoder_int8.tflite"
    compiled = compile_file(path, Options(name="m", caller_arena=True))
    src, _ = _overflowing_copy(compiled, tmp_path)
    harness = tmp_path / "harness.c"
    harness.write_text(harness_source(compiled))
    one_input = b"\0" * compiled.graph.tensor(compiled.graph.inputs[0]).nbytes
    for flags, code, message in (([], 4, b"guard bytes were overwritten"),
                                 (SANITIZE, 86, b"use-after-poison")):
        exe = tmp_path / f"harness{code}"
        subprocess.run(["gcc", "-std=c99", "-O1", *flags, "-I", str(src), str(harness),
                        *map(str, sorted(src.glob("*.c"))), "-o", str(exe), "-lm"], check=True)
        proc = subprocess.run([str(exe)], input=one_input, capture_output=True, timeout=120,
                              env=dict(os.environ, **SAN_ENV))
        assert proc.returncode == code and message in proc.stderr, proc.stderr[-2000:]
