"""How a kernel call is written in the generated C: one renderer for every kernel.

A call that fits in WIDTH columns stays on one line; a longer one gets one argument per line,
indented under the function name, so no generated line is a 300-character call. `reflow`
applies the same rule to any statement an op module wrote by hand.
"""

from __future__ import annotations

import re

WIDTH = 96          # columns of a call line inside NAME_invoke (4 of indentation included)
INDENT = 4


def render_call(function: str, args, end: str = ";") -> str:
    """`function(arg, ...)` + end, wrapped one argument per line when it is too long."""
    args = [str(a) for a in args]
    one = f"{function}({', '.join(args)}){end}"
    if INDENT + len(one) <= WIDTH or not args:
        return one
    inner = ",\n".join(" " * INDENT + a for a in args)
    return f"{function}(\n{inner}){end}"


def split_args(text: str) -> list[str]:
    """Top-level comma-separated parts of `text` (parentheses and braces nest)."""
    args, depth, cur = [], 0, ""
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return args + [cur.strip()] if cur.strip() or args else []


_CALL = re.compile(r"^(\s*)([A-Za-z_]\w*)\((.*)\);$")


def reflow(code: str) -> str:
    """`code` with each over-long one-line call statement `f(...);` rewrapped one argument
    per line."""
    out = []
    for line in code.split("\n"):
        m = _CALL.match(line)
        if INDENT + len(line) <= WIDTH or not m or _unbalanced(m.group(3)):
            out.append(line)
            continue
        lead, fn, args = m.groups()
        wrapped = render_call(fn, split_args(args))
        out.append("\n".join(lead + x for x in wrapped.split("\n")))
    return "\n".join(out)


def _unbalanced(args: str) -> bool:
    depth = 0
    for ch in args:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return True
    return depth != 0


_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof"}


def called_function(code: str) -> str | None:
    """The first function `code` calls, outside preprocessor lines (the layer's kernel)."""
    for line in code.split("\n"):
        if line.lstrip().startswith("#"):
            continue
        for name in re.findall(r"([A-Za-z_]\w*)\s*\(", line):
            if name not in _KEYWORDS:
                return name
    return None
