"""Build runtime_c/ sources into a small cffi extension, so tests can call a kernel or a
tcm_math.h function directly (one build, then thousands of calls from Python)."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import Sequence

from tests.util import REPO

RUNTIME = REPO / "runtime_c"


def struct_cdef(header: str, name: str) -> str:
    """The `typedef struct { ... } name;` of a runtime header, comments removed, for ffi.cdef."""
    text = (RUNTIME / header).read_text()
    m = re.search(r"typedef struct \{.*?\} " + re.escape(name) + ";", text, re.S)
    if m is None:
        raise KeyError(f"{header} has no typedef struct {name}")
    return re.sub(r"/\*.*?\*/", "", m.group(0), flags=re.S)


def build(tag: str, cdef: str, source: str, work: Path, sources: Sequence[str] = (),
          cflags: Sequence[str] = ("-O2",)):
    """Compile `source` (C text, may #include runtime headers) plus runtime_c/`sources` as a
    Python extension exposing `cdef`; returns the imported module (`.ffi`, `.lib`)."""
    import cffi

    digest = hashlib.sha256(repr((cdef, source, tuple(sources), tuple(cflags))).encode())
    for s in sources:
        digest.update((RUNTIME / s).read_bytes())
    for h in sorted(RUNTIME.glob("*.h")):
        digest.update(h.read_bytes())
    modname = f"_tcm_test_{tag}_{digest.hexdigest()[:12]}"
    if modname in sys.modules:
        return sys.modules[modname]
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    ffi.set_source(modname, source, sources=[str(RUNTIME / s) for s in sources],
                   include_dirs=[str(RUNTIME)],
                   extra_compile_args=["-std=c99", *cflags])
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    lib_path = ffi.compile(tmpdir=str(work), verbose=False)
    spec = importlib.util.spec_from_file_location(modname, lib_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return module
