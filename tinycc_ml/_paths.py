"""Where the runtime C sources and the templates are: inside the package in a wheel
(pyproject maps them there), at the repository root in a source checkout."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tinycc-ml installation is incomplete: no '{name}' folder")


def runtime_dir() -> Path:
    return _find("runtime_c")


def templates_dir() -> Path:
    return _find("templates")
