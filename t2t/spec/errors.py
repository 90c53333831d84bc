"""Errors a spec author can act on: a position (file, line, column) and one sentence.

Every check in the spec layer appends to an :class:`ErrorSink` instead of raising, so that
one run reports every problem at once, sorted the way an editor lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from t2t.spec.limits import printable


@dataclass(frozen=True, order=True)
class SpecError:
    """One problem in a spec or in a CSV file it names; lines and columns are 1-based."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        # Quoted values come from untrusted files: escape what could drive the terminal.
        return printable(f"{self.path}:{self.line}:{self.col}: {self.message}")

    def as_note(self) -> str:
        """A note as printed: ``PATH:LINE:COL: note: message``."""
        return printable(f"{self.path}:{self.line}:{self.col}: note: {self.message}")


class SpecInvalid(Exception):
    """Raised by ``load_spec`` with every error found, sorted by file, line and column."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors: list[SpecError] = sorted(set(errors))
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class Mark:
    """A position in a file, before a message is attached to it."""

    path: str
    line: int
    col: int

    def error(self, message: str) -> SpecError:
        return SpecError(self.path, self.line, self.col, message)


@dataclass
class ErrorSink:
    """Collects errors; checks keep going after the first one. Notes are what the author
    should know but that does not stop the spec loading (a CSV column t2t ignores)."""

    errors: list[SpecError] = field(default_factory=list)
    notes: list[SpecError] = field(default_factory=list)

    def add(self, mark: Mark, message: str) -> None:
        self.errors.append(mark.error(message))

    def note(self, mark: Mark, message: str) -> None:
        self.notes.append(mark.error(message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise SpecInvalid(self.errors)
