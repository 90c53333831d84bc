"""The migration app (target), as every domain needs it: adopted by appId, or registered by
t2t under a stable marker; resolved once per plan (`PlanContext.app`).

What the app must be (microsoft-t2t.md §3.1): multi-tenant (`AzureADMultipleOrgs`), reply URL
`https://office.com` (Microsoft's validation script finds the app by it), and exactly one
permission, Exchange `Mailbox.Migration` (Role). No Graph permission: admin consent in the
source grants everything in requiredResourceAccess *inside the source*, so the scripts' old
`Directory.ReadWrite.All` handed the target write access to the source directory.

Registering by displayName is idempotent by Graph's `uniqueName` alternate key: t2t upserts
`PATCH /applications(uniqueName='…')` with `Prefer: create-if-missing` (application-upsert),
so a crash between the create and anything after it can never make a second app — the
scripts registered a second app on every rerun without `-ExistingApplicationId` (§3.1).
The role id of Mailbox.Migration is resolved from the Exchange Online service principal's
appRoles, as Microsoft's scripts do, and cross-checked with the published constant (§2).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.planner.domain import action_id, present
from t2t.state import Snapshot, fingerprint
from t2t.state.directory import Application, ResourceAccess

if TYPE_CHECKING:
    from t2t.spec import Desired

EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
#: Mailbox.Migration: third-party only (two independent copies agree, microsoft-t2t.md §2).
MAILBOX_MIGRATION_ROLE_ID = "f7264778-fba9-422d-8e9e-2675a2c4b513"
MULTI_TENANT = "AzureADMultipleOrgs"
REDIRECT_URI = "https://office.com"
#: Shown wherever a value only exists once apply has run (Terraform's wording).
KNOWN_AFTER_APPLY = "(known after apply)"


_NOT_CONSENTED = (
    "MigrationServerConnectionFailedException / New-MigrationEndpoint refused: the app is "
    "not consented (VerifySetup.ps1: 'not consented')"
)

register(
    CheckDef(
        "T2T-E201",
        "app-not-found",
        "error",
        "No application with the spec's appId is registered in the target tenant",
        _NOT_CONSENTED,
        "Give the appId of the app registered in the target (Entra ID → App registrations), "
        "or write relationship.app.displayName so t2t registers one.",
        "microsoft-t2t.md §3.0 step 1, §3.1",
    ),
    CheckDef(
        "T2T-E202",
        "app-not-multi-tenant",
        "error",
        "The migration app is not multi-tenant (signInAudience is not AzureADMultipleOrgs)",
        "AADSTS700016 at source consent; the source cannot create a service principal for a "
        "single-tenant app",
        "Set 'Supported account types' to 'Accounts in any organizational directory' "
        "(signInAudience AzureADMultipleOrgs); t2t does it for an app it registered.",
        "microsoft-t2t.md §3.1",
    ),
    CheckDef(
        "T2T-E203",
        "app-redirect-uri-missing",
        "error",
        "The migration app lacks the reply URL https://office.com",
        "AADSTS50011 at the admin-consent URL (redirect_uri=https://office.com); Microsoft's "
        "validation script does not find the app",
        "Add https://office.com to the app's Web redirect URIs; t2t does it for an app it "
        "registered.",
        "microsoft-t2t.md §3.1, §10.2 org check 1",
    ),
    CheckDef(
        "T2T-E204",
        "app-mailbox-migration-missing",
        "error",
        "The migration app's requiredResourceAccess lacks Exchange Mailbox.Migration (Role)",
        _NOT_CONSENTED,
        "Add the application permission Office 365 Exchange Online → Mailbox.Migration; t2t "
        "does it for an app it registered.",
        "microsoft-t2t.md §3.0 step 1, §3.1",
    ),
    CheckDef(
        "T2T-E205",
        "app-extra-application-permissions",
        "error",
        "The migration app asks for application permissions beyond Mailbox.Migration (the "
        "source admin's consent grants them inside the source, app-only)",
        "no Microsoft error: the source's admin consent silently hands whoever holds the "
        "app's credential — the target tenant — those rights in the source directory (the "
        "scripts' Directory.ReadWrite.All)",
        "Remove every application permission but Exchange Mailbox.Migration from the app "
        "(the optional invitation is sent by t2t's own target identity, not by this app); t2t "
        "does it for an app it registered. Consent and the endpoint wait until then.",
        "t2t policy on Microsoft's statements: Learn, Cross-tenant mailbox migration, step 10 "
        "(only Mailbox.Migration is required); Entra 'Grant tenant-wide admin consent to an "
        "application' (consent gives the app's publisher access to the organization's data); "
        "DESIGN.md 'The spec'",
    ),
    CheckDef(
        "T2T-W208",
        "app-extra-delegated-permissions",
        "warning",
        "The migration app also asks for delegated permissions (by default User.Read), which "
        "mailbox migration does not need",
        "nothing fails: Microsoft says they 'aren't required for mailbox migrations. You can "
        "remove those permissions.'; the source admin's consent grants them too",
        "Remove them from the app's API permissions if you like (Learn step 10); t2t does it "
        "for an app it registered.",
        "Learn, Cross-tenant mailbox migration, Prepare the target tenant, step 10",
    ),
    CheckDef(
        "T2T-W206",
        "mailbox-migration-role-id",
        "warning",
        "The Mailbox.Migration role id could not be confirmed from Exchange Online's service "
        "principal",
        "'Permission being assigned was not found on application' at consent",
        "Check the appRoles of the Office 365 Exchange Online service principal "
        f"({EXCHANGE_APP_ID}) in the target; t2t uses the role id it resolved there, else "
        f"the published {MAILBOX_MIGRATION_ROLE_ID}.",
        "microsoft-t2t.md §2",
    ),
    CheckDef(
        "T2T-W207",
        "app-display-name-taken",
        "warning",
        "Apps not registered by t2t already carry the spec's displayName; t2t registers its "
        "own (found again by its uniqueName marker, never a second time)",
        "two apps of one name: consent or OAuthApplicationId given to the wrong one",
        "To use an existing app instead, write its appId as relationship.app.appId (t2t then "
        "adopts and checks it); otherwise rename or remove the other app.",
        "microsoft-t2t.md §3.1",
    ),
    scope="organization",
)


def unique_name_for(target_tenant_id: str, display_name: str) -> str:
    """t2t's marker for the app it registers: stable per target tenant and display name."""
    digest = hashlib.sha256(f"{target_tenant_id.lower()}|{display_name.lower()}".encode())
    return f"t2t-migration-{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class AppDesire:
    """The app the spec names; carried in the action so the executor can plan it again."""

    app_id: str | None
    display_name: str | None
    unique_name: str | None
    role_id: str = MAILBOX_MIGRATION_ROLE_ID

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppDesire:
        return cls(
            app_id=data.get("app_id"),
            display_name=data.get("display_name"),
            unique_name=data.get("unique_name"),
            role_id=data.get("role_id") or MAILBOX_MIGRATION_ROLE_ID,
        )


