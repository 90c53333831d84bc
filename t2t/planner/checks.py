"""The pre-flight check catalogue: stable codes, each naming the Microsoft failure it prevents.

Codes never change meaning once released; `T2T-E…` are errors, `T2T-W…` warnings. A finding the
plan itself fixes does not block; one it cannot fix blocks the actions it names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]
#: What a check looks at: the organization (both tenants), a relationship, one declared
#: mailbox, or one batch.
Scope = Literal["organization", "relationship", "mailbox", "batch"]
S = TypeVar("S")


@dataclass(frozen=True)
class CheckDef:
    code: str
    slug: str
    severity: Severity
    title: str
    prevents: str | dict[str, str]  # one text, or one per tenant role
    fix: str
    source: str
    scope: Scope | None = None
    """What the check looks at, set when it is registered: an organization- or relationship-
    scope error holds every batch, a mailbox-scope one that mailbox, a batch-scope one its
    batch (batches/domain.py) — by scope, never by the code's number."""


_INBOUND = (
    "MigrationPermanentException / InboundMailboxMoveCapabilityMissingException: Your "
    "organization does not authorize 'pull' or Inbound moves from the remote organization."
)
_SOURCE_REFUSES = (
    "MigrationServerConnectionFailedException … MRSRemotePermanentException (the source tenant "
    "does not authorize the move)"
)
#: The one text that tells an administrator how to give t2t's app an Exchange role: the fix of
#: T2T-W121 and what apply adds to a 403 from Exchange (t2t/apply/runner.py).
EXCHANGE_ROLE_FIX = (
    "Give t2t's app in that tenant (source.auth.clientId / target.auth.clientId) an Exchange "
    "role: assign it the Exchange Administrator directory role (Entra admin center > Roles and "
    "administrators > Exchange Administrator > Add assignments), or put its service principal "
    "in the Organization Management role group (New-ServicePrincipal -AppId <clientId> "
    "-ObjectId <its enterprise application's object id>; Add-RoleGroupMember "
    "'Organization Management' -Member <clientId>). A new role reaches tokens within minutes."
)

CATALOGUE: dict[str, CheckDef] = {}


def register(*checks: CheckDef, scope: Scope) -> None:
    """Add a domain's checks to the catalogue, under their scope; a code is defined once, for
    good."""
    for definition in checks:
        check = replace(definition, scope=scope)
        if check.code in CATALOGUE and CATALOGUE[check.code] != check:
            raise ValueError(f"check code {check.code} defined twice")
        CATALOGUE[check.code] = check


register(
    *(
        CheckDef(
            "T2T-E101",
            "orgrel-partner-tenant-id-missing",
            "error",
            "DomainNames of the organization relationship lack the partner's tenant id",
            {"target": _INBOUND, "source": _SOURCE_REFUSES},
            "t2t sets DomainNames to the partner tenant id "
            "(Set-OrganizationRelationship -DomainNames <partner tenant id>).",
            "seed walkthrough comment 10; microsoft-t2t.md §3.5, §9",
        ),
        CheckDef(
            "T2T-W102",
            "orgrel-keyed-on-domain",
            "warning",
            "The relationship for the partner is keyed on a domain name, not its tenant id",
            _INBOUND,
            "t2t adds the partner tenant id to DomainNames and keeps the domain.",
            "microsoft-t2t.md §3.5 (tenant ID, not a domain); microsoft-365-docs #3507",
        ),
        CheckDef(
            "T2T-E103",
            "orgrel-capability-missing",
            "error",
            "MailboxMoveCapability lacks the capability this side needs "
            "(target: Inbound, source: RemoteOutbound)",
            {"target": _INBOUND, "source": _SOURCE_REFUSES},
            "t2t adds the capability and keeps the others.",
            "microsoft-t2t.md §3.5, §10.1 (VerifySetup.ps1)",
        ),
        CheckDef(
            "T2T-E104",
            "orgrel-inbound-outbound-conflict",
            "error",
            "The target relationship holds Outbound, which cannot coexist with Inbound",
            _INBOUND,
            "Remove Outbound from MailboxMoveCapability by hand if nothing relies on it "
            "(t2t never removes a capability it does not own).",
            "microsoft-t2t.md §3.5 (microsoft-365-docs #9972)",
        ),
        CheckDef(
            "T2T-E105",
            "orgrel-disabled",
            "error",
            "The relationship is disabled or has mailbox moves disabled",
            "does not have mail move enabled",
            "t2t sets Enabled and MailboxMoveEnabled to $true.",
            "microsoft-t2t.md §3.5",
        ),
        CheckDef(
            "T2T-E106",
            "orgrel-duplicate-for-partner",
            "error",
            "More than one organization relationship matches the partner tenant",
            "'does not have mail move enabled' despite a correct setup",
            "Merge the relationships by hand and remove the extra one (t2t never deletes one "
            "it did not create), then plan again.",
            "microsoft-t2t.md §3.5 (QA-5611986)",
        ),
        CheckDef(
            "T2T-E107",
            "orgrel-oauth-app-mismatch",
            "error",
            "The source relationship's OAuthApplicationId is not the migration app",
            f"{_SOURCE_REFUSES}; VerifySetup.ps1: '…is not whitelisted…'",
            "t2t sets OAuthApplicationId to the migration app's appId.",
            "microsoft-t2t.md §3.5, §10.1",
        ),
        CheckDef(
            "T2T-E108",
            "orgrel-scope-missing",
            "error",
            "The source relationship's MailboxMovePublishedScopes lack the spec's scope group",
            "MailboxNotInCrossTenantMigrationScopeException",
            "t2t adds the scope group to MailboxMovePublishedScopes and keeps the others.",
            "microsoft-t2t.md §3.5, §9",
        ),
        CheckDef(
            "T2T-E109",
            "app-id-not-known",
            "error",
            "The migration app's appId is not known, so the source relationship cannot name it",
            f"{_SOURCE_REFUSES}",
            "Give relationship.app.appId (adopt an existing registration) or "
            "relationship.app.displayName (t2t registers the app and resolves its appId at "
            "apply time).",
            "microsoft-t2t.md §3.1, §3.5",
        ),
        CheckDef(
            "T2T-E111",
            "orgrel-name-serves-another-partner",
            "error",
            "A relationship with the spec's name serves another partner and does no mailbox moves",
            "cutting off that partner's free/busy or sharing if t2t repointed it",
            "Choose another relationship.name in the spec (t2t then creates its own), or repoint "
            "that relationship by hand if it really is the migration one.",
            "review finding; microsoft-t2t.md §3.5 (relationships are also used for sharing)",
        ),
    ),
    scope="relationship",
)

