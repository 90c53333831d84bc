"""Reading a spec or CSV file as text, turning every I/O or encoding problem into an error.

Specs come from pull requests and CSVs from spreadsheet exports, so a missing file, a
directory, Latin-1 bytes or a UTF-8 byte-order mark (Excel writes one) must never end in a
traceback.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from t2t.spec.errors import ErrorSink, Mark

#: Larger inputs are refused rather than read: a spec is reviewed text, not a data dump.
MAX_BYTES = 64 * 1024 * 1024


def read_text(path: Path, display: str, sink: ErrorSink, what: str) -> str | None:
    """Return the file's text (BOM removed, newlines kept), or None after adding an error."""
    start = Mark(display, 1, 1)
    try:
        if path.is_dir():
            sink.add(start, f"cannot read the {what}: it is a folder, not a file")
            return None
        size = path.stat().st_size
        if size > MAX_BYTES:
            sink.add(start, f"the {what} is {size} bytes; t2t reads at most {MAX_BYTES}")
            return None
        data = path.read_bytes()
    except FileNotFoundError:
        sink.add(start, f"cannot read the {what}: no such file")
        return None
    except OSError as exc:
        sink.add(start, f"cannot read the {what}: {exc.strerror or exc}")
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        sink.add(
            Mark(display, line, col),
            f"the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
        )
        return None
