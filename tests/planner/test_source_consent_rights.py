"""t2t grants consent in the source itself only when its source identity holds both rights
it takes (create the app's service principal, assign it the role); with either missing, the
step is a person's, with the admin-consent URL (T2T-W212)."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2t.planner import build_plan
from t2t.spec import load_spec
from t2t.state import Snapshot
from tests.planner.observed import whole_tenant

SPEC = load_spec(Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml")
ASSIGN = "graph:AppRoleAssignment.ReadWrite.All"
APPS = "graph:Application.ReadWrite.All"


@pytest.mark.parametrize(
    ("held", "kind"),
    [
        ((ASSIGN, APPS), "consent.grant"),
        ((ASSIGN,), "consent.await"),
        ((APPS,), "consent.await"),
        ((), "consent.await"),
    ],
)
def test_source_consent_is_granted_only_with_both_rights(held: tuple[str, ...], kind: str) -> None:
    snapshot = Snapshot(
        whole_tenant("source", identity_roles=held), whole_tenant("target", identity_roles=())
    )
    plan = build_plan(SPEC, snapshot)
    assert [
        a.kind for a in plan.actions if a.tenant == "source" and a.kind.startswith("consent")
    ] == [kind]
    assert ("T2T-W212" in {f.code for f in plan.findings}) == (kind == "consent.await")
