"""The audit trail: what each `t2t apply` did, appended as JSON lines to a file kept beside
the spec (`<spec>.audit.jsonl` unless told otherwise).

Why a file of its own and not the log: logs are for the person at the terminal and go where
the terminal goes; the trail is the record a change ticket or an auditor asks for weeks later
— who ran which plan of which spec against which tenants, what each action changed (the
plan's before and after), how it ended and Microsoft's request ids to quote to support.

Lines, each one JSON object with an `event`:

- `start`: the run id, t2t's version, the operator (the OS account and host, and t2t's own
  identity in each tenant: tenant id and client id, or — a person's sign-in — who signed in
  to each service), the spec (path, SHA-256 of its bytes, the
  fingerprint of everything it resolved to, CSV files included) and the plan (SHA-256 of its
  canonical JSON, its action count; the saved plan's file and seal when one is applied);
- `action`: per action, whatever its outcome (done, noop, failed, skipped, blocked, unknown,
  waiting): id, kind, tenant, key, cmdlet, risk, the plan's changes (field → before/after),
  the result's status, message and warnings, Microsoft's request ids, seconds;
- `end`: the counts per status and the exit code (also when the run stopped early: a refused
  lease, Ctrl-C, an error — then with the error's text).

Safe by construction: every line passes through `t2t.logs.scrub` (keys that name secrets,
token- and JWT-shaped values, and every secret registered at run time — the spec's, the
sandbox profile's, each MailUser password and endpoint secret apply generates — are masked),
and a change whose field names a secret is masked whole. Append-only: the file is opened with
O_APPEND and never truncated or rewritten, each line goes out in one write and is fsynced, so a
crash keeps every line written before it. The file is opened before anything connects: one
that cannot be written stops the apply before any action (AuditError).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import socket
import stat
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from t2t import __version__
from t2t.apply.result import ActionResult
from t2t.logs import scrub
from t2t.planner import Action, Plan
from t2t.state import fingerprint

#: The `kind` of every line: the trail's format, versioned.
AUDIT_KIND = "t2t-audit/1"


class AuditError(Exception):
    """The audit trail cannot be written; the message says which file and why."""


def default_audit_path(spec_path: str | Path) -> Path:
    """`<spec>.audit.jsonl`, beside the spec."""
    spec = Path(spec_path)
    return spec.with_name(spec.name + ".audit.jsonl")


def file_sha256(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def plan_sha256(plan: Plan) -> str:
    """SHA-256 of the plan's canonical JSON: the same plan gives the same hash wherever it was
    made or saved."""
    return fingerprint(plan.model_dump(mode="json")).removeprefix("sha256:")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "unknown"


def _changes(action: Action) -> dict[str, Any]:
    """field → {before, after}: a field that names a secret is then masked whole by scrub."""
    return {c.field: {"before": c.before, "after": c.after} for c in action.changes}


def _unwritable(path: Path, why: str) -> AuditError:
    return AuditError(
        f"cannot write the audit trail {path}: {why}; make it writable, choose another file "
        "with --audit-file PATH, or turn the trail off with --no-audit (nothing was applied)"
    )


class AuditTrail:
    """One open audit file; `begin`, `action` and `end` write one line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # O_NONBLOCK: a FIFO with no reader fails at once instead of hanging the apply.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK
        try:
            self._fd = os.open(path, flags, 0o600)
        except OSError as exc:
            raise _unwritable(path, exc.strerror or str(exc)) from None
        if not stat.S_ISREG(os.fstat(self._fd).st_mode):
            os.close(self._fd)
            raise _unwritable(path, "not a regular file")
        self.run_id: str | None = None
        self.counts: Counter[str] = Counter()
        self.write_error: str | None = None

    def _write(self, event: str, fields: dict[str, Any]) -> None:
        record = {"format": AUDIT_KIND, "event": event, "at": _now(), "run": self.run_id, **fields}
        line = json.dumps(scrub(record), ensure_ascii=False, default=str, separators=(",", ":"))
        data = (line + "\n").encode("utf-8")
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a short write: the rest, still appended
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:
            self.write_error = f"{self.path}: {exc.strerror or exc}"

    def begin(
        self,
        plan: Plan,
        *,
        spec_path: str,
        operator: dict[str, Any],
        saved_plan: dict[str, Any] | None = None,
    ) -> None:
        self.run_id = uuid.uuid4().hex[:12]
        self.counts = Counter()
        self._write(
            "start",
            {
                "t2tVersion": __version__,
                "operator": {"osUser": _os_user(), "host": socket.gethostname(), **operator},
                "spec": {
                    "name": plan.spec_name,
                    "path": spec_path,
                    "sha256": file_sha256(spec_path),
                    "fingerprint": plan.spec_fingerprint,
                },
                "plan": {
                    "sha256": plan_sha256(plan),
                    "actions": len(plan.actions),
                    "runnable": len(plan.runnable),
                    "saved": saved_plan,
                },
            },
        )

    def action(self, action: Action, result: ActionResult) -> None:
        self.counts[result.status] += 1
        self._write(
            "action",
            {
                "id": action.id,
                "kind": action.kind,
                "tenant": action.tenant,
                "key": action.key,
                "cmdlet": action.cmdlet,
                "risk": action.risk,
                "changes": _changes(action),
                "status": result.status,
                "message": result.message,
                "warnings": result.warnings,
                "requestIds": result.request_ids,
                "seconds": round(result.seconds, 3),
            },
        )

    def end(self, exit_code: int, *, error: str | None = None) -> None:
        counts = dict(sorted(self.counts.items()))
        self._write("end", {"exitCode": exit_code, "counts": counts, "error": error})
        self.run_id = None

    @property
    def open_run(self) -> bool:
        return self.run_id is not None

    def close(self) -> None:
        os.close(self._fd)
