"""What an action carries beside its parameters: what it saw (`observed`), the reviewed desire
the executor re-plans from (`desired`) and its one-line `summary`.

plan.json leaves these out (tests/planner/cases.py `ACTION_FIELDS`), but `t2t plan --format
json` and a saved plan show them, the PowerShell rendering prints the summary, and apply reads
the desire back (`<Desire>.from_dict(action.desired)` in each executor): a desire that does
not read back into what was planned would make apply act on something else.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from t2t.planner.consent import CONSENT
from t2t.planner.context import PlanContext
from t2t.planner.domain import DomainOutcome, plan_domain
from t2t.planner.invitation import InvitationDesire
from t2t.planner.organization import ORGANIZATION
from t2t.planner.relationships import SideDesire, plan_side, relationships_fingerprint
from t2t.planner.shared.app import EXCHANGE_APP_ID, AppDesire
from t2t.planner.shared.consent import ConsentDesire, consent_state
from t2t.probes import parse_relationship
from t2t.spec import load_spec
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState
from t2t.state.directory import ServicePrincipal
from tests.planner.cases import Case
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
HARNESS = Path(__file__).parent / "relationships"
SPEC = load_spec(ROOT / "specs" / "contoso-to-fabrikam.yaml")


def _dehydrated(role: str, name: str) -> TenantState:
    org = OrganizationConfig(name=name, is_dehydrated=True)
    return whole_tenant(role, organization=Fact.present(org))


def test_organization_customization_records_the_dehydrated_tenant_it_saw() -> None:
    snapshot = Snapshot(_dehydrated("source", "Contoso Ltd"), _dehydrated("target", "Fabrikam"))
    actions = plan_domain(ORGANIZATION, PlanContext(SPEC, snapshot)).actions
    assert [(a.tenant, a.observed, a.desired, a.summary) for a in actions] == [
        (
            "source",
            {"Name": "Contoso Ltd", "IsDehydrated": True},
            {"is_dehydrated": False},
            "enable organization customization in the source tenant (it is dehydrated)",
        ),
        (
            "target",
            {"Name": "Fabrikam", "IsDehydrated": True},
            {"is_dehydrated": False},
            "enable organization customization in the target tenant (it is dehydrated)",
        ),
    ]


def test_invitation_carries_the_app_it_names_for_apply() -> None:
    """The appId when the app exists; none (resolved at apply by t2t's uniqueName marker)
    when this plan registers the app."""
    known = Case(CASES / "invitation" / "invitation-sent-once").outcome().actions
    later = Case(CASES / "invitation" / "invitation-for-an-app-this-plan-registers-waits-for-it")
    registered = later.outcome().actions
    for action in (*known, *registered):
        assert InvitationDesire.from_dict(action.desired).to_dict() == action.desired
        assert action.observed is None
        assert action.summary == "invite admin@contoso.com (B2B guest) with the admin-consent link"
    (sent,) = known
    desire = InvitationDesire.from_dict(sent.desired)
    assert (desire.address, desire.source_domain) == (
        "admin@contoso.com",
        "contoso.onmicrosoft.com",
    )
    assert desire.app_id == desire.app.app_id == "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
    (waiting,) = registered
    desire = InvitationDesire.from_dict(waiting.desired)
    assert desire.app_id is None
    assert desire.app.display_name == "T2T mailbox migration"
    assert desire.app.unique_name


# -- consent (t2t/planner/shared/consent.py) -------------------------------------------------

APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
TARGET_TENANT = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
CONSENT_URL = (
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent"
    f"?client_id={APP_ID}&redirect_uri=https://office.com"
)


def _consent(case: str, snapshot: Snapshot | None = None) -> DomainOutcome:
    c = Case(CASES / "consent" / case)
    return plan_domain(CONSENT, PlanContext(c.spec(), snapshot or c.snapshot()))


def test_consent_actions_carry_their_desire_and_the_service_principal_they_saw() -> None:
    none = _consent("consent-none-both-sides")
    sp_alone = _consent("consent-sp-alone-is-not-consent")
    gate = _consent("consent-source-manual-gate")
    for action in (*none.actions, *sp_alone.actions, *gate.actions):
        desire = ConsentDesire.from_dict(action.desired)
        assert desire.to_dict() == action.desired
        assert (desire.role, desire.owner_tenant_id, desire.source_domain) == (
            action.tenant,
            TARGET_TENANT,
            "contoso.onmicrosoft.com",
        )
        assert desire.app.app_id == APP_ID
    assert [(a.tenant, a.observed, a.summary) for a in none.actions] == [
        (
            "target",
            {"servicePrincipal": None},
            "consent to the migration app in the target tenant (Mailbox.Migration)",
        ),
        (
            "source",
            {"servicePrincipal": None},
            "consent to the migration app in the source tenant (Mailbox.Migration)",
        ),
    ]
    assert [(a.tenant, a.observed) for a in sp_alone.actions] == [
        ("target", {"servicePrincipal": "sp-t"})
    ]
    assert [(a.kind, a.summary) for a in gate.actions if a.tenant == "source"] == [
        (
            "consent.await",
            f"wait for the source admin to consent to the migration app: {CONSENT_URL}",
        )
    ]


def test_missing_consent_says_whether_the_service_principal_exists() -> None:
    none = _consent("consent-none-both-sides").findings
    sp_alone = _consent("consent-sp-alone-is-not-consent").findings
    assert [(f.code, f.tenant, f.message) for f in (*none, *sp_alone)] == [
        ("T2T-E211", "target", "the app has no service principal here (nor consent)"),
        ("T2T-E211", "source", "the app has no service principal here (nor consent)"),
        ("T2T-E211", "target", "no Mailbox.Migration assignment for the app's service principal"),
    ]


def test_consent_fingerprint_changes_when_the_service_principal_is_recreated() -> None:
    """A saved plan is stale (t2t/apply/saved.py) once the app's service principal it saw
    is gone or replaced."""
    case = Case(CASES / "consent" / "consent-sp-alone-is-not-consent")
    snapshot = case.snapshot()
    sps = snapshot.target.service_principals.get()
    recreated = tuple(replace(s, id="sp-t-new") if s.id == "sp-t" else s for s in sps)
    gone = tuple(s for s in sps if s.id != "sp-t")
    prints = [
        [a.fingerprint for a in _consent(case.path.name, replace_sps(snapshot, v)).actions]
        for v in (sps, recreated, gone)
    ]
    assert len({p[0] for p in prints}) == 3, prints


def replace_sps(snapshot: Snapshot, sps: tuple[ServicePrincipal, ...]) -> Snapshot:
    target = replace(snapshot.target, service_principals=Fact.present(sps))
    return Snapshot(snapshot.source, target)


def test_consent_state_hands_the_executor_the_exchange_service_principal() -> None:
    """The executor assigns the role on the Exchange Online service principal consent_state
    found (t2t/apply/executors/consent.py), whatever the state."""
    exo = ServicePrincipal("exo-sp", EXCHANGE_APP_ID, "EXO", None, ())
    ours = ServicePrincipal("sp-s", APP_ID, "T2T", None, ())
    desire = ConsentDesire(
        role="source",
        app=AppDesire(app_id=APP_ID, display_name=None, unique_name=None),
        owner_tenant_id=TARGET_TENANT,
        source_domain="contoso.onmicrosoft.com",
    )
    wrong = consent_state(desire, APP_ID, (exo, ours), ())
    assert (wrong.status, wrong.exchange_sp) == ("wrong-owner", exo)
    assert [f.message for f in wrong.findings] == [
        f"appOwnerOrganizationId is not set, not the target tenant {TARGET_TENANT}"
    ]
    owned = replace(ours, app_owner_organization_id=TARGET_TENANT)
    missing = consent_state(desire, APP_ID, (exo, owned), ())
    assert (missing.status, missing.app_sp, missing.exchange_sp) == ("missing", owned, exo)


# -- organization relationships (t2t/planner/relationships.py) -------------------------------

RELATIONSHIP_FINDINGS = {
    "target-disabled": [
        ("T2T-E105", "t2t", "Enabled and MailboxMoveEnabled is $false"),
    ],
    "target-duplicate-for-partner-blocks": [
        ("T2T-E106", "t2t", "2 relationships match the partner: 't2t', 'mto'"),
    ],
    "target-missing-inbound-merges": [
        ("T2T-E103", "t2t", "MailboxMoveCapability is RemoteOutbound; Inbound is needed"),
    ],
    "target-name-taken-by-a-sharing-relationship-blocks": [
        (
            "T2T-E111",
            "t2t",
            "the relationship named 't2t' serves ['11111111-2222-4333-8444-555555555555'] "
            "and has no mailbox-move setting",
        ),
    ],
    "target-outbound-conflict-blocks": [
        ("T2T-E104", "t2t", "MailboxMoveCapability is Outbound"),
    ],
    "target-wrong-tenant-id-by-name": [
        (
            "T2T-E101",
            "t2t",
            "DomainNames hold 11111111-2222-4333-8444-555555555555, not the source tenant id "
            "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20",
        ),
    ],
    "target-wrong-tenant-ids-move-enabled-without-capability-is-repointed": [
        (
            "T2T-E101",
            "t2t",
            "DomainNames hold 11111111-2222-4333-8444-555555555555, "
            "22222222-3333-4444-8555-666666666666, not the source tenant id "
            "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20",
        ),
        ("T2T-E105", "t2t", "Enabled is $false"),
        ("T2T-E103", "t2t", "MailboxMoveCapability is None; Inbound is needed"),
    ],
    "source-pointing-nowhere-dehydrated-gets-partner-app-scopes-and-capability": [
        ("T2T-E110", "Contoso Ltd", "IsDehydrated is $true"),
        (
            "T2T-E101",
            "t2t",
            "DomainNames hold nothing, not the target tenant id "
            "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60",
        ),
        (
            "T2T-E103",
            "t2t",
            "MailboxMoveCapability is Outbound, RemoteInbound; RemoteOutbound is needed",
        ),
        ("T2T-E107", "t2t", f"OAuthApplicationId is not set, not {APP_ID}"),
        ("T2T-E108", "t2t", "MailboxMovePublishedScopes lack t2tmigrationscope, finance-movers"),
    ],
}


def _relationships(case: str) -> DomainOutcome:
    return Case(CASES / "relationships" / case).outcome()


def test_relationship_findings_say_what_is_wrong() -> None:
    for case, expected in RELATIONSHIP_FINDINGS.items():
        got = [(f.code, f.object, f.message) for f in _relationships(case).findings]
        assert got == expected, case


def test_a_relationship_without_app_or_partner_says_so() -> None:
    """E109 (no appId to name) and E111 for a relationship that serves nobody, on plan_side
    (no spec resolves to a source without an appId: test_relationship_cases.py)."""
    harness = json.loads((HARNESS / "source-without-app-id-blocks.json").read_text("utf-8"))
    desire = SideDesire.from_dict(harness["desire"])
    assert [f.message for f in plan_side(desire, ()).findings] == [
        "relationship.app gives no appId, so OAuthApplicationId cannot be set"
    ]
    ours = parse_relationship(
        {
            "Identity": "t2t",
            "Name": "t2t",
            "DomainNames": [desire.partner_tenant_id],
            "Enabled": True,
            "MailboxMoveEnabled": True,
            "MailboxMoveCapability": "RemoteOutbound",
            "MailboxMovePublishedScopes": ["t2tmigrationscope"],
        }
    )
    existing = plan_side(desire, (ours,))
    assert [f.code for f in existing.findings] == ["T2T-E109"]
    assert existing.action is not None
    assert existing.action.parameters == {"Identity": "t2t"}
    assert existing.action.blocked_by == ("T2T-E109",)
    nobody = parse_relationship({"Identity": "t2t", "Name": "t2t", "DomainNames": []})
    assert [f.message for f in plan_side(desire, (nobody,)).findings][1:] == [
        "the relationship named 't2t' serves nobody and has no mailbox-move setting"
    ]


def test_relationship_actions_carry_their_desire_and_what_they_saw() -> None:
    spec_app = _relationships("source-absent-creates-with-app-and-scope").actions
    found = _relationships("source-names-the-app-found-by-display-name").actions
    registered = _relationships("relationships-wait-for-customization-app-and-group").actions
    wrong_app = _relationships("source-wrong-app").actions
    for action in (*spec_app, *found, *registered, *wrong_app):
        desire = SideDesire.from_dict(action.desired)
        assert desire.to_dict() == action.desired
        assert desire.app_id_required is (action.tenant == "source")
        verb = "create" if action.operation == "create" else "update"
        assert action.summary == (
            f"{verb} the {action.tenant} organization relationship {desire.name!r}"
        )
    sources = [
        SideDesire.from_dict(a.desired)
        for a in (*spec_app, *found, *registered)
        if a.tenant == "source"
    ]
    assert [
        (d.oauth_application_id, d.app_display_name, d.scopes, d.app_known_after_apply)
        for d in sources
    ] == [
        (APP_ID, None, ("t2tmigrationscope",), False),
        (APP_ID, None, ("t2tmigrationscope",), False),
        (None, "T2T mailbox migration", ("t2tmigrationscope",), True),
    ]
    assert [d.app_unique_name for d in sources[:2]] == [None, None]
    assert re.fullmatch(r"t2t-migration-[0-9a-f]{16}", sources[2].app_unique_name or "")
    (update,) = wrong_app
    (seen,) = (
        Case(CASES / "relationships" / "source-wrong-app").snapshot().source.relationships.get()
    )
    assert (update.observed, spec_app[0].observed) == (seen.as_dict(), None)


def test_only_a_capability_change_carries_the_wire_guess() -> None:
    """MailboxMoveCapability's wire encoding is unconfirmed (WIRE-1, t2t/clients/wire.py): an
    update is marked unverified exactly when it sends it."""
    (adds,) = _relationships("target-missing-inbound-merges").actions
    (enables,) = _relationships("target-disabled").actions
    assert "MailboxMoveCapability" in adds.parameters
    assert "MailboxMoveCapability" not in enables.parameters
    assert (adds.unverified, enables.unverified) == (("WIRE-1",), ())


def test_relationship_fingerprint_changes_with_the_relationships_seen() -> None:
    one = parse_relationship({"Identity": "t2t", "Name": "t2t", "Enabled": True})
    other = parse_relationship({"Identity": "t2t", "Name": "t2t", "Enabled": False})
    assert relationships_fingerprint((one,)) != relationships_fingerprint((other,))
    assert relationships_fingerprint(()) != relationships_fingerprint((one,))
