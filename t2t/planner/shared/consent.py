"""Consent to the migration app, in both tenants (microsoft-t2t.md §3.0 steps 2–3, §3.3).

Consent = the app's service principal holds an app role assignment of Mailbox.Migration on the
Exchange Online service principal (`00000002-0000-0ff1-ce00-000000000000`); a service principal
alone is not consent. In the target t2t grants it with its own identity. In the source it does
the same when its source identity holds AppRoleAssignment.ReadWrite.All; otherwise the step is
a manual gate: the plan prints the admin-consent URL built from the declared source tenant (a
wrong tenant in it gives AADSTS errors, cross-tenant #85), and plan and apply report the step
as waiting for a person until a probe sees the assignment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change, Role
from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.planner.domain import DomainOutcome, action_id, present
from t2t.planner.shared.app import (
    EXCHANGE_APP_ID,
    KNOWN_AFTER_APPLY,
    REDIRECT_URI,
    AppDesire,
    AppResolution,
)
from t2t.state import Snapshot, fingerprint
from t2t.state.directory import AppRoleAssignment, ServicePrincipal

if TYPE_CHECKING:
    from t2t.spec import Desired

#: What t2t's source identity needs to consent by itself (create the service principal of
#: another tenant's app, then assign it the role).
GRANT_ROLES = ("graph:AppRoleAssignment.ReadWrite.All", "graph:Application.ReadWrite.All")

register(
    CheckDef(
        "T2T-E211",
        "app-not-consented",
        "error",
        "The migration app is not consented in this tenant (no Mailbox.Migration assignment "
        "for its service principal on Exchange Online)",
        {
            "target": "the move cannot authenticate as the app (VerifySetup.ps1: 'not consented')",
            "source": "New-MigrationEndpoint refused (source consent missing); "
            "MigrationServerConnectionFailedException … MRSRemotePermanentException",
        },
        "t2t creates the app's service principal and assigns it Mailbox.Migration "
        "(POST /servicePrincipals, POST …/appRoleAssignedTo).",
        "microsoft-t2t.md §3.3, §10.1",
    ),
    CheckDef(
        "T2T-W212",
        "source-consent-waits-for-admin",
        "warning",
        "Source consent waits for a person: t2t's source identity cannot grant it",
        "New-MigrationEndpoint refused until the source has consented (LEARN-24)",
        "A Global Administrator of the source opens the admin-consent URL in the message and "
        "accepts; then run t2t plan/apply again (or grant t2t's source identity "
        "AppRoleAssignment.ReadWrite.All and Application.ReadWrite.All).",
        "microsoft-t2t.md §3.3",
    ),
    CheckDef(
        "T2T-E213",
        "source-service-principal-wrong-owner",
        "error",
        "The source's service principal for the appId is not owned by the target tenant",
        "MigrationServerConnectionFailedException (the source trusts another app)",
        "Remove that service principal from the source by hand (t2t never deletes what it "
        "did not create) and consent again with the URL from the plan.",
        "microsoft-t2t.md §3.0 step 3, §10.1, §10.2 org check 3",
    ),
    scope="organization",
)


def consent_url(source_domain: str, app_id: str | None) -> str:
    """The admin-consent URL, built from the declared source tenant (§3.3)."""
    return (
        f"https://login.microsoftonline.com/{source_domain}/adminconsent"
        f"?client_id={app_id or KNOWN_AFTER_APPLY}&redirect_uri={REDIRECT_URI}"
    )


@dataclass(frozen=True)
class ConsentDesire:
    role: Role
    app: AppDesire
    owner_tenant_id: str  # the target tenant (appOwnerOrganizationId)
    source_domain: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsentDesire:
        return cls(
            role=data["role"],
            app=AppDesire.from_dict(data["app"]),
            owner_tenant_id=data["owner_tenant_id"],
            source_domain=data["source_domain"],
        )


@dataclass
class ConsentState:
    status: Literal["granted", "missing", "wrong-owner"]
    app_sp: ServicePrincipal | None = None
    exchange_sp: ServicePrincipal | None = None
    findings: list[Finding] = field(default_factory=list)


def consent_state(
    desire: ConsentDesire,
    app_id: str | None,
    sps: tuple[ServicePrincipal, ...],
    assignments: tuple[AppRoleAssignment, ...],
) -> ConsentState:
    """Pure: is the app consented in this tenant? Used by plan and by the executor."""
    exo = next((s for s in sps if s.app_id == EXCHANGE_APP_ID), None)
    sp = next((s for s in sps if app_id and s.app_id == app_id.lower()), None)
    if (
        sp is not None
        and desire.role == "source"
        and (sp.app_owner_organization_id or "").lower() != desire.owner_tenant_id.lower()
    ):
        return ConsentState(
            "wrong-owner",
            sp,
            exo,
            [
                finding(
                    "T2T-E213",
                    "source",
                    f"{sp.display_name} ({sp.id})",
                    f"appOwnerOrganizationId is {sp.app_owner_organization_id or 'not set'}, "
                    f"not the target tenant {desire.owner_tenant_id}",
                    fixed_by_plan=False,
                )
            ],
        )
    granted = (
        sp is not None
        and exo is not None
        and any(
            a.principal_id == sp.id
            and a.resource_id == exo.id
            and a.app_role_id == desire.app.role_id
            for a in assignments
        )
    )
    return ConsentState("granted" if granted else "missing", sp, exo)


def _source_can_grant(snapshot: Snapshot) -> bool:
    """t2t's source identity may consent by itself (in the target it registers the app, and
    W120 says if it lacks a right)."""
    held = present(snapshot.source.identity_roles)
    return all(r in held for r in GRANT_ROLES)


def consent_action_id(role: Role, key: str, *, manual: bool = False) -> str:
    return action_id(role, K.CONSENT_AWAIT.name if manual else K.CONSENT_GRANT.name, key)


def plan_consent(desired: Desired, snapshot: Snapshot, app: AppResolution) -> DomainOutcome:
    """Consent in both tenants: computed once per plan (`PlanContext.consent`), planned by
    the consent domain and waited on by the endpoint."""
    out = DomainOutcome()
    key = app.desire.display_name or app.desire.app_id or ""
    target_action: str | None = None
    for role in ("target", "source"):
        desire = ConsentDesire(
            role=role,
            app=app.desire,
            owner_tenant_id=desired.target.tenant_id,
            source_domain=desired.source.domain,
        )
        tenant = snapshot.tenant(role)
        if app.app_id is not None:
            state = consent_state(
                desire,
                app.app_id,
                present(tenant.service_principals),
                present(tenant.app_role_assignments),
            )
            fp = fingerprint(
                {
                    "sp": state.app_sp.id if state.app_sp else None,
                    "owner": state.app_sp.app_owner_organization_id if state.app_sp else None,
                    "granted": state.status == "granted",
                }
            )
        else:
            state = ConsentState("missing")  # the app is registered by this plan
            fp = fingerprint(None)
        out.findings.extend(state.findings)
        if state.status == "granted":
            continue
        blocked = list(app.blocked_by)
        if state.status == "wrong-owner":
            blocked.append("T2T-E213")
        url = consent_url(desired.source.domain, app.app_id)
        manual = role == "source" and not _source_can_grant(snapshot)
        if state.status == "missing":
            if manual:
                out.findings.append(
                    finding(
                        "T2T-W212",
                        role,
                        key,
                        f"open {url} as a Global Administrator of {desired.source.domain}",
                        fixed_by_plan=False,
                    )
                )
                blocked.append("T2T-W212")
            else:
                out.findings.append(
                    finding(
                        "T2T-E211",
                        role,
                        key,
                        "no Mailbox.Migration assignment for the app's service principal"
                        if state.app_sp is not None
                        else "the app has no service principal here (nor consent)",
                        fixed_by_plan=True,
                    )
                )
        depends = [*app.depends_on]
        if role == "source" and target_action:
            depends.append(target_action)
        params: dict[str, Any] = {
            "appId": app.shown_id,
            "resourceAppId": EXCHANGE_APP_ID,
            "appRoleId": app.desire.role_id,
        }
        changes = [
            Change(field="servicePrincipal", after=f"for appId {app.shown_id}")
            if state.app_sp is None
            else None,
            Change(field="appRoleAssignment", after="Mailbox.Migration on Exchange Online"),
        ]
        if manual:
            params = {"url": url}
        action = Action(
            id=consent_action_id(role, key, manual=manual),
            tenant=role,
            kind=K.CONSENT_AWAIT.name if manual else K.CONSENT_GRANT.name,
            key=key,
            operation="run" if manual else "create",
            cmdlet="admin consent by a person (open the URL)"
            if manual
            else "Graph POST /servicePrincipals/{exchange}/appRoleAssignedTo",
            parameters=params,
            changes=tuple(c for c in changes if c is not None)
            if not manual
            else (Change(field="adminConsentUrl", after=url),),
            desired=desire.to_dict(),
            observed={"servicePrincipal": state.app_sp.id if state.app_sp else None},
            fingerprint=fp,
            depends_on=tuple(depends),
            summary=(
                f"wait for the {role} admin to consent to the migration app: {url}"
                if manual
                else f"consent to the migration app in the {role} tenant (Mailbox.Migration)"
            ),
            blocked_by=tuple(dict.fromkeys(blocked)),
        )
        out.actions.append(action)
        if role == "target":
            target_action = action.id
    return out
