"""Organization relationships: the desired shape per side and the smallest change to reach it.

Target: `Inbound`, DomainNames = source tenant id. Source: `RemoteOutbound`, DomainNames = target
tenant id, OAuthApplicationId = the migration app, MailboxMovePublishedScopes = the scope groups
(microsoft-t2t.md §3.5). Existing relationships are found by the partner's tenant id or domain;
values t2t does not own are merged, never dropped (the scripts append capabilities; §3.5).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change, Role
from t2t.planner.checks import Finding, finding, held_back
from t2t.planner.context import APP, HYDRATION, SCOPE, SHARING, PlanContext
from t2t.planner.domain import Domain, DomainOutcome, action_id, present
from t2t.planner.shared.app import KNOWN_AFTER_APPLY, AppResolution
from t2t.planner.shared.ownership import conflicts
from t2t.state import OrgRelationship, fingerprint
from t2t.state import parts as P

if TYPE_CHECKING:
    from t2t.spec import Desired

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

#: The wire guess (t2t/clients/wire.py) behind sending MailboxMoveCapability.
WIRE_CAPABILITY = "WIRE-1"


@dataclass(frozen=True)
class SideDesire:
    """What one tenant's relationship must hold for a cross-tenant move."""

    role: Role
    name: str
    partner_tenant_id: str
    partner_domains: tuple[str, ...]
    capability: str
    oauth_application_id: str | None = None
    scopes: tuple[str, ...] = ()
    app_id_required: bool = False
    # An app t2t registers by displayName: its appId is known after apply; the executor
    # resolves it from a fresh read of the target's applications (by t2t's uniqueName marker).
    app_display_name: str | None = None
    app_unique_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SideDesire:
        return cls(
            role=data["role"],
            name=data["name"],
            partner_tenant_id=data["partner_tenant_id"],
            partner_domains=tuple(data.get("partner_domains", ())),
            capability=data["capability"],
            oauth_application_id=data.get("oauth_application_id"),
            scopes=tuple(data.get("scopes", ())),
            app_id_required=bool(data.get("app_id_required", False)),
            app_display_name=data.get("app_display_name"),
            app_unique_name=data.get("app_unique_name"),
        )

    @property
    def app_known_after_apply(self) -> bool:
        return not self.oauth_application_id and bool(self.app_unique_name)

    @property
    def wanted_app(self) -> str | None:
        if self.oauth_application_id:
            return self.oauth_application_id
        return KNOWN_AFTER_APPLY if self.app_known_after_apply else None


@dataclass
class SideOutcome:
    """The action for one side (None when converged) and the checks that fired."""

    action: Action | None
    findings: list[Finding] = field(default_factory=list)


def relationships_fingerprint(relationships: tuple[OrgRelationship, ...]) -> str:
    return fingerprint(sorted((r.as_dict() for r in relationships), key=lambda d: d["Identity"]))


def _format_caps(caps: set[str] | frozenset[str]) -> str:
    order = ("Inbound", "Outbound", "RemoteInbound", "RemoteOutbound")
    known = [c for c in order if c in caps]
    return ", ".join(known + sorted(c for c in caps if c not in order)) or "None"


def _ci_union(existing: tuple[str, ...], wanted: tuple[str, ...]) -> list[str]:
    out = list(existing)
    seen = {v.lower() for v in existing}
    for w in wanted:
        if w.lower() not in seen:
            out.append(w)
            seen.add(w.lower())
    return out


def _matches_partner(rel: OrgRelationship, desire: SideDesire) -> bool:
    names = {d.lower() for d in rel.domain_names}
    partner = {desire.partner_tenant_id.lower(), *(d.lower() for d in desire.partner_domains)}
    return bool(names & partner)


@dataclass
class _Diff:
    """One existing relationship against the desire: what changes, and what that costs."""

    desire: SideDesire
    current: OrgRelationship
    out: SideOutcome
    blocked: list[str]
    changes: list[Change] = field(default_factory=list)
    removes: bool = False
    """A change drops a value someone may rely on: the action is disruptive."""

    @property
    def role(self) -> Role:
        return self.desire.role

    @property
    def obj(self) -> str:
        return self.current.name

    def found(self, code: str, message: str, *, fixed_by_plan: bool) -> None:
        self.out.findings.append(
            finding(code, self.role, self.obj, message, fixed_by_plan=fixed_by_plan)
        )


