"""What every resolution step shares: the parsed document, the spec's folder, the error sink.

Resolution validates each piece of the document on its own (a tenant, a rule, a mailbox
entry, a batch), so one broken piece does not hide the problems in the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from t2t.spec.csvfile import CsvTable, read_mailbox_csv
from t2t.spec.errors import ErrorSink, Mark
from t2t.spec.limits import SPEC_MAX_CSV_ROWS, clip
from t2t.spec.positions import Located, Path_

T = TypeVar("T")
_MISSING = object()


@dataclass
class Context:
    doc: Located
    spec_dir: Path
    sink: ErrorSink
    check_git: bool
    _csv: dict[Path, tuple[CsvTable | None, str]] = field(default_factory=dict)
    _csv_rows: int = 0

    def raw(self, path: Path_) -> Any:
        """The raw value at ``path``, or ``_MISSING``."""
        value: Any = self.doc.data
        for item in path:
            in_dict = isinstance(item, str) and isinstance(value, dict) and item in value
            in_list = isinstance(item, int) and isinstance(value, list) and 0 <= item < len(value)
            if not (in_dict or in_list):
                return _MISSING
            value = value[item]
        return value

    def items(self, path: Path_) -> int:
        """Length of the list at ``path`` (0 when absent or not a list)."""
        value = self.raw(path)
        return len(value) if isinstance(value, list) else 0

    def piece(self, adapter: TypeAdapter[T], path: Path_, default: T | None = None) -> T | None:
        """``path`` validated on its own; None when invalid (its errors are already reported)."""
        value = self.raw(path)
        if value is _MISSING:
            return default
        try:
            return adapter.validate_python(value)
        except ValidationError:
            return None

    def at(self, path: Path_) -> Mark:
        return self.doc.value(path)

    def key_at(self, path: Path_) -> Mark:
        return self.doc.key(path)

    def error(self, mark: Mark, message: str) -> None:
        self.sink.add(mark, message)

    def where(self, mark: Mark) -> str:
        """How a message refers to an earlier position: 'line 12' or 'waves/a.csv:3'."""
        if mark.path == self.doc.display:
            return f"line {mark.line}"
        return f"{self.relative(mark.path)}:{mark.line}"

    def relative(self, display: str) -> str:
        base = Path(self.doc.display).parent
        try:
            return str(Path(display).relative_to(base))
        except ValueError:
            return display

    def csv_file(self, ref: str, mark: Mark, what: str) -> tuple[CsvTable, str] | None:
        """Read a CSV named in the spec, once; refuse paths that leave the spec's folder.

        A spec is untrusted input from a pull request: ``../`` or an absolute path, or a
        symbolic link pointing elsewhere, could make t2t read (and print) any file.
        """
        rel = Path(ref)
        if rel.is_absolute() or ref.startswith("~"):
            self.error(
                mark,
                f"{what}: {clip(ref)} is an absolute path; a CSV file must sit in the spec's folder"
                " or below it (write a relative path)",
            )
            return None
        base = self.spec_dir.resolve()
        full = (self.spec_dir / rel).resolve()
        if not full.is_relative_to(base):
            how = "" if ".." in rel.parts else " through a symbolic link"
            self.error(
                mark,
                f"{what}: {clip(ref)} leaves the spec's folder{how}; a CSV file must sit in the"
                " spec's folder or below it",
            )
            return None
        if full not in self._csv:
            if self._csv_rows > SPEC_MAX_CSV_ROWS:
                return None  # reported when the budget ran out
            display = str(Path(self.doc.display).parent / rel)
            read = read_mailbox_csv(full, display, self.sink)
            self._csv_rows += 0 if read is None else len(read.rows) + read.dropped
            if self._csv_rows > SPEC_MAX_CSV_ROWS:
                self.error(
                    mark,
                    f"{what}: with this file the spec's CSV files hold {self._csv_rows:,} rows,"
                    f" more than the {SPEC_MAX_CSV_ROWS:,} t2t reads for one spec",
                )
                read = None
            self._csv[full] = (read, display)
        table, display = self._csv[full]
        return None if table is None else (table, display)
