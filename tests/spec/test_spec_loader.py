"""load_spec end to end: resolution facts, error reporting, files, git and robustness."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2t.spec import Desired, SpecError, SpecInvalid, load_spec
from t2t.spec.csvfile import split_cells

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "specs" / "contoso-to-fabrikam.yaml"
MERGER = REPO / "specs" / "contoso-fabrikam-merger.yaml"

HEAD = """version: 1
name: t
source:
  tenantId: 6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20
  domain: contoso.onmicrosoft.com
  auth: {clientId: 0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d, certificate: file:keys/source.pem}
target:
  tenantId: 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60
  domain: fabrikam.onmicrosoft.com
  auth: {clientId: 1c8f3d2b-4e5a-4b6c-9d7e-8f9a0b1c2d3e, secret: env:T2T_TARGET_SECRET}
relationship:
  app: {displayName: T2T mailbox migration}
  credential: clientSecret
  scopeGroup: t2tmigrationscope
"""


def _write(folder: Path, text: str, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(text, encoding="utf-8")
    for name, content in files.items():
        (folder / name.replace("_csv", ".csv")).write_text(content, encoding="utf-8")
    return folder / "spec.yaml"


def _errors(path: Path, check_git: bool = False) -> list[str]:
    with pytest.raises(SpecInvalid) as caught:
        load_spec(path, check_git=check_git)
    base = str(path.parent) + "/"
    return [str(e).removeprefix(base) for e in caught.value.errors]


# -- the worked examples -------------------------------------------------------------


def test_walkthrough_example_resolves() -> None:
    desired = load_spec(EXAMPLE)
    assert desired.name == "contoso-to-fabrikam"
    assert desired.source.tenant_id == "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
    assert desired.target.domain == "fabrikam.onmicrosoft.com"
    rel = desired.relationship
    assert rel.app.app_id == "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
    assert rel.credential == "keyVaultCertificate"
    assert rel.key_vault is not None
    assert rel.key_vault.resource_group == "CrossTenantMoveRG"
    assert rel.key_vault.location == "northeurope"
    assert rel.scope_groups == ("t2tmigrationscope",)
    assert rel.name == "contoso-to-fabrikam"  # defaults to the spec's name
    assert rel.invite_source_admin == "admin@contoso.com"
    pairs = {m.source: (m.target, m.upn, m.batch) for m in desired.mailboxes}
    assert pairs["debra@contoso.com"] == (
        "debra@fabrikam.com",
        "debra@fabrikam.onmicrosoft.com",
        "wave-1",
    )
    assert pairs["alex@contoso.com"][0] == "alex.wilber@fabrikam.com"
    (wave,) = desired.batches
    assert (wave.name, wave.phase, wave.target_delivery_domain) == (
        "wave-1",
        "sync",
        "fabrikam.mail.onmicrosoft.com",
    )
    assert wave.mailboxes == tuple(m.target for m in desired.mailboxes)


def test_merger_example_resolves_both_csv_forms() -> None:
    desired = load_spec(MERGER)
    assert desired.relationship.credential == "clientSecret"
    assert desired.relationship.key_vault is None
    assert len(desired.mailboxes) >= 30
    phases = {b.name: (b.phase, b.complete_after) for b in desired.batches}
    assert phases == {
        "wave-1-finance": ("complete", datetime(2026, 12, 4, 22, 0, tzinfo=UTC)),
        "wave-2-sales": ("sync", None),
        "wave-3-operations": ("prepare", None),
    }
    sales = desired.mailbox("joni@fabrikam.com")
    assert sales is not None
    assert sales.source == "joni@contoso.com"  # derived by reversing the rewrite rule
    assert sales.origin.path.endswith("waves/wave-2-sales.csv")
    ops = desired.mailbox("XAVIER@fabrikam.onmicrosoft.com")
    assert ops is not None
    assert ops.source == "xavier@contoso.onmicrosoft.com"
    assert ops.upn == "xavier@fabrikam.com"
    assert all(m.batch is not None for m in desired.mailboxes)


# -- resolution facts ----------------------------------------------------------------


def test_defaults_and_canonical_forms(tmp_path: Path) -> None:
    spec = HEAD.replace(
        "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20", "6D0C3F1E-8B2A-4C47-9E15-3A5B7C9D1E20"
    )
    spec += "identities:\n  usageLocation: nl\n"
    spec += "  mailboxes: [{source: A@Contoso.com, target: B@Fabrikam.com}]\n"
    desired = load_spec(_write(tmp_path, spec), check_git=False)
    assert desired.source.tenant_id == "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20"
    assert desired.usage_location == "NL"
    assert desired.relationship.endpoint.name == "t"
    assert desired.relationship.endpoint.max_concurrent_migrations is None
    (mailbox,) = desired.mailboxes
    assert (mailbox.source, mailbox.target, mailbox.upn) == (
        "A@Contoso.com",
        "B@Fabrikam.com",
        "B@Fabrikam.com",
    )
    assert (mailbox.source_key, mailbox.target_key) == ("a@contoso.com", "b@fabrikam.com")
    assert mailbox.batch is None
    cert = desired.source.auth.certificate
    assert cert is not None
    assert cert.scheme == "file"
    assert cert.value == str(tmp_path.absolute() / "keys" / "source.pem")
    assert desired.target.auth.secret is not None
    assert desired.target.auth.secret.value == "T2T_TARGET_SECRET"


def test_batch_over_microsofts_2000_limit_is_accepted(tmp_path: Path) -> None:
    rows = "".join(f"user{i}@fabrikam.com\n" for i in range(2500))
    spec = (
        HEAD
        + """identities:
  rewrite: [{from: contoso.com, to: fabrikam.com}]
  mailboxes: [{csv: wave.csv}]
