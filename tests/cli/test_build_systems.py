"""The output folder in real builds: CMake (`add_subdirectory(out)`, host and an arm-none-eabi
toolchain file for Cortex-M4 under QEMU), Make (`include out/NAME.mk`), several models in one
output (with and without --shared-arena), all bit-exact with TFLite BUILTIN_REF."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.util import REPO, SHARED_MODELS
from tinycc_ml.cli import main

EXAMPLE = REPO / "examples" / "accelerometer_anomaly"
MODEL = EXAMPLE / "model.tflite"
AD = SHARED_MODELS / "ad_autoencoder_int8.tflite"


def _need(*tools: str) -> None:
    for t in tools:
        if shutil.which(t) is None:
            pytest.fail(f"{t} is not installed (.ci/run installs it)")


def _run(cmd, **kw) -> str:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert p.returncode == 0, (cmd, p.stdout[-2000:], p.stderr[-2000:])
    return p.stdout


def _compile(out: Path, *args: str, model: Path = MODEL) -> None:
    assert main(["compile", str(model), "-o", str(out), "-q", *args]) == 0


def _project(tmp: Path, out_name: str, extra: str = "") -> Path:
    """A firmware project beside the output folder: the example's main.c, VERBOSE=1."""
    proj = tmp / "proj"
    proj.mkdir()
    shutil.copy(EXAMPLE / "main.c", proj / "main.c")
    (proj / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.13)
project(app C)
add_subdirectory(${{CMAKE_CURRENT_SOURCE_DIR}}/../{out_name} model)
add_executable(app main.c {extra})
target_compile_definitions(app PRIVATE VERBOSE=1)
set_source_files_properties(main.c PROPERTIES COMPILE_OPTIONS "-Wall;-Wextra;-Werror;-pedantic")
target_link_libraries(app PRIVATE accel)
""")
    return proj


def _cmake_build(proj: Path, *args: str) -> Path:
    build = proj / "build"
    _run(["cmake", "-S", proj, "-B", build, "-DCMAKE_BUILD_TYPE=Release", *args])
    _run(["cmake", "--build", build, "-j", "2"])
    return build


def _check_against_tflite(out: str) -> None:
    from tinycc_ml.reference import TFLiteReference
    ref = TFLiteReference(MODEL)
    ins = {int(m.group(1)): np.array(m.group(2).split(), dtype=np.int8)
           for m in re.finditer(r"^window (\d+) in (.*)$", out, re.M)}
    outs = {int(m.group(1)): np.array([m.group(2), m.group(3)], dtype=np.int8)
            for m in re.finditer(r"^window (\d+) out (-?\d+) (-?\d+)$", out, re.M)}
    assert len(ins) == 6 and set(ins) == set(outs), out
    for k, x in ins.items():
        np.testing.assert_array_equal(outs[k], ref.run([x.reshape(1, 64, 3)])[0].reshape(-1))


def _results(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("window") or "alarms" in line]


@pytest.fixture(scope="module")
def host_cmake(tmp_path_factory):
    _need("cmake", "cc")
    tmp = tmp_path_factory.mktemp("cmake_host")
    _compile(tmp / "out", "--name", "accel")
    build = _cmake_build(_project(tmp, "out"))
    return _run([build / "app"])


def test_cmake_host_build_runs_bitexact(host_cmake):
    _check_against_tflite(host_cmake)
    assert "3 alarms in 6 windows" in host_cmake


def test_cmake_cortex_m4_toolchain_file(host_cmake, tmp_path):
    """The same folder (compiled for cortex-m4) with a toolchain file: a firmware ELF that runs
    under QEMU (mps2-an386) and prints the host's results."""
    _need("cmake", "arm-none-eabi-gcc", "qemu-system-arm")
    _compile(tmp_path / "out", "--name", "accel", "--target", "cortex-m4")
    from tinycc_ml.cortexm import CORES, HERE, run_elf
    flags, _, ld = CORES["cortex-m4"]
    toolchain = tmp_path / "arm-none-eabi.cmake"
    toolchain.write_text(f"""set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "{' '.join(flags)} -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs --specs=rdimon.specs -nostartfiles -Wl,--gc-sections -L{HERE} -T{HERE / ld}")
""")
    proj = _project(tmp_path, "out", extra=str(HERE / "startup.c"))
    build = _cmake_build(proj, f"-DCMAKE_TOOLCHAIN_FILE={toolchain}")
    lib = build / "model" / "libaccel.a"
    assert lib.exists()
    attrs = _run(["arm-none-eabi-readelf", "-A", lib])
    assert "Cortex-M4" in attrs or "v7E-M" in attrs, attrs[:500]
    p = run_elf(build / "app", "cortex-m4", timeout=120)
    assert p.returncode == 0, p.stderr[-1000:]
    assert _results(p.stdout) == _results(host_cmake)


