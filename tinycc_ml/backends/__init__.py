"""Backends: target-wide matters of the emitted C (naming, constants, arena, templates)."""
