"""C identifiers derived from model names: valid, unique, short, deterministic."""

from __future__ import annotations

import re

C_KEYWORDS = frozenset("""auto break case char const continue default do double else enum extern
float for goto if inline int long register restrict return short signed sizeof static struct
switch typedef union unsigned void volatile while _Bool _Complex _Imaginary""".split())


def sanitize(text: str, max_len: int = 40) -> str:
    s = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower()
    s = re.sub(r"_+", "_", s)
    if not s:
        s = "t"
    if s[0].isdigit():
        s = "t" + s
    if s in C_KEYWORDS:
        s += "_"
    return s[:max_len].rstrip("_") or "t"


def comment_text(text: str) -> str:
    """Model text (a tensor or file name) made safe inside a C block comment: it can neither
    close the comment ('*/') nor open a nested one ('/*'), and stays on one line."""
    text = " ".join(text.splitlines())
    while "*/" in text or "/*" in text:
        text = text.replace("*/", "* /").replace("/*", "/ *")
    return text


def layer_stem(op_name: str) -> str:
    """'functional_1/conv2d_2/Relu;functional_1/...' -> 'conv2d_2_relu'.

    TFLite joins fused node names with ';': the first is kept; a leading model scope
    ('functional_1/', 'model/') is dropped.
    """
    first = op_name.split(";")[0]
    parts = [p for p in first.split("/") if p]
    if len(parts) > 1:
        parts = parts[1:]
    return sanitize("_".join(parts), 32)


class Namer:
    """Hands out unique identifiers; the same requests in the same order give the same names."""

    def __init__(self, reserved=()):
        self.taken = set(reserved)

    def unique(self, stem: str) -> str:
        name, k = stem, 2
        while name in self.taken or name in C_KEYWORDS:
            name = f"{stem}_{k}"
            k += 1
        self.taken.add(name)
        return name


_TF_INTERNAL = re.compile(r"^(statefulpartitionedcall|partitionedcall|identity)(_\d+)?$")


def io_stem(tensor_name: str, role: str, index: int) -> str:
    """A parameter name for a graph input/output: the model's name without TensorFlow's
    signature decoration ('serving_default_window:0' -> 'window'); TensorFlow-internal names
    ('StatefulPartitionedCall:0', 'Identity') become 'input0' / 'output0'."""
    name = re.sub(r":\d+$", "", tensor_name)
    name = re.sub(r"^serving_default_", "", name)
    stem = sanitize(name, 32)
    return f"{role}{index}" if _TF_INTERNAL.match(stem) or stem == "t" else stem