register(
    *(
        CheckDef(
            "T2T-E110",
            "organization-dehydrated",
            "error",
            "The organization is dehydrated and refuses relationship changes",
            "InvalidOperationInDehydratedContextException: New-OrganizationRelationship and "
            "New-MigrationEndpoint fail until Enable-OrganizationCustomization runs",
            "t2t runs Enable-OrganizationCustomization first (org.enable_customization); that "
            "tenant's writes wait for it.",
            "microsoft-t2t.md §3.0 step 4, §3.5",
        ),
    ),
    scope="organization",
)


class Finding(BaseModel):
    """One check that fired, on one object."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    tenant: str
    object: str
    message: str
    fix: str
    prevents: str
    fixed_by_plan: bool = False

    @property
    def blocking(self) -> bool:
        return self.severity == "error" and not self.fixed_by_plan


def held_back(findings: list[Finding], tenant: str, obj: str) -> list[Finding]:
    """`findings` with those on `obj` in `tenant` that this plan's write was to fix marked as
    not fixed: that write is held (blocked by another check), so the plan fixes nothing there
    and an error among them blocks — a plan never says "fixed by this plan" of a write it
    will not send."""
    return [
        f.model_copy(update={"fixed_by_plan": False})
        if f.fixed_by_plan and f.tenant == tenant and f.object == obj
        else f
        for f in findings
    ]


def finding(code: str, tenant: str, obj: str, message: str, *, fixed_by_plan: bool) -> Finding:
    """A finding of catalogue check `code`; unknown codes are a programming error."""
    check = CATALOGUE[code]
    prevents = check.prevents
    if isinstance(prevents, dict):
        prevents = prevents.get(tenant) or "; ".join(prevents.values())
    return Finding(
        code=code,
        severity=check.severity,
        tenant=tenant,
        object=obj,
        message=message,
        fix=check.fix,
        prevents=prevents,
        fixed_by_plan=fixed_by_plan,
    )


@dataclass(frozen=True)
class ScopedCheck:
    """A check that is one function: run on every subject of its scope, it returns the
    finding's detail when the check fires, or None."""

    definition: CheckDef
    tenant: str | None
    """The tenant its findings name; None: the tenant `run_checks` is given (a check that
    looks at either tenant's subject)."""
    detect: Callable[[Any], str | None]


SCOPED: dict[Scope, list[ScopedCheck]] = {}


def check(
    definition: CheckDef, *, scope: Scope, tenant: str | None = None
) -> Callable[[Callable[[S], str | None]], Callable[[S], str | None]]:
    """Register a check function: its catalogue entry (code, prevents, fix, source) and the
    scope whose subjects it inspects. The planner runs every check of a scope through
    `run_checks`, so adding one is this function and a planner case that makes it fire."""
    register(definition, scope=scope)

    def add(detect: Callable[[S], str | None]) -> Callable[[S], str | None]:
        SCOPED.setdefault(scope, []).append(ScopedCheck(definition, tenant, detect))
        return detect

    return add


def run_checks(
    scope: Scope, subject: object, obj: str, *, tenant: str | None = None
) -> list[Finding]:
    """Every registered check of `scope` on one subject, in registration order; `tenant`
    names the subject's tenant for checks registered without one."""
    out: list[Finding] = []
    for c in SCOPED.get(scope, ()):
        detail = c.detect(subject)
        if detail is None:
            continue
        where = c.tenant or tenant
        if where is None:
            raise ValueError(f"{c.definition.code}: run_checks needs the subject's tenant")
        out.append(finding(c.definition.code, where, obj, detail, fixed_by_plan=False))
    return out
