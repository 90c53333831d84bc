"""The audit trail's file (t2t/apply/audit.py): appended, never rewritten, one fsync per line,
owner-only, secrets masked, and refused up front when it cannot be written."""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import hashlib
import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest

import t2t
from t2t.apply.audit import AuditError, AuditTrail, default_audit_path, plan_sha256
from t2t.apply.result import ActionResult
from t2t.logs import register_secret
from t2t.planner import Action, Change, Plan

SECRET = "Zq8~registered-secret-value-0042"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJl"


def _plan(spec: Path) -> tuple[Plan, Action]:
    action = Action(
        id="target:endpoint.update:contoso-t2t",
        tenant="target",
        kind="endpoint.update",
        key="contoso-t2t",
        operation="update",
        cmdlet="Set-MigrationEndpoint",
        parameters={"Identity": "contoso-t2t"},
        changes=(
            Change(field="MaxConcurrentMigrations", before=20, after=100),
            Change(field="clientSecret", before=None, after=SECRET),
        ),
        fingerprint="sha256:0",
        risk="safe",
    )
    plan = Plan(
        spec_name="quickstart",
        spec_path=str(spec),
        source_tenant="s",
        target_tenant="t",
        actions=(action,),
        findings=(),
        unknowns=(),
    )
    return plan, action


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_run_is_appended_line_by_line_fsynced_and_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "quickstart.yaml"
    spec.write_text("version: 1\n", encoding="utf-8")
    path = default_audit_path(spec)
    assert path == tmp_path / "quickstart.yaml.audit.jsonl"
    earlier = '{"event":"an earlier run"}\n'
    path.write_text(earlier, encoding="utf-8")
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    register_secret(SECRET)
    plan, action = _plan(spec)

    trail = AuditTrail(path)
    trail.begin(plan, spec_path=str(spec), operator={"target": {"clientId": "c"}})
    result = ActionResult(
        id=action.id,
        status="failed",
        message=f"refused: Authorization: Bearer {JWT}; secret {SECRET}",
        request_ids=["5d7019ce-f891-4434-9760-6b606cae0d1b"],
    )
    trail.action(action, result)
    trail.end(1)
    trail.close()

    text = path.read_text(encoding="utf-8")
    assert text.startswith(earlier)  # appended, never rewritten
    start, step, end = _lines(path)[1:]
    assert len(synced) == 3  # one fsync per line
    assert SECRET not in text and JWT not in text
    assert start["event"] == "start" and start["run"] == step["run"] == end["run"]
    assert start["plan"] == {
        "sha256": plan_sha256(plan),
        "actions": 1,
        "runnable": 1,
        "saved": None,
    }
    assert start["spec"] == {
        "name": "quickstart",
        "path": str(spec),
        "sha256": hashlib.sha256(b"version: 1\n").hexdigest(),
        "fingerprint": "",
    }
    assert step == {
        "format": "t2t-audit/1",
        "event": "action",
        "at": step["at"],
        "run": start["run"],
        "id": action.id,
        "kind": "endpoint.update",
        "tenant": "target",
        "key": "contoso-t2t",
        "cmdlet": "Set-MigrationEndpoint",
        "risk": "safe",
        "changes": {
            "MaxConcurrentMigrations": {"before": 20, "after": 100},
            "clientSecret": "[REDACTED]",  # a field that names a secret: masked whole
        },
        "status": "failed",
        "message": "refused: Authorization: [REDACTED]; secret [REDACTED]",
        "warnings": [],
        "requestIds": ["5d7019ce-f891-4434-9760-6b606cae0d1b"],
        "seconds": 0.0,
    }
    assert end["exitCode"] == 1 and end["counts"] == {"failed": 1} and end["error"] is None


