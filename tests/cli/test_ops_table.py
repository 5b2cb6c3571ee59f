"""`tinycc-ml ops`: one line per registered op with its operands' types, and the README's table
is that output (so the README stays true when an op is added)."""

from __future__ import annotations

import subprocess
import sys

from tests.util import REPO
from tinycc_ml.ops.base import supported_kinds


def _ops_lines() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "tinycc_ml", "ops"], capture_output=True,
                         text=True, check=True, cwd=REPO).stdout
    return out.splitlines()


def test_ops_lists_every_op_with_types():
    lines = _ops_lines()
    assert [line.split()[0] for line in lines] == supported_kinds()
    conv = next(line for line in lines if line.startswith("CONV_2D "))
    assert conv.split(None, 1)[1] == ("input int8/int16, filter int8 (constant), bias "
                                      "int32/int64 (constant, optional) -> output int8/int16")
    assert all(" -> output" in line for line in lines)


def test_readme_table_is_the_ops_output():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = [f"| {kind} | {sig.strip()} |" for kind, _, sig in
            (line.partition(" ") for line in _ops_lines())]
    assert "| op | operands and their types |\n|---|---|\n" + "\n".join(rows) + "\n" in readme
