"""Integer macros of the runtime headers (`#define TCM_CONV_HOST_PIXELS 4`), read from the
headers themselves, so that the Python which pads constants and sizes scratch uses the C's own
numbers. Function-like macros (scratch formulas) are mirrored in the op modules and checked
against the C by tests/test_cmacros.py."""

from __future__ import annotations

import functools
import re

from ._paths import runtime_dir


@functools.lru_cache(maxsize=None)
def c_define(header: str, name: str) -> int:
    """The value of `#define NAME <integer>` in runtime_c/`header`; KeyError if it has none."""
    text = (runtime_dir() / header).read_text()
    m = re.search(r"^[ \t]*#[ \t]*define[ \t]+" + re.escape(name) + r"[ \t]+\(?(-?\d+)[uU]?\)?"
                  r"[ \t]*(?:/\*.*)?$", text, re.M)
    if m is None:
        raise KeyError(f"runtime_c/{header} has no integer #define {name}")
    return int(m.group(1))