def test_a_new_trail_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new.audit.jsonl"
    AuditTrail(path).close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_is_kept_as_a_warning_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("x", encoding="utf-8")
    trail = AuditTrail(tmp_path / "t.jsonl")

    def full(_fd: int, _data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    trail.begin(_plan(spec)[0], spec_path=str(spec), operator={})
    assert trail.write_error == f"{tmp_path / 't.jsonl'}: No space left on device"
    monkeypatch.undo()
    trail.close()


AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")  # UTC, milliseconds


def test_each_line_whole_compact_utf8_and_the_run_open_only_between_start_and_end(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\n", encoding="utf-8")
    path = tmp_path / "t.jsonl"
    plan, action = _plan(spec)
    trail = AuditTrail(path)
    assert not trail.open_run  # opened, no run begun: the CLI writes no end line for it
    saved = {"path": "p.json", "sha256": "ab" * 32}
    trail.begin(plan, spec_path=str(spec), operator={"source": {"tenantId": "s"}}, saved_plan=saved)
    assert trail.open_run
    when = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
    noted = action.model_copy(update={"changes": (Change(field="StartAfter", after=when),)})
    trail.action(
        noted, ActionResult(id=action.id, status="done", message="zugestellt → ok", seconds=1.23456)
    )
    trail.action(noted, ActionResult(id=action.id, status="done"))
    trail.end(0)
    assert not trail.open_run
    assert trail.write_error is None
    trail.close()

    raw = path.read_bytes().decode("utf-8").splitlines()
    assert [line.startswith('{"format":"t2t-audit/1","event":') for line in raw] == [True] * 4
    assert "zugestellt → ok" in raw[1]  # UTF-8 as it is, not \u escapes
    start, first, second, end = (json.loads(line) for line in raw)
    run = start["run"]
    assert re.fullmatch(r"[0-9a-f]{12}", run)
    assert all(AT.fullmatch(line["at"]) for line in (start, first, second, end))
    assert start == {
        "format": "t2t-audit/1",
        "event": "start",
        "at": start["at"],
        "run": run,
        "t2tVersion": t2t.__version__,
        "operator": {
            "osUser": getpass.getuser(),
            "host": socket.gethostname(),
            "source": {"tenantId": "s"},
        },
        "spec": {
            "name": "quickstart",
            "path": str(spec),
            "sha256": hashlib.sha256(b"version: 1\n").hexdigest(),
            "fingerprint": "",
        },
        "plan": {"sha256": plan_sha256(plan), "actions": 1, "runnable": 1, "saved": saved},
    }
    assert first["run"] == run and first["message"] == "zugestellt → ok"
    assert first["seconds"] == 1.235
    assert first["changes"] == {"StartAfter": {"before": None, "after": str(when)}}
    assert end == {
        "format": "t2t-audit/1",
        "event": "end",
        "at": end["at"],
        "run": run,
        "exitCode": 0,
        "counts": {"done": 2},
        "error": None,
    }


def test_the_plan_hash_is_sha256_of_its_canonical_json(tmp_path: Path) -> None:
    plan, _ = _plan(tmp_path / "s.yaml")
    canonical = json.dumps(plan.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    assert plan_sha256(plan) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_without_a_login_name_the_operator_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nobody() -> str:
        raise KeyError("getpwuid(): uid not found: 4242")  # a bare container's uid

    monkeypatch.setattr(getpass, "getuser", nobody)
    trail = AuditTrail(tmp_path / "t.jsonl")
    trail.begin(_plan(tmp_path / "s.yaml")[0], spec_path="s.yaml", operator={})
    trail.close()
    [start] = _lines(tmp_path / "t.jsonl")
    assert start["operator"] == {"osUser": "unknown", "host": socket.gethostname()}


def test_a_short_write_appends_the_rest_of_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.write may write less than asked (a signal, a full pipe): the rest follows."""
    real_write = os.write
    sizes: list[int] = []

    def short(fd: int, data: bytes) -> int:
        sizes.append(len(data))
        if len(sizes) > 10_000:
            raise AssertionError("the line is never finished")
        return real_write(fd, bytes(data[:100]))

    path = tmp_path / "t.jsonl"
    trail = AuditTrail(path)
    monkeypatch.setattr(os, "write", short)
    trail.begin(_plan(tmp_path / "s.yaml")[0], spec_path="s.yaml", operator={})
    trail.end(0)
    monkeypatch.undo()
    trail.close()
    start, end = _lines(path)
    assert (start["event"], end["event"]) == ("start", "end")
    assert len(sizes) > 2 and sizes[1] == sizes[0] - 100


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("missing folder", os.strerror(errno.ENOENT)),
        ("folder", os.strerror(errno.EISDIR)),
        ("fifo", os.strerror(errno.ENXIO)),
        ("under a file", os.strerror(errno.ENOTDIR)),
        ("fifo with a reader", "not a regular file"),
    ],
)
def test_why_a_trail_is_refused(tmp_path: Path, kind: str, why: str) -> None:
    """Every way the file cannot be opened for appending, each refused before apply starts,
    saying why. (A read-only file is the same OSError path, but root — as tests run here — may
    write it; a parent that is a file refuses root too.)"""
    path = tmp_path / "trail.jsonl"
    reader = None
    if kind == "missing folder":
        path = tmp_path / "nowhere" / "trail.jsonl"
    elif kind == "folder":
        path.mkdir()
    elif kind.startswith("fifo"):
        os.mkfifo(path)
        if kind == "fifo with a reader":  # it opens, but a pipe is no append-only record
            reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    else:
        (tmp_path / "a-file").write_text("", encoding="utf-8")
        path = tmp_path / "a-file" / "trail.jsonl"
    try:
        with pytest.raises(AuditError) as caught:
            AuditTrail(path)
    finally:
        if reader is not None:
            os.close(reader)
    assert str(caught.value) == (
        f"cannot write the audit trail {path}: {why}; make it writable, choose another file "
        "with --audit-file PATH, or turn the trail off with --no-audit (nothing was applied)"
    )
