"""Imports every op module in this package so that each registers itself (sorted: deterministic)."""

import importlib
import pkgutil

from . import __path__ as _ops_path

for _m in sorted(m.name for m in pkgutil.iter_modules(_ops_path)):
    if not _m.startswith("_") and _m != "base":
        importlib.import_module(f"{__package__}.{_m}")
