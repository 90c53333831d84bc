"""`t2t plan --report FILE.csv`: what the move will lose, one row per right, for the help desk.

Columns (the header, in this order):

- mailbox — the mailbox the right is on, as the spec names it (its source address) or as
  Exchange names it when the spec does not declare it;
- mailbox_wave — its wave, empty when it stays behind;
- right — FullAccess, MailboxPermission (other explicit mailbox rights), Calendar, SendAs,
  SendOnBehalf, Forwarding or Membership (for Membership the "mailbox" is the group);
- access_rights — what Exchange shows (AccessRights, the forwarding property, or the group's
  RecipientTypeDetails);
- holder — who holds it (for Forwarding: where mail goes; for Membership: the member), named
  the same way;
- holder_wave — its wave, empty when it stays behind;
- why — why the move loses it (Microsoft's FAQ, or t2t's inference when it says so).

A file is written whole or not at all (a temporary file beside it, then renamed). An existing
file is replaced only when its first line is this header — a report t2t wrote before; any other
file is left alone and the command refuses (a usage error naming the path), so a typo never
overwrites a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from t2t.planner.delegates import Loss

HEADER = ("mailbox", "mailbox_wave", "right", "access_rights", "holder", "holder_wave", "why")


class ReportPathError(ValueError):
    """The report cannot go to this path (why, in words naming the path)."""


def report_text(losses: Iterable[Loss]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as spreadsheets read it
    writer.writerow(HEADER)
    for x in losses:
        writer.writerow(
            (
                x.mailbox.shown,
                x.mailbox.wave,
                x.right,
                x.rights,
                x.holder.shown,
                x.holder.wave,
                x.reason,
            )
        )
    return buffer.getvalue()


def check_report_path(path: Path) -> None:
    """Refuse, before anything is read, a path the report cannot or must not be written to."""
    if path.is_dir():
        raise ReportPathError(f"{path} is a directory")
    if not path.parent.is_dir():
        raise ReportPathError(f"{path.parent} does not exist")
    if path.exists():
        try:
            with path.open(encoding="utf-8", newline="") as f:
                first = next(csv.reader(f), None)
        except (OSError, UnicodeDecodeError):
            first = None
        if first is None or tuple(first) != HEADER:
            raise ReportPathError(
                f"{path} exists and is not a t2t permissions report; remove it or choose "
                "another path"
            )


def write_report(path: Path, losses: Iterable[Loss]) -> None:
    """Write the report atomically (OSError when the filesystem refuses)."""
    check_report_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(report_text(losses))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