batches:
  - name: big
    mailboxes: {csv: wave.csv}
    targetDeliveryDomain: fabrikam.mail.onmicrosoft.com
    phase: sync
"""
    )
    desired = load_spec(_write(tmp_path, spec, wave_csv="EmailAddress\n" + rows), check_git=False)
    (batch,) = desired.batches
    assert len(batch.mailboxes) == 2500
    assert batch.mailboxes[0] == "user0@fabrikam.com"
    assert desired.mailboxes[2499].source == "user2499@contoso.com"


def test_desired_is_frozen() -> None:
    desired = load_spec(EXAMPLE)
    with pytest.raises(ValueError, match="frozen"):
        desired.name = "other"  # type: ignore[misc]


# -- error reporting -----------------------------------------------------------------


def test_spec_error_formats_like_a_compiler() -> None:
    error = SpecError("specs/x.yaml", 3, 7, "bad")
    assert str(error) == "specs/x.yaml:3:7: bad"
    assert str(SpecInvalid([error, SpecError("a.csv", 1, 1, "worse")])) == (
        "a.csv:1:1: worse\nspecs/x.yaml:3:7: bad"
    )


def test_all_errors_come_together_sorted(tmp_path: Path) -> None:
    spec = (
        HEAD.replace("credential: clientSecret", "credential: secret")
        + """identities:
  usageLocation: Netherlands
  rewrite: [{from: contoso.com, to: fabrikam.com}]
  mailboxes:
    - {source: a@contoso.com, target: a@fabrikam.com}
    - {csv: w.csv}
batches:
  - {name: w1, mailboxes: [a@contoso.com, z@contoso.com], targetDeliveryDomain: x.com, phase: sync}
  - {name: w2, mailboxes: [a@fabrikam.com], targetDeliveryDomain: x.com, phase: sync,
     completeAfter: 2026-01-01T00:00:00Z}