def test_make_fragment(host_cmake, tmp_path):
    """`include out/accel.mk`: ACCEL_SOURCES and ACCEL_CFLAGS build the same program."""
    _need("make", "cc")
    _compile(tmp_path / "out", "--name", "accel")
    shutil.copy(EXAMPLE / "main.c", tmp_path / "main.c")
    (tmp_path / "Makefile").write_text(
        "include out/accel.mk\n"
        "CFLAGS := -std=c99 -O2 -Wall -Wextra -Werror -pedantic -DVERBOSE=1 $(ACCEL_CFLAGS)\n"
        "app: main.c $(ACCEL_SOURCES)\n\t$(CC) $(CFLAGS) $^ -lm -o $@\n")
    _run(["make", "-s", "-C", tmp_path, "app"])
    out = _run([tmp_path / "app"])
    assert _results(out) == _results(host_cmake)


def test_header_names_every_file_the_build_needs(tmp_path):
    """The header's Build: lines name every .c and .h of the output (nothing else is needed:
    the sources build from exactly those files)."""
    _compile(tmp_path / "out", "--name", "accel", "--target", "cortex-m4")
    out = tmp_path / "out"
    h = (out / "accel.h").read_text()
    build = h[h.index("Build:"):h.index("*/", h.index("Build:"))]
    named = set(re.findall(r"[\w.]+\.[ch]\b", build))
    present = {p.name for p in out.iterdir() if p.suffix in (".c", ".h")}
    assert named == present, (named ^ present)
    only = tmp_path / "only"
    only.mkdir()
    for f in named:
        shutil.copy(out / f, only / f)
    for c in sorted(only.glob("*.c")):
        _run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", c, "-o",
              tmp_path / f"{c.stem}.o"])


# ---------------------------------------------------------------------------------------------
# Several models in one output


def _load(folder: Path, names: list[str], tag: str):
    """Build every .c of the folder as one Python extension (cffi) exposing the NAME_invoke
    functions; imported from a temporary folder."""
    import cffi
    import importlib.util
    decls = []
    for n in names:
        decls += re.findall(rf"^int {n}_invoke\([^;]*\);", (folder / f"{n}.h").read_text(), re.M)
    ffi = cffi.FFI()
    ffi.cdef("\n".join(decls))
    mod = f"_tcm_image_{tag}"
    ffi.set_source(mod, "".join(f'#include "{n}.h"\n' for n in names),
                   sources=sorted(str(f) for f in folder.glob("*.c")), include_dirs=[str(folder)],
                   extra_compile_args=["-std=c99", "-O2", "-Wall", "-Werror"], libraries=["m"])
    lib_path = ffi.compile(tmpdir=str(folder.parent / f"build_{tag}"))
    spec = importlib.util.spec_from_file_location(mod, lib_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod] = module
    spec.loader.exec_module(module)
    return module


def _run_model(module, name: str, x: np.ndarray, out_size: int) -> np.ndarray:
    y = np.zeros(out_size, np.int8)
    x = np.ascontiguousarray(x)
    rc = getattr(module.lib, f"{name}_invoke")(module.ffi.from_buffer("int8_t[]", x),
                                               module.ffi.from_buffer("int8_t[]", y))
    assert rc == 0
    return y


def _arena_symbols(folder: Path) -> dict[str, int]:
    """Sizes of the arrays named *arena* in the objects of the folder (gcc, nm -S)."""
    sizes = {}
    for c in folder.glob("*.c"):
        obj = folder.parent / f"{c.stem}.o"
        _run(["cc", "-std=c99", "-c", c, "-I", folder, "-o", obj])
        for line in _run(["nm", "-S", "--defined-only", obj]).splitlines():
            f = line.split()
            if len(f) == 4 and "arena" in f[3]:
                sizes[f[3]] = int(f[1], 16)
    return sizes


