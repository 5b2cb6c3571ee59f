"""Corrupt .tflite files on purpose, for the bad-input tests.

Two tools:
- `edit(data, change)`: semantic changes through TFLite's own object API (the `ModelT` classes
  of tensorflow/lite/python/schema_py_generated.py, loaded without importing TensorFlow):
  unpack, let `change(model)` modify it, pack again. The result is a well-formed flatbuffer
  whose *content* is wrong (a negative dimension, an op reading tensor 999, a cycle).
- `Layout`: byte positions of tables, fields and vector lengths in the original file, found
  with the `tflite` reader, for structural damage (an offset pointing past the end, a vector
  claiming 2^30 elements, a broken vtable) that no flatbuffer builder would write.
"""

from __future__ import annotations

import functools
import importlib.util
import struct
from pathlib import Path
from typing import Callable

import flatbuffers
import tflite


@functools.lru_cache(maxsize=1)
def schema():
    """TFLite's generated schema module with the object API (ModelT, TensorT, OperatorT...)."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("tensorflow is not installed (the [test] extra)")
    path = Path(spec.submodule_search_locations[0]) / "lite" / "python" / "schema_py_generated.py"
    mod_spec = importlib.util.spec_from_file_location("_tflite_schema_for_tests", path)
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module


def unpack(data: bytes):
    return schema().ModelT.InitFromPackedBuf(bytearray(data), 0)


def pack(model) -> bytes:
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def edit(data: bytes, change: Callable) -> bytes:
    model = unpack(data)
    change(model)
    return pack(model)


class Layout:
    """Where things are in a .tflite file (absolute byte positions)."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.model = tflite.Model.GetRootAs(bytearray(self.data), 0)
        self.subgraph = self.model.Subgraphs(0)

    def u32(self, pos: int) -> int:
        return struct.unpack_from("<I", self.data, pos)[0]

    @staticmethod
    def table(obj) -> int:
        """Position of a table (where its signed offset to the vtable is stored)."""
        return obj._tab.Pos

    def vtable(self, obj) -> int:
        pos = obj._tab.Pos
        return pos - struct.unpack_from("<i", self.data, pos)[0]

    @staticmethod
    def field(obj, slot: int) -> int:
        """Position of field `slot` (its index in the schema) of a table; it must be present."""
        off = obj._tab.Offset(4 + 2 * slot)
        assert off, f"field {slot} is absent from this table"
        return obj._tab.Pos + off

    def vector(self, obj, slot: int) -> int:
        """Position of the u32 length of a vector (or string) field."""
        at = self.field(obj, slot)
        return at + self.u32(at)

    def tensor(self, i: int):
        return self.subgraph.Tensors(i)

    def operator(self, i: int):
        return self.subgraph.Operators(i)

    def buffer(self, i: int):
        return self.model.Buffers(i)


def put(data: bytes, pos: int, fmt: str, value) -> bytes:
    """`data` with `value` packed (struct format `fmt`, little-endian) at `pos`."""
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, pos, value)
    return bytes(out)
