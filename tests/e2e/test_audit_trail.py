"""The audit trail end to end: `t2t demo` on a served sandbox, then its trail read whole.

Every apply round is a run: a `start` line (run id, t2t's version, the operator — OS account,
host, t2t's client id per tenant —, the spec's path and SHA-256, the plan's SHA-256), one
`action` line per action with the plan's changes, its outcome and Microsoft's request ids
(every action that sent a write has some), and an `end` line with the counts and the exit
code. No secret of the sandbox profile and nothing token-shaped is in it. A later apply only
appends; `--no-audit` writes none; a trail that cannot be written stops apply before any
write.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from t2t import __version__
from tests.e2e.helpers import ROOT, run, stats

SPEC = ROOT / "specs" / "quickstart.yaml"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*")
#: A secret-shaped run: 24+ characters of a client secret's or a generated password's alphabet
#: (mailuser.generate_password) mixing upper case, lower case and digits — a GUID, a hex digest,
#: an address or an x500 segment never does all three.
SECRET_SHAPED = re.compile(r"[A-Za-z0-9._~!#%+=?-]{24,}")


def _secret_shaped(text: str) -> list[str]:
    return [
        s
        for s in SECRET_SHAPED.findall(text)
        if re.search(r"[A-Z]", s) and re.search(r"[a-z]", s) and re.search(r"\d", s)
    ]


def _profile_secrets(profile: dict[str, Any], state: Path) -> list[str]:
    """Every secret the sandbox profile lists: client secrets and the client certificates'
    private keys (their base64 lines)."""
    out: list[str] = []
    for tenant in profile["tenants"]:
        for client in [tenant["adminApp"], *tenant.get("clients", [])]:
            out.append(client["clientSecret"])
            pem = Path(client["certificatePath"]).read_text(encoding="ascii")
            key = pem.split("PRIVATE KEY-----", 1)[1].split("-----END", 1)[0]
            out += [line for line in key.split() if len(line) >= 24]
    assert len(out) > 6
    return out


def test_the_demo_leaves_a_whole_trail_and_no_secret(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    demo = run("demo", str(SPEC), "--sandbox", str(state), state=state)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr
    trail = state / "quickstart.yaml.audit.jsonl"
    text = trail.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert all(line["format"] == "t2t-audit/1" for line in lines)

    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        runs[line["run"]].append(line)
    assert len(runs) >= 2, [line["event"] for line in lines]  # demo rounds: one run each
    admin = {t["tenantId"]: t["adminApp"]["clientId"] for t in profile["tenants"]}
    spec_sha = hashlib.sha256(SPEC.read_bytes()).hexdigest()
    actions = 0
    for run_lines in runs.values():
        start, *steps, end = run_lines
        assert [start["event"], end["event"]] == ["start", "end"]
        assert {s["event"] for s in steps} == {"action"}
        assert start["t2tVersion"] == __version__
        assert start["operator"]["osUser"] and start["operator"]["host"]
        for role in ("source", "target"):
            who = start["operator"][role]
            assert who == {"tenantId": who["tenantId"], "clientId": admin[who["tenantId"]],
                           "sandbox": True}  # fmt: skip
        assert start["spec"]["path"].endswith("specs/quickstart.yaml")
        assert start["spec"]["sha256"] == spec_sha
        assert re.fullmatch(r"[0-9a-f]{64}", start["plan"]["sha256"])
        assert start["plan"]["actions"] >= len(steps)
        counts: dict[str, int] = defaultdict(int)
        for step in steps:
            counts[step["status"]] += 1
            assert set(step) >= {"id", "kind", "tenant", "changes", "status", "requestIds"}
            if step["status"] == "done":  # it wrote, so Microsoft answered with a request id
                assert step["requestIds"], step
                assert all(re.fullmatch(r"[0-9a-f-]{36}", r) for r in step["requestIds"])
        assert end["counts"] == dict(counts)
        assert end["exitCode"] == 0 and end["error"] is None
        actions += len(steps)
    kinds = {line["kind"] for line in lines if line["event"] == "action"}
    assert {"mailuser.create", "license.assign", "endpoint.create", "batch.create"} <= kinds
    assert "batch.complete" in kinds or "batch.set_complete_after" in kinds, kinds
    assert actions > 25

    # No secret, password or token: the profile's secrets and keys, JWTs, bearer headers,
    # secret-shaped strings (the MailUser passwords and the endpoint secret apply generated).
    for secret in _profile_secrets(profile, state):
        assert secret not in text
    assert not JWT.search(text) and "bearer " not in text.lower()
    assert _secret_shaped(text) == []
    assert '"Password":"[REDACTED]"' in text and '"Credentials":"[REDACTED]"' in text

    # Append-only: another apply adds its run after what was there.
    again = run("apply", str(SPEC), "--auto-approve", "--audit-file", str(trail), state=state)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr
    grown = trail.read_text(encoding="utf-8")
    assert grown.startswith(text) and len(grown) > len(text)
    last = [json.loads(line) for line in grown[len(text) :].splitlines()]
    assert [line["event"] for line in last] == ["start", "end"]  # nothing left to apply
    assert last[1]["exitCode"] == 0 and last[1]["counts"] == {}

    # Beside the spec by default, none with --no-audit.
    spec = tmp_path / "quickstart.yaml"
    spec.write_text(SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    assert run("apply", str(spec), "--auto-approve", "--no-audit", state=state).returncode == 0
    assert not (tmp_path / "quickstart.yaml.audit.jsonl").exists()
    assert run("apply", str(spec), "--auto-approve", state=state).returncode == 0
    beside = (tmp_path / "quickstart.yaml.audit.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["event"] for line in beside.splitlines()] == ["start", "end"]
    assert (tmp_path / "quickstart.yaml.audit.jsonl").stat().st_mode & 0o777 == 0o600


def test_an_unwritable_trail_stops_apply_before_any_write(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    before = stats(profile)["writes"]
    for where in (tmp_path / "missing" / "trail.jsonl", tmp_path):
        done = run("apply", str(SPEC), "--auto-approve", "--audit-file", str(where), state=state)
        assert done.returncode == 1
        assert done.stderr.startswith(f"error: cannot write the audit trail {where}: ")
        assert "--no-audit" in done.stderr and "Traceback" not in done.stdout + done.stderr
        assert done.stdout == ""  # not even the plan: nothing connected
    assert stats(profile)["writes"] == before
