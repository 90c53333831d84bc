"""The audit trail's file (t2t/apply/audit.py): appended, never rewritten, one fsync per line,
owner-only, secrets masked, and refused up front when it cannot be written."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

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


@pytest.mark.parametrize("kind", ["missing folder", "folder", "fifo", "under a file"])
def test_an_unwritable_trail_is_refused_up_front(tmp_path: Path, kind: str) -> None:
    """Every way the file cannot be opened for appending, each refused before apply starts.
    (A read-only file is the same OSError path, but root — as tests run here — may write it;
    a parent that is a file refuses root too.)"""
    path = tmp_path / "trail.jsonl"
    if kind == "missing folder":
        path = tmp_path / "nowhere" / "trail.jsonl"
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # no reader: opening it must not hang the apply
    else:
        (tmp_path / "a-file").write_text("", encoding="utf-8")
        path = tmp_path / "a-file" / "trail.jsonl"  # ENOTDIR, whoever asks
    with pytest.raises(AuditError) as caught:
        AuditTrail(path)
    message = str(caught.value)
    assert message.startswith(f"cannot write the audit trail {path}: ")
    assert message.endswith(
        "make it writable, choose another file with --audit-file PATH, or turn the trail off "
        "with --no-audit (nothing was applied)"
    )


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
