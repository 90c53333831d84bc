"""t2t/state/load.py: `t2t show --format json` back to a Snapshot, and what it refuses.

The rich snapshot is real: ``t2t show --format json specs/quickstart.yaml`` against the sandbox
after ``t2t demo`` (every part of both tenants, the batch completed); the target's Azure parts
(key_vault, vault_certificates) and the app's key credential were added to it by hand, as
keyVaultCertificate mode reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from t2t.render.snapshot import render_snapshot_json
from t2t.state import parts as P
from t2t.state.exchange import Recipient
from t2t.state.load import SnapshotFileError, record_type, snapshot_from_json

DEMO = Path(__file__).parents[1] / "data" / "snapshots" / "quickstart-after-demo.json"


def _demo() -> dict[str, Any]:
    return dict(json.loads(DEMO.read_text(encoding="utf-8")))


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_a_real_snapshot_round_trips() -> None:
    text = DEMO.read_text(encoding="utf-8")
    snapshot = snapshot_from_json(text)
    assert render_snapshot_json(snapshot) == text
    every = {p.name for p in P.read_from("source")} | {p.name for p in P.read_from("target")}
    read = set(snapshot.source.parts()) | set(snapshot.target.parts())
    assert read == every  # the file exercises every part
    recipients = snapshot.target.recipients
    assert recipients is not None and isinstance(recipients.get()[0], Recipient)


def test_unknown_absent_and_unread_parts_round_trip() -> None:
    data = _demo()
    data["target"]["parts"]["users"] = {"status": "unknown", "reason": "403 Forbidden"}
    data["target"]["parts"]["endpoints"] = {"status": "absent"}
    del data["source"]["parts"]["statistics"]
    snapshot = snapshot_from_json(_text(data))
    assert snapshot.target.users is not None and snapshot.target.users.status == "unknown"
    assert snapshot.target.users.reason == "403 Forbidden"
    assert snapshot.source.statistics is None  # not read
    assert snapshot.unknowns() == [("target", "users", "403 Forbidden")]
    assert render_snapshot_json(snapshot) == _text(data)


def test_record_types_come_from_the_tenant_state() -> None:
    assert record_type("recipients") == tuple[Recipient, ...]
    assert record_type("group_members") == tuple[tuple[str, tuple[str, ...]], ...]


def _edit(path: str, value: Any) -> str:
    """The demo snapshot with the value at a dotted path (``[n]`` for list items) replaced;
    ``...`` deletes it."""
    data: Any = _demo()
    keys: list[str | int] = []
    for piece in path.split("."):
        name, _, index = piece.partition("[")
        keys.append(name)
        if index:
            keys.append(int(index.rstrip("]")))
    node = data
    for key in keys[:-1]:
        node = node[key]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return _text(data)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("{not json", "", "not JSON"),
        (b"\xff\xfe{}", "", "not"),
        ("[]", "", "expected an object"),
        ('{"source": {}}', "target", "missing"),
        (_edit("source.tenantId", 7), "source.tenantId", "expected a string"),
        (_edit("target.parts.organization", ...), "target.parts.organization", "missing"),
        (_edit("source.parts.users", {"status": "absent"}), "source.parts.users", "unknown key"),
        (_edit("target.parts.skus.status", "gone"), "target.parts.skus.status", "one of"),
        (_edit("target.parts.skus.value", ...), "target.parts.skus.value", "missing"),
        (
            _edit("target.parts.endpoints", {"status": "absent", "value": []}),
            "target.parts.endpoints.value",
            "has no value",
        ),
        (
            _edit("target.parts.recipients.value[2].guid", 5),
            "target.parts.recipients.value[2].guid",
            "valid string",
        ),
        (
            _edit("target.parts.recipients.value[1].is_dir_synced", "false"),
            "target.parts.recipients.value[1].is_dir_synced",
            "valid boolean",
        ),
        (
            _edit("target.parts.recipients.value[0].identity", ...),
            "target.parts.recipients.value[0].identity",
            "required",
        ),
        (
            _edit("target.parts.recipients.value[0].exchangeGuid", "x"),
            "target.parts.recipients.value[0].exchangeGuid",
            "unknown field",
        ),
        (
            _edit("target.parts.organization.value", []),
            "target.parts.organization.value",
            "",
        ),
        (_edit("source.parts.recipients.value", {}), "source.parts.recipients.value", "array"),
        (_edit("target.parts.relationships.reason", 3), "target.parts.relationships.reason", ""),
    ],
)
def test_bad_input_names_the_place(text: str | bytes, where: str, problem: str) -> None:
    with pytest.raises(SnapshotFileError) as e:
        snapshot_from_json(text)
    assert e.value.where == where
    assert problem in e.value.problem
    assert str(e.value).startswith(f"{where}: " if where else problem)