def plan_side(desire: SideDesire, relationships: tuple[OrgRelationship, ...]) -> SideOutcome:
    """Diff one tenant's relationships against the desire. Pure: used by plan and apply alike."""
    fp = relationships_fingerprint(relationships)
    out = SideOutcome(action=None)
    blocked: list[str] = []
    if desire.app_id_required and not desire.wanted_app:
        out.findings.append(
            finding(
                "T2T-E109",
                desire.role,
                desire.name,
                "relationship.app gives no appId, so OAuthApplicationId cannot be set",
                fixed_by_plan=False,
            )
        )
        blocked.append("T2T-E109")

    candidates = [r for r in relationships if _matches_partner(r, desire)]
    if len(candidates) > 1:
        names = ", ".join(repr(r.name) for r in candidates)
        out.findings.append(
            finding(
                "T2T-E106",
                desire.role,
                desire.name,
                f"{len(candidates)} relationships match the partner: {names}",
                fixed_by_plan=False,
            )
        )
        return out  # no single object to act on
    by_name = [r for r in relationships if r.name.lower() == desire.name.lower()]
    current = candidates[0] if candidates else (by_name[0] if by_name else None)
    if current is None:
        out.action = _create(desire, fp, blocked)
        return out

    diff = _Diff(desire, current, out, blocked)
    if not _domain_names(diff, matched_partner=bool(candidates)):
        return out  # another partner's relationship with the spec's name: blocked, untouched
    _enabled(diff)
    _capabilities(diff)
    if desire.role == "source":
        _source_fields(diff)
    if diff.changes or blocked:
        out.action = _update(diff, fp)
    return out


def _create(desire: SideDesire, fp: str, blocked: list[str]) -> Action:
    """New-OrganizationRelationship keyed on the partner's tenant id."""
    role = desire.role
    params: dict[str, Any] = {
        "Name": desire.name,
        "DomainNames": [desire.partner_tenant_id],
        "Enabled": True,
        "MailboxMoveEnabled": True,
        "MailboxMoveCapability": desire.capability,
    }
    if role == "source":
        if desire.wanted_app:
            params["OAuthApplicationId"] = desire.wanted_app
        if desire.scopes:
            params["MailboxMovePublishedScopes"] = list(desire.scopes)
    return Action(
        id=action_id(role, K.ORGREL_CREATE.name, desire.name),
        tenant=role,
        kind=K.ORGREL_CREATE.name,
        key=desire.name,
        operation="create",
        cmdlet="New-OrganizationRelationship",
        parameters=params,
        changes=tuple(Change(field=k, after=v) for k, v in params.items()),
        desired=desire.to_dict(),
        observed=None,
        fingerprint=fp,
        summary=f"create the {role} organization relationship {desire.name!r}",
        blocked_by=tuple(blocked),
        unverified=(WIRE_CAPABILITY,),
    )


def _domain_names(diff: _Diff, *, matched_partner: bool) -> bool:
    """DomainNames must hold the partner's tenant id; False: the relationship is not ours to
    repoint (T2T-E111) and nothing else is planned for it."""
    desire, current = diff.desire, diff.current
    domains = list(current.domain_names)
    if desire.partner_tenant_id.lower() in {d.lower() for d in domains}:
        return True
    if matched_partner:  # matched through a partner domain: add the id, keep the domain
        diff.found(
            "T2T-W102",
            f"DomainNames {domains} name the partner by domain, not by tenant id "
            f"{desire.partner_tenant_id}",
            fixed_by_plan=True,
        )
        new_domains = [*domains, desire.partner_tenant_id]
    else:  # our relationship by name, pointing at another tenant id
        wrong = [d for d in domains if _GUID.match(d)]
        if not current.mailbox_move_enabled and not current.capabilities:
            # Not a mailbox-move relationship at all: most likely another partner's (free/
            # busy sharing) that happens to have the spec's name. Repointing it would cut
            # that partner off, so block instead (found in review).
            diff.found(
                "T2T-E111",
                f"the relationship named {current.name!r} serves {domains or 'nobody'} "
                "and has no mailbox-move setting",
                fixed_by_plan=False,
            )
            return False
        diff.found(
            "T2T-E101",
            f"DomainNames hold {', '.join(wrong) or domains or 'nothing'}, not the "
            f"{'source' if diff.role == 'target' else 'target'} tenant id "
            f"{desire.partner_tenant_id}",
            fixed_by_plan=True,
        )
        new_domains = [d for d in domains if not _GUID.match(d)] + [desire.partner_tenant_id]
        diff.removes = bool(wrong)
    diff.changes.append(Change(field="DomainNames", before=domains, after=new_domains))
    return True


