"""A newcomer's first hour (issue 13): inspect on the shipped example never crashes, verify
refuses what it cannot check and cleans up after itself, progress only on a terminal, float
models get a recipe, the unsupported-op line stays short, the Cortex-M headers build with
-Wsign-conversion, the shipped models are the published ones, and the LiteRT interpreter is
the same reference as TensorFlow's."""

from __future__ import annotations

import hashlib
import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.util import REPO, SHARED, SHARED_MODELS, int8_tflite, keras, tf, write_model

EXAMPLE = REPO / "examples" / "accelerometer_anomaly" / "model.tflite"
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def _cli(*args: str, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinycc_ml", *args], capture_output=True,
                          text=True, env=env or ENV, timeout=600, **kw)


def _one_line(p, *words: str) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout[-500:], p.stderr[-2000:])
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------
# 1. inspect


def test_inspect_the_shipped_example():
    """TFLite Micro crashes (SIGSEGV) on some arena sizes for this model: measured out of
    process, the report is complete and the TFLM figure is there."""
    p = _cli("inspect", str(EXAMPLE))
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    out = p.stdout
    assert "TFLite Micro" in out and "stack (cortex-m4" in out
    tflm = next(line for line in out.splitlines() if line.startswith("TFLite Micro "))
    assert "B  smallest arena_size tflite-micro accepts" in tflm, tflm


def test_inspect_no_tflm():
    p = _cli("inspect", str(EXAMPLE), "--no-tflm")
    assert p.returncode == 0
    tflm = next(line for line in p.stdout.splitlines() if line.startswith("TFLite Micro "))
    assert "not measured (--no-tflm)" in tflm


def test_a_crash_of_the_measurement_is_one_line_of_the_report(monkeypatch, capsys):
    """The measuring child dies of SIGSEGV: one line says so, the rest is printed."""
    from tinycc_ml import inspect as insp
    from tinycc_ml import tflm
    from tinycc_ml.cli import main
    crash = [sys.executable, "-c", "import ctypes; ctypes.string_at(0)"]
    assert tflm.measure(EXAMPLE, command=crash) == (None, "not measured: TFLite Micro crashed "
                                                          "(SIGSEGV)")
    monkeypatch.setattr(insp, "measure_tflm", lambda path: tflm.measure(path, command=crash))
    assert main(["inspect", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "TFLite Micro crashed" in line]
    assert len(lines) == 1 and lines[0].startswith("TFLite Micro ")
    assert "stack (cortex-m4" in out and "arena" in out


# ---------------------------------------------------------------------------------------------
# 6, 7, 11: verify


def test_verify_zero_inputs_is_an_error():
    _one_line(_cli("verify", str(EXAMPLE), "--inputs", "0"), "--inputs 0", "nothing to check")
    _one_line(_cli("verify", str(EXAMPLE), "--inputs", "-3"), "--inputs -3")


def test_verify_zero_random_inputs_with_a_file(tmp_path):
    x = np.zeros((2, 1, 64, 3), np.int8)
    np.save(tmp_path / "x.npy", x)
    p = _cli("verify", str(EXAMPLE), "--inputs", "0", "--input", str(tmp_path / "x.npy"))
    assert p.returncode == 0 and "BIT-EXACT" in p.stdout and "(2 inputs)" in p.stdout, p.stdout


def test_verify_runs_every_target_and_refuses_others_up_front():
    # Issue 13 found --target cortex-m33 accepted and failing after 5 s of work; every target
    # now has a way to run (the machine itself or a QEMU board), and a name without one is
    # refused in one line before any work.
    from tinycc_ml.compiler import TARGETS
    from tinycc_ml.errors import CompileError
    from tinycc_ml.verify import check_target, runnable_targets
    assert set(TARGETS) == set(runnable_targets())
    with pytest.raises(CompileError) as e:
        check_target("cortex-m85")
    assert "verify cannot run --target cortex-m85" in e.value.line()
    assert "\n" not in e.value.line()


def _tmp_entries(tmpdir: Path) -> set[str]:
    return {p.name for p in tmpdir.iterdir()}


@pytest.mark.parametrize("args", [[], ["--per-layer"], ["--target", "cortex-m4"]],
                         ids=["host", "per_layer", "cortex_m4"])
def test_verify_leaves_nothing_in_the_temp_directory(args, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = dict(ENV, TMPDIR=str(tmpdir))
    p = _cli("verify", str(EXAMPLE), "--inputs", "3", *args, env=env)
    assert p.returncode == 0 and "BIT-EXACT" in p.stdout, p.stderr[-2000:]
    assert _tmp_entries(tmpdir) == set(), _tmp_entries(tmpdir)


def test_test_helpers_leave_nothing_in_the_temp_directory(tmp_path, monkeypatch):
    """compile_and_build (the tests' host build) cleans up too."""
    import tempfile
    from tests.util import compile_and_build
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    host = compile_and_build(EXAMPLE)
    assert host.run([np.zeros((1, 64, 3), np.int8)])[0].shape == (1, 2)
    assert _tmp_entries(tmpdir) == set()


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return (exit code, what the terminal got)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "tinycc_ml", *args], stdout=subprocess.DEVNULL,
                         stderr=slave, env=ENV)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(timeout=600), b"".join(chunks).decode(errors="replace")