@pytest.mark.parametrize("shared", [False, True], ids=["own_arenas", "shared_arena"])
def test_two_models_in_one_output(shared, tmp_path):
    """compile accel.tflite ad.tflite --name accel --name ad [--shared-arena]: one runtime copy,
    each model's entry points; run alternately, both bit-exact with TFLite."""
    from tinycc_ml.reference import TFLiteReference, random_inputs
    out = tmp_path / "out"
    args = ["compile", str(MODEL), str(AD), "-o", str(out), "-q", "--name", "accel", "--name", "ad"]
    assert main(args + (["--shared-arena"] if shared else [])) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files.count("tcm_fc.c") == 1 and "accel.c" in files and "ad.c" in files
    assert ("accel_shared_arena.c" in files) == shared
    arena = {n: int(re.search(rf"#define {n.upper()}_ARENA_BYTES (\d+)u",
                              (out / f"{n}.h").read_text()).group(1)) for n in ("accel", "ad")}
    sizes = _arena_symbols(out)
    if shared:
        assert sizes == {"accel_shared_arena": max(arena.values())}
    else:
        assert sizes == {"accel_arena": arena["accel"], "ad_arena": arena["ad"]}
    cmake = (out / "CMakeLists.txt").read_text()
    assert "add_library(accel STATIC" in cmake and "add_library(ad ALIAS accel)" in cmake

    module = _load(out, ["accel", "ad"], "shared" if shared else "own")
    refs = {"accel": TFLiteReference(MODEL), "ad": TFLiteReference(AD)}
    rng = np.random.default_rng(3)
    for _ in range(5):
        for n, ref in refs.items():      # one after another: each overwrites the shared arena
            specs = [(tuple(d["shape"]), d["dtype"]) for d in ref.inputs]
            (x,) = random_inputs(specs, rng)
            want = ref.run([x])[0].reshape(-1)
            np.testing.assert_array_equal(_run_model(module, n, x.reshape(-1), want.size), want)


@pytest.mark.parametrize("args, why", [
    (["--name", "a"], "one --name per model"),
    (["--name", "a", "--name", "a"], "its own"),
    (["--name", "a", "--name", "b", "--shared-arena", "--caller-arena"], "exclude each other"),
])
def test_several_models_bad_options(args, why, tmp_path, capsys):
    rc = main(["compile", str(MODEL), str(AD), "-o", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and why in err, err
    assert not (tmp_path / "out").exists()


def test_separate_outputs_link_bitexact(tmp_path):
    """Two outputs compiled separately (each with its own runtime copy, other kernels) build
    into one extension without duplicate symbols, and both stay bit-exact."""
    from tinycc_ml.reference import TFLiteReference, random_inputs
    _compile(tmp_path / "a", "--name", "accel")
    _compile(tmp_path / "b", "--name", "ad", "--target", "cortex-m4", model=AD)
    both = tmp_path / "both"
    both.mkdir()
    # one build of all sources: each folder's files include their own tcm_names.h (the
    # directory of the including file is searched first), so the copies are named apart
    import cffi
    import importlib.util
    ffi = cffi.FFI()
    ffi.cdef("int accel_invoke(const int8_t *, int8_t *);\nint ad_invoke(const int8_t *, int8_t *);")
    ffi.set_source("_tcm_two_outputs", '#include "accel.h"\n#include "ad.h"\n',
                   sources=sorted(str(f) for f in list((tmp_path / "a").glob("*.c"))
                                  + list((tmp_path / "b").glob("*.c"))),
                   include_dirs=[str(tmp_path / "a"), str(tmp_path / "b")],
                   extra_compile_args=["-std=c99", "-O2"], libraries=["m"])
    lib_path = ffi.compile(tmpdir=str(both))
    spec = importlib.util.spec_from_file_location("_tcm_two_outputs", lib_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.default_rng(5)
    for name, model in (("accel", MODEL), ("ad", AD)):
        ref = TFLiteReference(model)
        for _ in range(3):
            (x,) = random_inputs([(tuple(d["shape"]), d["dtype"]) for d in ref.inputs], rng)
            want = ref.run([x])[0].reshape(-1)
            np.testing.assert_array_equal(_run_model(module, name, x.reshape(-1), want.size), want)
