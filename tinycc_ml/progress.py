"""A progress line for long work (verify with many inputs or on a core, benchmarks): written
to stderr only when stderr is a terminal, redrawn in place at most 10 times a second, and
erased when the work is done, so logs and pipes never see it."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.label, self.total = label, total
        isatty = getattr(self.stream, "isatty", None)
        self.on = bool(isatty and isatty()) and total > 0
        self._last = 0.0
        self._width = 0

    def update(self, done: int, note: str = "") -> None:
        if not self.on:
            return
        now = time.monotonic()
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        text = f"{self.label}: {done}/{self.total}" + (f" {note}" if note else "")
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        if self.on and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