def test_verify_progress_on_a_terminal_only():
    rc, tty = _on_a_terminal("verify", str(EXAMPLE), "--inputs", "200")
    assert rc == 0 and "verify: " in tty and "/200 inputs compared" in tty, tty
    p = _cli("verify", str(EXAMPLE), "--inputs", "200")     # stderr a pipe: no progress
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_progress_line_is_erased():
    import io
    from tinycc_ml.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True
    s = Tty()
    with Progress("work", 3, stream=s) as bar:
        for i in range(4):
            bar.update(i)
    assert "work: 0/3" in s.getvalue() and s.getvalue().endswith("\r")
    quiet = io.StringIO()
    with Progress("work", 3, stream=quiet) as bar:
        bar.update(1)
    assert quiet.getvalue() == ""


def test_litert_reference_equals_tensorflow():
    """ai-edge-litert's interpreter, which verify uses without TensorFlow, gives TensorFlow's
    BUILTIN_REF results on the shipped models and the example."""
    from tinycc_ml.reference import TFLiteReference, random_inputs
    for model in [EXAMPLE] + [SHARED_MODELS / f"{m}.tflite" for m in SHARED]:
        a = TFLiteReference(model, runtime="tensorflow")
        b = TFLiteReference(model, runtime="litert")
        assert b.runtime == "TFLite (LiteRT)" and a.resolver == b.resolver == "BUILTIN_REF"
        rng = np.random.default_rng(0)
        specs = [(tuple(d["shape"]), d["dtype"]) for d in a.inputs]
        for _ in range(5):
            xs = random_inputs(specs, rng)
            for x, y in zip(a.run(xs), b.run(xs)):
                np.testing.assert_array_equal(x, y)