@dataclass
class AppOutcome:
    action: Action | None
    app: Application | None
    findings: list[Finding] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def app_desire(desired: Desired, role_id: str = MAILBOX_MIGRATION_ROLE_ID) -> AppDesire:
    app = desired.relationship.app
    unique = (
        unique_name_for(desired.target.tenant_id, app.display_name)
        if app.display_name and not app.app_id
        else None
    )
    return AppDesire(
        app_id=app.app_id.lower() if app.app_id else None,
        display_name=app.display_name,
        unique_name=unique,
        role_id=role_id,
    )


def wanted_access(role_id: str) -> list[dict[str, Any]]:
    return [
        {
            "resourceAppId": EXCHANGE_APP_ID,
            "resourceAccess": [{"id": role_id, "type": "Role"}],
        }
    ]


def _has_redirect(app: Application) -> bool:
    return any(u.rstrip("/").lower() == REDIRECT_URI for u in app.redirect_uris)


def _is_wanted(r: ResourceAccess, role_id: str) -> bool:
    return r.resource_app_id == EXCHANGE_APP_ID and r.permission_id == role_id and r.type == "Role"


def split_extra(
    extra: list[ResourceAccess],
) -> tuple[list[ResourceAccess], list[ResourceAccess]]:
    """The app's permissions beyond Mailbox.Migration: (application, delegated).

    Application permissions block an adopted app (T2T-E205): Microsoft requires none but
    Mailbox.Migration (Learn, Cross-tenant mailbox migration, "Prepare the target
    (destination) tenant…", https://learn.microsoft.com/microsoft-365/enterprise/
    cross-tenant-mailbox-migration, steps 11–14), and the source admin's consent grants what
    the app asks for inside the source — "Granting admin consent on behalf of an
    organization is a sensitive operation, potentially allowing the application's publisher
    access to significant portions of your organization's data" (Learn, Entra, "Grant
    tenant-wide admin consent to an application",
    https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent) — so an
    application permission there is app-only access to the source for whoever holds the
    app's credential, the target tenant. A t2t policy resting on those statements, not a
    failure Microsoft raises.

    Delegated permissions only warn (T2T-W208): the registration's default User.Read is
    one, and Microsoft says of it (step 10) "these permissions aren't required for mailbox
    migrations. You can remove those permissions." — optional, so t2t does not block on it.
    """
    application = [r for r in extra if r.type == "Role"]
    return application, [r for r in extra if r.type != "Role"]


