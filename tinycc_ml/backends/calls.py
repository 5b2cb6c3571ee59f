"""How the generated C is laid out: one renderer for every kernel call, one for comments.

A call with two or more arguments gets one argument per line, indented under the function name
(a call with one argument or none stays on one line), so every layer's call reads the same way
and no generated line is a 300-character call. `reflow` applies the same rule to any statement
an op module wrote by hand. `wrap` breaks comment text at word boundaries so that no generated
line is longer than WIDTH columns (tests/test_line_length.py).
"""

from __future__ import annotations

import re

WIDTH = 100         # columns: no generated line is longer (but a model name longer than that)
INDENT = 4


def render_call(function: str, args, end: str = ";") -> str:
    """`function(arg, ...)` + end, one argument per line when there are two or more."""
    args = [str(a) for a in args]
    if len(args) < 2:
        return f"{function}({', '.join(args)}){end}"
    inner = ",\n".join(" " * INDENT + a for a in args)
    return f"{function}(\n{inner}){end}"


def wrap(parts, width: int, first: str, rest: str, sep: str = " ") -> list[str]:
    """`parts` joined by `sep` into lines of at most `width` columns, the first line starting
    with `first` and the others with `rest`; a part is never split (one longer than a line
    stands alone on its line)."""
    lines, cur = [], first
    for k, part in enumerate(parts):
        piece = part if k == len(parts) - 1 else part + sep.rstrip()
        if cur not in (first, rest) and len(cur) + 1 + len(piece) > width:
            lines.append(cur)
            cur = rest
        cur = cur + piece if cur in (first, rest) else cur + " " + piece
    return lines + [cur]


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
    """`code` with each one-line call statement `f(a, b, ...);` rewritten one argument per
    line."""
    out = []
    for line in code.split("\n"):
        m = _CALL.match(line)
        if not m or _unbalanced(m.group(3)) or len(split_args(m.group(3))) < 2:
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