def test_verify_without_tensorflow(tmp_path):
    """TensorFlow made unimportable: verify runs on LiteRT and says so."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text("raise ImportError('no TensorFlow')\n")
    env = dict(ENV, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}")
    p = _cli("verify", str(EXAMPLE), "--inputs", "5", env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "BIT-EXACT against TFLite (LiteRT) BUILTIN_REF (5 inputs)" in p.stdout, p.stdout


# ---------------------------------------------------------------------------------------------
# 11: messages and warnings


@pytest.fixture(scope="module")
def float_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("float")
    t = tf()
    k = keras()

    def build():
        inp = k.Input((8,))
        return k.Model(inp, k.layers.Dense(2)(k.layers.Dense(4, activation="relu")(inp)))
    conv = t.lite.TFLiteConverter.from_keras_model(build())
    fl = write_model(conv.convert(), d, "float.tflite")
    conv = t.lite.TFLiteConverter.from_keras_model(build())
    conv.optimizations = [t.lite.Optimize.DEFAULT]              # dynamic range: hybrid
    hy = write_model(conv.convert(), d, "hybrid.tflite")
    return fl, hy


@pytest.mark.parametrize("which", ["float", "hybrid"])
def test_float_and_hybrid_models_get_the_recipe(which, float_models, tmp_path):
    model = float_models[0 if which == "float" else 1]
    line = _one_line(_cli("compile", str(model), "-o", str(tmp_path / "out")),
                     "float or hybrid model", "tf.lite.Optimize.DEFAULT", "representative_dataset",
                     "TFLITE_BUILTINS_INT8")
    assert line.startswith(f"error: {model.name}: op ")
    assert not (tmp_path / "out").exists()


def test_the_readme_recipe_gives_a_model_that_compiles(tmp_path):
    """The README's quantization recipe, as written there, gives a model tinycc-ml compiles."""
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Quantizing a model")
    code = readme[readme.index("```python", start) + 9:readme.index("```", readme.index("```python", start) + 9)]
    k = keras()
    inp = k.Input((8,))
    model = k.Model(inp, k.layers.Dense(2)(k.layers.Dense(4, activation="relu")(inp)))
    rng = np.random.default_rng(0)
    scope = {"tf": tf(), "model": model,
             "representative_inputs": [rng.uniform(-1, 1, (1, 8)).astype(np.float32)
                                       for _ in range(8)]}
    exec(code, scope)       # noqa: S102  (the README's own lines)
    path = write_model(scope["tflite_model"], tmp_path)
    p = _cli("compile", str(path), "-o", str(tmp_path / "out"), "-q")
    assert p.returncode == 0, p.stderr


def test_unsupported_op_line_is_short():
    from tinycc_ml.errors import CompileError
    from tinycc_ml.ir import Op
    from tinycc_ml.ops.base import lookup

    class G:
        def error(self, op, reason):
            return CompileError(reason, op_index=op.index, op_kind=op.kind, op_name=op.name)
    op = Op(index=3, kind="LSTM", name="lstm", inputs=(), outputs=(), attrs={})
    with pytest.raises(CompileError) as e:
        lookup(op, G())
    assert e.value.line() == "op 3 (LSTM 'lstm'): not supported (`tinycc-ml ops` lists the " \
                             "supported ops)"


@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m7", "cortex-m55"])
def test_cortex_m_runtime_is_sign_conversion_clean(cpu, tmp_path):
    """Every runtime file for the core, -Wsign-conversion -Werror (tcm_dsp.h's tcm_ssat8 warned)."""
    flags = ["-mcpu=" + cpu, "-mthumb", "-mfloat-abi=hard"] + (["-mfpu=fpv4-sp-d16"]
                                                               if cpu == "cortex-m4" else [])
    for c in sorted((REPO / "runtime_c").glob("*.c")):
        subprocess.run(["arm-none-eabi-gcc", *flags, "-std=c99", "-O2", "-Wall", "-Wextra",
                        "-pedantic", "-Wsign-conversion", "-Werror", "-c", str(c), "-o",
                        str(tmp_path / (c.stem + ".o"))], check=True)


# ---------------------------------------------------------------------------------------------
# 2: the shipped models


def test_shipped_models_are_the_published_files():
    """models/mlperf_tiny holds mlcommons/tiny's files unmodified (sha256 as recorded there)."""
    want = {
        "kws_ds_cnn_int8": "aeea436800704fce17b17292e4412630ad856e9d777c044c64ef748a880bd0ae",
        "vww_mobilenet_int8": "597a384c8c2c8a1276f04702f25013b7838f2f814f1ca7c174d295b73e3d6b7b",
        "ic_resnet8_int8": "3c002613d1b2475eb51dd78dfb85a546c8ae658dee71cf6ade43b022fe205415",
        "ad_autoencoder_int8": "87cf24194ef93d1d9b11a591d805526b98008e351655d29883c825c9c106ba24",
    }
    readme = (SHARED_MODELS / "README.md").read_text()
    assert "Apache License 2.0" in readme and "mlcommons/tiny" in readme
    for m in SHARED:
        digest = hashlib.sha256((SHARED_MODELS / f"{m}.tflite").read_bytes()).hexdigest()
        assert digest == want[m], m
        assert digest in readme, m
