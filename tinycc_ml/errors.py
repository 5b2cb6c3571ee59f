"""The one exception type the compiler raises for bad input, and its one-line format.

`cli.main` catches only `CompileError`: anything else is a bug in tinycc-ml and keeps its
traceback. The message format is `<file>: op <index> (<KIND> '<name>'): <reason>`, or
`<file>: <reason>` when no op is concerned.
"""

from __future__ import annotations


class CompileError(Exception):
    """A model or an option that tinycc-ml refuses, with a one-line reason."""

    def __init__(self, reason: str, *, source: str = "", op_index: int | None = None,
                 op_kind: str = "", op_name: str = ""):
        self.reason = " ".join(str(reason).split())  # always one line
        self.source = source
        self.op_index = op_index
        self.op_kind = op_kind
        self.op_name = op_name
        super().__init__(self.line())

    def line(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if self.op_index is not None:
            where += f"op {self.op_index} ({self.op_kind} '{self.op_name}'): "
        return where + self.reason

    def with_source(self, source: str) -> "CompileError":
        """The same error, naming the model file (frontends know it, ops may not)."""
        if self.source:
            return self
        return CompileError(self.reason, source=source, op_index=self.op_index,
                            op_kind=self.op_kind, op_name=self.op_name)
