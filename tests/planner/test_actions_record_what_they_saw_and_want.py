"""What an action carries beside its parameters: what it saw (`observed`), the reviewed desire
the executor re-plans from (`desired`) and its one-line `summary`.

plan.json leaves these out (tests/planner/cases.py `ACTION_FIELDS`), but `t2t plan --format
json` and a saved plan show them, the PowerShell rendering prints the summary, and apply reads
the desire back (`<Desire>.from_dict(action.desired)` in each executor): a desire that does
not read back into what was planned would make apply act on something else.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from t2t.planner.consent import CONSENT
from t2t.planner.context import PlanContext
from t2t.planner.domain import DomainOutcome, plan_domain
from t2t.planner.invitation import InvitationDesire
from t2t.planner.organization import ORGANIZATION
from t2t.planner.shared.app import EXCHANGE_APP_ID, AppDesire
from t2t.planner.shared.consent import ConsentDesire, consent_state
from t2t.spec import load_spec
from t2t.state import Fact, OrganizationConfig, Snapshot, TenantState
from t2t.state.directory import ServicePrincipal
from tests.planner.cases import Case
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
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