"""
    )
    csv = "SourceEmail,TargetEmail\nb@contoso.com,a@fabrikam.com\n"
    got = _errors(_write(tmp_path, spec, w_csv=csv))
    assert got == [
        "spec.yaml:13:15: relationship.credential: expected 'keyVaultCertificate' or"
        " 'clientSecret', got 'secret'",
        "spec.yaml:16:18: identities.usageLocation: 'Netherlands' is not a two-letter country"
        " code (ISO 3166-1, e.g. NL or US)",
        "spec.yaml:22:43: batches[0].mailboxes: z@contoso.com is not declared under"
        " identities.mailboxes; declare it there first (batches only name declared mailboxes)",
        "spec.yaml:23:28: batches[1].mailboxes: a@fabrikam.com is already in batch 'w1'; a"
        " mailbox moves in one batch",
        "spec.yaml:24:6: batches[1]: completeAfter only applies with phase: complete (this"
        " batch has phase: sync); it becomes New-MigrationBatch -CompleteAfter",
        "w.csv:2:15: a@fabrikam.com is already the target of a@contoso.com (line 19); two"
        " sources cannot move into one target",
    ]


def test_inline_secret_is_never_echoed(tmp_path: Path) -> None:
    secret = "Zq8~vT3.kP5_mW1-xR7sY4nB6cD9fG2hJ0"
    spec = HEAD.replace("secret: env:T2T_TARGET_SECRET", f"secret: {secret}")
    with pytest.raises(SpecInvalid) as caught:
        load_spec(_write(tmp_path, spec), check_git=False)
    text = str(caught.value)
    assert secret not in text
    assert secret[:6] not in text
    assert "target.auth.secret: must be a reference (env:VARIABLE or file:PATH)" in text


# -- files, folders and git ----------------------------------------------------------


def test_csv_reached_through_a_symlink_outside_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "wave.csv").write_text("EmailAddress\na@fabrikam.com\n", encoding="utf-8")
    spec_dir = tmp_path / "spec"
    spec_path = _write(spec_dir, HEAD + "identities:\n  mailboxes:\n    - {csv: waves/wave.csv}\n")
    (spec_dir / "waves").symlink_to(outside, target_is_directory=True)
    assert _errors(spec_path) == [
        "spec.yaml:17:13: identities.mailboxes[0].csv: 'waves/wave.csv' leaves the spec's"
        " folder through a symbolic link; a CSV file must sit in the spec's folder or below it"
    ]


def test_symlink_inside_the_folder_is_fine(tmp_path: Path) -> None:
    spec_path = _write(
        tmp_path,
        HEAD + "identities:\n  mailboxes:\n    - {csv: current.csv}\n",
        real_csv="SourceEmail,TargetEmail\na@contoso.com,a@fabrikam.com\n",
    )
    (tmp_path / "current.csv").symlink_to(tmp_path / "real.csv")
    assert [m.target for m in load_spec(spec_path, check_git=False).mailboxes] == ["a@fabrikam.com"]


def test_unreadable_spec_paths(tmp_path: Path) -> None:
    assert _errors(tmp_path / "missing.yaml") == [
        "missing.yaml:1:1: cannot read the spec: no such file"
    ]
    (tmp_path / "dir.yaml").mkdir()
    assert _errors(tmp_path / "dir.yaml") == [
        "dir.yaml:1:1: cannot read the spec: it is a folder, not a file"
    ]


def _git(cwd: Path, *args: str) -> None:
    git = shutil.which("git")
    assert git is not None, "these tests need git on PATH"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run([git, *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_credential_file_tracked_by_git_is_an_error(tmp_path: Path) -> None:
    spec_path = _write(tmp_path, HEAD)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "source.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "spec.yaml")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "spec")
    load_spec(spec_path)  # committed spec, untracked key: fine

    _git(tmp_path, "add", "keys/source.pem")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "oops")
    assert _errors(spec_path, check_git=True) == [
        "spec.yaml:6:71: source.auth.certificate: file:keys/source.pem is tracked by git; a"
        " credential file must not be in the repository (git rm --cached it, keep it outside"
        " the repository, and replace the credential)"
    ]
    load_spec(spec_path, check_git=False)  # the check can be turned off


def test_credential_outside_any_repository_is_not_tracked(tmp_path: Path) -> None:
    spec_path = _write(tmp_path, HEAD)  # tmp_path is no git repository
    assert load_spec(spec_path, check_git=True).source.auth.certificate is not None


# -- never a traceback ---------------------------------------------------------------


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_arbitrary_bytes_never_raise_anything_but_spec_invalid(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)
    with pytest.raises(SpecInvalid) as caught:
        load_spec(path, check_git=False)
    assert caught.value.errors


_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_mutated_example_never_raises_anything_but_spec_invalid(
    tmp_path: Path, data: st.DataObject
) -> None:
    doc = yaml.safe_load(MERGER.read_text(encoding="utf-8"))
    target = data.draw(st.sampled_from(_paths(doc)[1:]))
    parent = doc
    for key in target[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        parent[target[-1]] = data.draw(_junk)
    elif isinstance(parent, dict):
        del parent[target[-1]]
    else:
        parent.pop(target[-1])
    shutil.copytree(MERGER.parent / "waves", tmp_path / "waves", dirs_exist_ok=True)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    try:
        result = load_spec(path, check_git=False)
    except SpecInvalid as exc:
        assert exc.errors
        assert all(e.line >= 1 and e.col >= 1 for e in exc.errors)
    else:
        assert isinstance(result, Desired)


# -- CSV cells -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "cells", "open_quote"),
    [
        ("a,b", [("a", 1), ("b", 3)], 0),
        ("  a , b", [("a", 3), ("b", 7)], 0),
        ('"a,b",c', [("a,b", 1), ("c", 7)], 0),
        ('"say ""hi""",x', [('say "hi"', 1), ("x", 14)], 0),
        ('x,"open', [("x", 1)], 3),
    ],
)
def test_split_cells_reports_columns(
    line: str, cells: list[tuple[str, int]], open_quote: int
) -> None:
    assert split_cells(line) == (cells, open_quote)