def _enabled(diff: _Diff) -> None:
    """Enabled and MailboxMoveEnabled must be $true."""
    current = diff.current
    if current.enabled and current.mailbox_move_enabled:
        return
    what = [
        n
        for n, v in (
            ("Enabled", current.enabled),
            ("MailboxMoveEnabled", current.mailbox_move_enabled),
        )
        if not v
    ]
    diff.found("T2T-E105", f"{' and '.join(what)} is $false", fixed_by_plan=True)
    if not current.enabled:
        diff.changes.append(Change(field="Enabled", before=False, after=True))
    if not current.mailbox_move_enabled:
        diff.changes.append(Change(field="MailboxMoveEnabled", before=False, after=True))


def _capabilities(diff: _Diff) -> None:
    """The side's capability is added and the others kept; Outbound on the target blocks."""
    capability = diff.desire.capability
    caps = set(diff.current.capabilities)
    if diff.role == "target" and "Outbound" in caps:
        diff.found(
            "T2T-E104", f"MailboxMoveCapability is {_format_caps(caps)}", fixed_by_plan=False
        )
        diff.blocked.append("T2T-E104")
    elif capability not in caps:
        diff.found(
            "T2T-E103",
            f"MailboxMoveCapability is {_format_caps(caps)}; {capability} is needed",
            fixed_by_plan=True,
        )
        diff.changes.append(
            Change(
                field="MailboxMoveCapability",
                before=_format_caps(caps),
                after=_format_caps(caps | {capability}),
            )
        )


def _source_fields(diff: _Diff) -> None:
    """The source names the migration app and publishes the scope groups (kept, merged)."""
    desire, current = diff.desire, diff.current
    want_app = (desire.wanted_app or "").lower()
    if want_app and (current.oauth_application_id or "").lower() != want_app:
        diff.found(
            "T2T-E107",
            f"OAuthApplicationId is {current.oauth_application_id or 'not set'}, "
            f"not {desire.wanted_app}",
            fixed_by_plan=True,
        )
        diff.changes.append(
            Change(
                field="OAuthApplicationId",
                before=current.oauth_application_id,
                after=desire.wanted_app,
            )
        )
        # Replacing another app switches it under any move already running.
        diff.removes = diff.removes or bool(current.oauth_application_id)
    scopes = _ci_union(current.published_scopes, desire.scopes)
    if len(scopes) != len(current.published_scopes):
        missing = scopes[len(current.published_scopes) :]
        diff.found(
            "T2T-E108", f"MailboxMovePublishedScopes lack {', '.join(missing)}", fixed_by_plan=True
        )
        diff.changes.append(
            Change(
                field="MailboxMovePublishedScopes",
                before=list(current.published_scopes),
                after=scopes,
            )
        )


def _update(diff: _Diff, fp: str) -> Action:
    """Set-OrganizationRelationship with only the fields that change."""
    current, role = diff.current, diff.role
    params: dict[str, Any] = {"Identity": current.identity}
    params.update({c.field: c.after for c in diff.changes})
    return Action(
        id=action_id(role, K.ORGREL_UPDATE.name, current.name),
        tenant=role,
        kind=K.ORGREL_UPDATE.name,
        key=current.name,
        operation="update",
        cmdlet="Set-OrganizationRelationship",
        parameters=params,
        changes=tuple(diff.changes),
        desired=diff.desire.to_dict(),
        observed=current.as_dict(),
        fingerprint=fp,
        risk="disruptive" if diff.removes else "safe",
        summary=f"update the {role} organization relationship {current.name!r}",
        blocked_by=tuple(diff.blocked),
        unverified=(WIRE_CAPABILITY,) if "MailboxMoveCapability" in params else (),
    )


