"""Which spec owns what: two specs that share the organization relationship never undo each
other.

Two specs between the same tenants share the source's organization relationship (Exchange
keeps one per partner: `plan_side` finds it by the partner's tenant id) and may name the same
migration endpoint. What a spec owns is marked on the object Microsoft lets it mark: the scope
groups it creates carry `t2t spec: <name>` in their Description (New-DistributionGroup
-Description, a free-text MultiValueProperty that Set-DistributionGroup also sets and
Get-DistributionGroup returns:
https://learn.microsoft.com/powershell/module/exchangepowershell/new-distributiongroup ,
…/set-distributiongroup; Microsoft365DSC's EXODistributionGroup reads it back). The
relationship itself has no free-text property to mark (Set-OrganizationRelationship's
parameters are all settings), so a scope published in MailboxMovePublishedScopes whose group
carries another spec's marker is what says that spec relies on the relationship.

Multi-valued settings merge (MailboxMovePublishedScopes: a union, nothing another spec
published is removed — relationships.py `_ci_union`); a single-valued one (OAuthApplicationId,
the endpoint's ApplicationId) that this spec would change while another spec relies on it
blocks with T2T-E112, naming that spec, instead of flipping it back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from t2t.planner.checks import CheckDef, register
from t2t.state import OrgRelationship
from t2t.state.exchange import MailGroup

if TYPE_CHECKING:
    from t2t.spec import Desired

#: The scope group's Description t2t writes when it creates the group for a spec.
MARKER_PREFIX = "t2t spec: "

register(
    CheckDef(
        "T2T-E112",
        "relationship-shared-with-another-spec",
        "error",
        "Another spec relies on the same organization relationship (or endpoint) with another "
        "migration app; changing it would break that spec's moves",
        "the other spec's moves fail with the app they no longer match (their next apply would "
        "set it back, flipping the value on every run)",
        "Use one migration app for both specs (the same relationship.app), or move one spec's "
        "mailboxes when the other's are done. t2t merges the scope groups of both; it never "
        "changes a value another spec's scope group shows it relies on.",
        "t2t/planner/shared/ownership.py; Set-OrganizationRelationship -OAuthApplicationId "
        "(one app per relationship)",
    ),
    scope="organization",
)


def marker(spec_name: str) -> str:
    """The Description of a scope group created for `spec_name`."""
    return f"{MARKER_PREFIX}{spec_name}"


def owner_of(group: MailGroup) -> str | None:
    """The spec that created `group`, from its marker; None for a group t2t did not make."""
    for line in group.description:
        if line.startswith(MARKER_PREFIX):
            return line[len(MARKER_PREFIX) :].strip() or None
    return None


@dataclass(frozen=True)
class Sharing:
    """The other specs whose scope groups the source relationship publishes."""

    others: dict[str, tuple[str, ...]]
    """Spec name → its scope groups published in the relationship."""
    app_id: str | None
    """The OAuthApplicationId those specs rely on (the relationship's, lower case)."""

    def why(self) -> str:
        """What the finding says: which spec, and the scope that shows it."""
        shown = "; ".join(
            f"spec {name!r} (its scope group {', '.join(groups)})"
            for name, groups in sorted(self.others.items())
        )
        return f"the source relationship is shared with {shown}, which relies on app {self.app_id}"


def sharing(
    desired: Desired, relationships: tuple[OrgRelationship, ...], groups: tuple[MailGroup, ...]
) -> Sharing:
    """Who else relies on the source relationship toward the spec's target tenant."""
    target = desired.target.tenant_id.lower()
    current = next(
        (r for r in relationships if target in {d.lower() for d in r.domain_names}), None
    )
    if current is None:
        return Sharing({}, None)
    mine = {g.lower() for g in desired.relationship.scope_groups}
    by_name = {g.name.lower(): g for g in groups} | {g.identity.lower(): g for g in groups}
    others: dict[str, list[str]] = {}
    for scope in current.published_scopes:
        group = by_name.get(scope.lower())
        if scope.lower() in mine or group is None:
            continue
        owner = owner_of(group)
        if owner is not None and owner != desired.name:
            others.setdefault(owner, []).append(group.name)
    app = (current.oauth_application_id or "").lower() or None
    return Sharing({k: tuple(v) for k, v in others.items()}, app)


def conflicts(share: Sharing, wanted_app: str | None) -> bool:
    """Whether setting `wanted_app` would flip an app another spec relies on."""
    return bool(share.others and share.app_id and wanted_app and wanted_app.lower() != share.app_id)
