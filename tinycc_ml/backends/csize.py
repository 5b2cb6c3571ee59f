"""sizeof() of the parameter structs the generated code declares, as on the 32-bit cores, so
that the flash figure (and --max-flash) counts them exactly without running a C compiler.

tinycc-ml's own structs are read from their typedefs in runtime_c/*.h (fields int32_t,
uint32_t, float, pointers, arrays sized by a number or a #define, and other such structs: all
4-byte aligned, so no padding); CMSIS-NN's from its Include/arm_nn_types.h, written out below.
tests/cli/test_limits.py checks the totals against arm-none-eabi-nm on built objects.
"""

from __future__ import annotations

import functools
import re

from .._paths import runtime_dir

WORD = 4
_CMSIS_NN = {
    "cmsis_nn_dims": 4 * WORD, "cmsis_nn_tile": 2 * WORD, "cmsis_nn_activation": 2 * WORD,
    "cmsis_nn_context": 2 * WORD, "cmsis_nn_per_channel_quant_params": 2 * WORD,
    "cmsis_nn_per_tensor_quant_params": 2 * WORD,
    "cmsis_nn_conv_params": 2 * WORD + 3 * 2 * WORD + 2 * WORD,
    "cmsis_nn_dw_conv_params": 3 * WORD + 3 * 2 * WORD + 2 * WORD,
    "cmsis_nn_pool_params": 2 * 2 * WORD + 2 * WORD,
    "cmsis_nn_fc_params": 3 * WORD + 2 * WORD,
}
_SCALAR = {"int32_t": WORD, "uint32_t": WORD, "float": WORD}


@functools.lru_cache(maxsize=1)
def _runtime_structs() -> tuple[dict[str, str], dict[str, int]]:
    bodies: dict[str, str] = {}
    defines: dict[str, int] = {}
    for h in sorted(runtime_dir().glob("*.h")):
        text = re.sub(r"/\*.*?\*/", "", h.read_text(), flags=re.S)
        for name, value in re.findall(r"#define\s+(\w+)\s+(\d+)\b", text):
            defines[name] = int(value)
        for body, name in re.findall(r"typedef struct \{(.*?)\}\s*(\w+);", text, re.S):
            bodies[name] = body
    return bodies, defines


def struct_size(ctype: str) -> int:
    if ctype in _CMSIS_NN:
        return _CMSIS_NN[ctype]
    bodies, defines = _runtime_structs()
    if ctype in _SCALAR:
        return _SCALAR[ctype]
    if ctype not in bodies:
        raise KeyError(f"no typedef for struct {ctype!r} (runtime_c/*.h or CMSIS-NN's)")
    size = 0
    for decl in filter(None, (d.strip() for d in bodies[ctype].split(";"))):
        m = re.fullmatch(r"(?:const\s+)?(\w+)\s*(.*)", decl, re.S)
        base, declarators = m.group(1), m.group(2)
        for d in (x.strip() for x in declarators.split(",")):
            count = 1
            for dim in re.findall(r"\[(\w+)\]", d):
                count *= int(dim) if dim.isdigit() else defines[dim]
            size += count * (WORD if d.startswith("*") else struct_size(base))
    return size
