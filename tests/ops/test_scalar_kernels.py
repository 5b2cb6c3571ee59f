"""runtime_c/tcm_mul32.h's tcm_mulhi32 (the ARMv6-M high word with 32-bit multiplies only,
which the scalar kernels requantize with on cores without a 64-bit multiply) against Python
integers: floor((a * m + round * 2^31) / 2^32) on the edges of its domain and random samples."""

from __future__ import annotations

import random
import subprocess

from tinycc_ml._paths import runtime_dir

PROGRAM = r"""
#include <stdio.h>
#include "tcm_mul32.h"
int main(void)
{
    long long a, m;
    int r;
    while (scanf("%lld %lld %d", &a, &m, &r) == 3) {
        printf("%ld\n", (long)tcm_mulhi32((int32_t)a, (int32_t)m, r));
    }
    return 0;
}
"""


def test_mulhi32_matches_integers(tmp_path):
    (tmp_path / "m.c").write_text(PROGRAM)
    exe = tmp_path / "m"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2",
                    "-fsanitize=undefined", "-fno-sanitize-recover", "-I", str(runtime_dir()),
                    str(tmp_path / "m.c"), "-o", str(exe)], check=True)
    edges_a = [-2**31, -2**31 + 1, -2**16 - 1, -2**16, -2**15, -1, 0, 1, 2**15, 2**16 - 1,
               2**16, 2**30, 2**31 - 1]
    edges_m = [0, 1, 2**15, 2**16 - 1, 2**16, 2**30, 2**30 + 1, 2**31 - 2**16, 2**31 - 1]
    cases = [(a, m, r) for a in edges_a for m in edges_m for r in (0, 1)]
    rnd = random.Random(14)
    cases += [(rnd.randint(-2**31, 2**31 - 1), rnd.randint(0, 2**31 - 1), rnd.randint(0, 1))
              for _ in range(50_000)]
    out = subprocess.run([str(exe)], input="\n".join(f"{a} {m} {r}" for a, m, r in cases),
                         capture_output=True, text=True, check=True).stdout.split()
    assert len(out) == len(cases)
    bad = [(c, o) for c, o in zip(cases, out) if (c[0] * c[1] + c[2] * 2**31) >> 32 != int(o)]
    assert not bad, bad[:5]