def _describe(r: ResourceAccess) -> str:
    resource = {GRAPH_APP_ID: "Graph", EXCHANGE_APP_ID: "Exchange"}.get(
        r.resource_app_id, r.resource_app_id
    )
    return f"{resource} {r.permission_id} ({r.type})"


def app_fingerprint(apps: tuple[Application, ...]) -> str:
    return fingerprint(
        sorted(
            (
                {
                    "appId": a.app_id,
                    "uniqueName": a.unique_name,
                    "displayName": a.display_name,
                    "signInAudience": a.sign_in_audience,
                    "redirectUris": sorted(u.lower() for u in a.redirect_uris),
                    "requiredResourceAccess": sorted(
                        f"{r.resource_app_id}/{r.permission_id}/{r.type}"
                        for r in a.required_resource_access
                    ),
                }
                for a in apps
            ),
            key=lambda d: str(d["appId"]),
        )
    )


def plan_app(desire: AppDesire, apps: tuple[Application, ...]) -> AppOutcome:
    """Find the spec's app among the target's apps and diff it. Pure: plan and apply alike."""
    fp = app_fingerprint(apps)
    app: Application | None
    owned = False
    if desire.app_id:
        app = next((a for a in apps if a.app_id == desire.app_id), None)
        if app is None:
            out = AppOutcome(action=None, app=None, blocked=["T2T-E201"])
            out.findings.append(
                finding(
                    "T2T-E201",
                    "target",
                    desire.app_id,
                    f"no application with appId {desire.app_id} in the target",
                    fixed_by_plan=False,
                )
            )
            return out
    else:
        # displayName: t2t registers and owns the app, found again by its marker only. A
        # same-named app made by hand or by the scripts is not adopted silently.
        mine = [
            a
            for a in apps
            if desire.unique_name
            and a.unique_name is not None
            and a.unique_name.lower() == desire.unique_name.lower()
        ]
        if not mine:
            out = AppOutcome(action=_create(desire, fp), app=None)
            name = (desire.display_name or "").lower()
            others = [a for a in apps if a.display_name.lower() == name]
            if others:
                ids = ", ".join(a.app_id for a in others)
                out.findings.append(
                    finding(
                        "T2T-W207",
                        "target",
                        desire.display_name or "",
                        f"{len(others)} app(s) of that name not registered by t2t: {ids}",
                        fixed_by_plan=False,
                    )
                )
            return out
        app, owned = mine[0], True

    out = AppOutcome(action=None, app=app)
    obj = f"{app.display_name} ({app.app_id})"
    body: dict[str, Any] = {}
    changes: list[Change] = []

    def flag(code: str, message: str) -> None:
        out.findings.append(finding(code, "target", obj, message, fixed_by_plan=owned))
        if not owned:
            out.blocked.append(code)

    if app.sign_in_audience != MULTI_TENANT:
        flag("T2T-E202", f"signInAudience is {app.sign_in_audience or 'not set'}")
        body["signInAudience"] = MULTI_TENANT
        changes.append(
            Change(field="signInAudience", before=app.sign_in_audience, after=MULTI_TENANT)
        )
    if not _has_redirect(app):
        flag("T2T-E203", f"web.redirectUris are {list(app.redirect_uris) or 'empty'}")
        uris = [*app.redirect_uris, REDIRECT_URI]
        body["web"] = {"redirectUris": uris}
        changes.append(Change(field="web.redirectUris", before=list(app.redirect_uris), after=uris))
    access = app.required_resource_access
    missing = not any(_is_wanted(r, desire.role_id) for r in access)
    extra = [r for r in access if not _is_wanted(r, desire.role_id)]
    application, delegated = split_extra(extra)
    if missing:
        flag("T2T-E204", "Exchange Mailbox.Migration (Role) is not requested")
    if application:
        flag("T2T-E205", "also asks for " + ", ".join(_describe(r) for r in application))
    if delegated:  # a warning: never blocks, fixed only for an app t2t registered
        message = "also asks for " + ", ".join(_describe(r) for r in delegated)
        out.findings.append(finding("T2T-W208", "target", obj, message, fixed_by_plan=owned))
    if missing or extra:
        body["requiredResourceAccess"] = wanted_access(desire.role_id)
        changes.append(
            Change(
                field="requiredResourceAccess",
                before=[_describe(r) for r in access],
                after=[f"Exchange {desire.role_id} (Role) = Mailbox.Migration"],
            )
        )
    if owned and body:
        out.action = Action(
            id=action_id("target", K.APP_UPDATE.name, desire.display_name or app.app_id),
            tenant="target",
            kind=K.APP_UPDATE.name,
            key=desire.display_name or app.app_id,
            operation="update",
            cmdlet=f"Graph PATCH /applications/{app.object_id}",
            parameters=body,
            changes=tuple(changes),
            desired=desire.to_dict(),
            observed={"appId": app.app_id, "objectId": app.object_id},
            fingerprint=fp,
            summary=f"fix the migration app {app.display_name!r} t2t registered",
        )
    return out


