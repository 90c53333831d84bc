"""Reading a spec, CSV or saved-plan file, turning every I/O or encoding problem into an error.

Specs come from pull requests and CSVs from spreadsheet exports, so a missing file, a
directory, a device that never ends (``/dev/zero``), a pipe, an oversized file, Latin-1 bytes
or a UTF-8 byte-order mark (Excel writes one) must never end in a traceback or exhaust memory.
"""

from __future__ import annotations

import codecs
import stat
from pathlib import Path

from t2t.spec.errors import ErrorSink, Mark


class ReadProblem(Exception):
    """Why a file could not be read; the message is a sentence for the user."""


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file at ``path``, never more than ``limit`` of them read.

    A device or a pipe reports no size (or a false one), so only regular files are read, and
    the read itself stops past the limit in case the file grows meanwhile.
    """
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ReadProblem(f"cannot read the {what}: it is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ReadProblem(
                f"cannot read the {what}: it is not a regular file (a device, pipe or socket)"
            )
        if info.st_size > limit:
            raise ReadProblem(
                f"the {what} is {info.st_size:,} bytes; t2t reads at most {_mib(limit)}"
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise ReadProblem(f"cannot read the {what}: no such file") from None
    except OSError as exc:
        raise ReadProblem(f"cannot read the {what}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a path with a NUL character in it
        raise ReadProblem(f"cannot read the {what}: {exc}") from None
    except MemoryError:
        raise ReadProblem(f"cannot read the {what}: not enough memory") from None
    if len(data) > limit:
        raise ReadProblem(f"the {what} grew past {_mib(limit)} while t2t read it")
    return data


def read_text(path: Path, display: str, sink: ErrorSink, what: str, limit: int) -> str | None:
    """Return the file's text (BOM removed, newlines kept), or None after adding an error."""
    try:
        data = read_bounded(path, limit, what)
    except ReadProblem as exc:
        sink.add(Mark(display, 1, 1), str(exc))
        return None
    return decode_text(data, display, sink, what)


def decode_text(data: bytes, display: str, sink: ErrorSink, what: str) -> str | None:
    """``data`` as UTF-8 text (a BOM removed), or None after adding an error at the first
    byte that is not UTF-8."""
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