def relationship_desires(
    desired: Desired, app: AppResolution | None = None
) -> tuple[SideDesire, SideDesire]:
    """Target `Inbound` and source `RemoteOutbound`, each keyed on the partner's tenant id.

    The source names the migration app: its appId from the spec, from the target's apps (an
    app found by displayName), or — for an app this plan registers — known after apply.
    """
    rel = desired.relationship
    target = SideDesire(
        role="target",
        name=rel.name,
        partner_tenant_id=desired.source.tenant_id,
        partner_domains=(desired.source.domain,),
        capability="Inbound",
    )
    app_id = rel.app.app_id
    unique = None
    if app is not None and not app_id:
        app_id = app.app_id
        if app_id is None and app.action_id is not None:
            unique = app.desire.unique_name  # registered by this plan
    source = SideDesire(
        role="source",
        name=rel.name,
        partner_tenant_id=desired.target.tenant_id,
        partner_domains=(desired.target.domain,),
        capability="RemoteOutbound",
        oauth_application_id=app_id,
        scopes=tuple(rel.scope_groups),
        app_id_required=True,
        app_display_name=rel.app.display_name if unique else None,
        app_unique_name=unique,
    )
    return target, source


def plan_relationships(ctx: PlanContext) -> DomainOutcome:
    """Both sides. A dehydrated side waits for Enable-OrganizationCustomization."""
    out = DomainOutcome()
    for desire in relationship_desires(ctx.desired, ctx.app):
        tenant = ctx.snapshot.tenant(desire.role)
        org = tenant.organization
        depends: list[str] = list(ctx.hydration(desire.role))
        if depends:
            out.findings.append(
                finding(
                    "T2T-E110",
                    desire.role,
                    org.get().name or tenant.tenant_id,
                    "IsDehydrated is $true",
                    fixed_by_plan=True,
                )
            )
        if desire.role == "source":
            if desire.app_known_after_apply:
                depends.extend(ctx.app.depends_on)
            depends.extend(ctx.scope_groups.creates)
        side = plan_side(desire, present(tenant.relationships))
        out.findings.extend(side.findings)
        if side.action is not None:
            action = side.action
            if depends:
                action = action.model_copy(update={"depends_on": tuple(depends)})
            if desire.role == "source" and _publishes(action, ctx.scope_groups.not_security):
                # Exchange would drop the scope with a warning and the write never converges:
                # wait until the spec names a security group (T2T-E221, the scope groups').
                blocked = (*action.blocked_by, "T2T-E221")
                action = action.model_copy(update={"blocked_by": blocked})
            if desire.role == "source" and _flips_shared_app(ctx, action, out):
                action = action.model_copy(update={"blocked_by": (*action.blocked_by, "T2T-E112")})
            if action.blocked_by != side.action.blocked_by:  # held here: it fixes nothing
                out.findings[:] = held_back(out.findings, desire.role, action.key)
            out.actions.append(action)
    return out


def _flips_shared_app(ctx: PlanContext, action: Action, out: DomainOutcome) -> bool:
    """Whether the write would change the OAuthApplicationId another spec relies on (its
    scope group is published): then it is held, with T2T-E112 naming that spec."""
    wanted = action.parameters.get("OAuthApplicationId")
    share = ctx.sharing
    if action.operation != "update" or not conflicts(share, wanted):
        return False
    out.findings.append(
        finding(
            "T2T-E112",
            "source",
            action.key,
            f"{share.why()}; this spec names app {wanted}",
            fixed_by_plan=False,
        )
    )
    return True


def _publishes(action: Action, names: tuple[str, ...]) -> bool:
    """Whether the write sends any of `names` in MailboxMovePublishedScopes."""
    sent = action.parameters.get("MailboxMovePublishedScopes") or []
    return bool({n.lower() for n in names} & {str(s).lower() for s in sent})


RELATIONSHIPS = Domain(
    name="relationships",
    source_needs=frozenset({P.RELATIONSHIPS}),
    target_needs=frozenset({P.RELATIONSHIPS}),
    uses=(APP, HYDRATION, SCOPE, SHARING),
    emits=frozenset({K.ORGREL_CREATE, K.ORGREL_UPDATE}),
    plan=plan_relationships,
)