def _create(desire: AppDesire, fp: str) -> Action:
    name = desire.display_name or ""
    params: dict[str, Any] = {
        "uniqueName": desire.unique_name,
        "displayName": name,
        "signInAudience": MULTI_TENANT,
        "web": {"redirectUris": [REDIRECT_URI]},
        "requiredResourceAccess": wanted_access(desire.role_id),
    }
    return Action(
        id=action_id("target", K.APP_CREATE.name, name),
        tenant="target",
        kind=K.APP_CREATE.name,
        key=name,
        operation="create",
        cmdlet=f"Graph PATCH /applications(uniqueName='{desire.unique_name}') "
        "Prefer: create-if-missing",
        parameters=params,
        changes=(
            Change(field="displayName", after=name),
            Change(field="uniqueName", after=desire.unique_name),
            Change(field="signInAudience", after=MULTI_TENANT),
            Change(field="web.redirectUris", after=[REDIRECT_URI]),
            Change(
                field="requiredResourceAccess",
                after=[f"Exchange {desire.role_id} (Role) = Mailbox.Migration"],
            ),
            Change(field="appId", after=KNOWN_AFTER_APPLY),
        ),
        desired=desire.to_dict(),
        observed=None,
        fingerprint=fp,
        summary=f"register the migration app {name!r} in the target (multi-tenant, "
        "Exchange Mailbox.Migration only)",
    )


def mailbox_migration_role(snapshot: Snapshot) -> tuple[str, list[Finding]]:
    """The role id from the target's Exchange Online service principal, cross-checked (the
    APP resolution names the service principals: no domain using it runs while they are
    unknown)."""
    sps = present(snapshot.target.service_principals)
    exo = next((s for s in sps if s.app_id == EXCHANGE_APP_ID), None)
    resolved = exo.role_id("Mailbox.Migration") if exo is not None else None
    if resolved is None:
        why = "has no Mailbox.Migration app role" if exo else "was not found"
        return MAILBOX_MIGRATION_ROLE_ID, [
            finding(
                "T2T-W206",
                "target",
                "Office 365 Exchange Online",
                f"the service principal {why}; using {MAILBOX_MIGRATION_ROLE_ID}",
                fixed_by_plan=False,
            )
        ]
    if resolved != MAILBOX_MIGRATION_ROLE_ID:
        return resolved, [
            finding(
                "T2T-W206",
                "target",
                "Office 365 Exchange Online",
                f"Mailbox.Migration is {resolved} there, not the published "
                f"{MAILBOX_MIGRATION_ROLE_ID}; using {resolved}",
                fixed_by_plan=False,
            )
        ]
    return resolved, []


@dataclass(frozen=True)
class AppResolution:
    """What the other domains need to know about the app, at plan time."""

    desire: AppDesire
    app_id: str | None  # known now
    action_id: str | None  # app.create / app.update in this plan: wait for it
    blocked_by: tuple[str, ...]  # the app is unusable as it is

    @property
    def shown_id(self) -> str:
        return self.app_id or KNOWN_AFTER_APPLY

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (self.action_id,) if self.action_id else ()


def resolve_app(desired: Desired, snapshot: Snapshot) -> tuple[AppResolution, AppOutcome]:
    """The app as the other domains see it, from the target's applications (which the domains
    using it declare: `plan_domain` runs none of them while those are unknown)."""
    role_id, _ = mailbox_migration_role(snapshot)
    desire = app_desire(desired, role_id)
    outcome = plan_app(desire, present(snapshot.target.applications))
    app_id = outcome.app.app_id if outcome.app is not None else None
    return (
        AppResolution(
            desire=desire,
            app_id=app_id,
            action_id=outcome.action.id if outcome.action is not None else None,
            blocked_by=tuple(outcome.blocked),
        ),
        outcome,
    )
