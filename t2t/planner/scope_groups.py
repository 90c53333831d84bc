"""Scope groups in the source: mail-enabled security groups whose direct members may leave.

`New-DistributionGroup -Name <scope> -Type Security` makes a MailUniversalSecurityGroup
(LEARN-24, microsoft-t2t.md §3.7). A group of another type is silently dropped from
MailboxMovePublishedScopes ("WARNING: Access scope specified '<name>' is not a security group",
microsoft-365-docs #4812), so it blocks. Membership must be direct (the validation script checks
direct membership only) and in place before the batch starts.

Assignment rule for several groups (LEARN-24: several groups past 10,000 users): a mailbox that
is already a direct member of any declared group stays where it is; every other one goes, in
spec order, to the first declared group (in declared order) that is usable and holds fewer
than 10,000 members counting the ones this plan adds. When none has room, the rest still goes
in — to the usable group with the fewest members — and T2T-W223 warns: 10,000 is Microsoft's
recommendation "for best performance", not a limit (`over_recommended`'s docstring). The rule
is stable: re-planning after apply assigns nothing new, and adding a group to the spec only
receives mailboxes not yet in scope.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.planner.context import HYDRATION, SCOPE, PlanContext
from t2t.planner.domain import Domain, DomainOutcome, action_id, present
from t2t.planner.shared.ownership import marker
from t2t.state import fingerprint
from t2t.state.exchange import MailGroup, Recipient

if TYPE_CHECKING:
    pass

#: Users per scope group Microsoft recommends (LEARN-24: "over 10,000 users, several groups").
MAX_SCOPE_MEMBERS = 10_000

register(
    CheckDef(
        "T2T-E221",
        "scope-group-not-security",
        "error",
        "The scope group exists but is not a mail-enabled security group",
        "'WARNING: Access scope specified … is not a security group. This scope will not be "
        "added to the organization relationship.' then "
        "MailboxNotInCrossTenantMigrationScopeException",
        "Name a mail-enabled security group in relationship.scopeGroup (t2t creates it with "
        "New-DistributionGroup -Type Security when absent); a distribution group cannot be "
        "converted.",
        "microsoft-t2t.md §3.5 (microsoft-365-docs #4812), §3.7",
    ),
    CheckDef(
        "T2T-E222",
        "scope-member-missing",
        "error",
        "Mailboxes of the spec are not direct members of a scope group",
        "MailboxNotInCrossTenantMigrationScopeException",
        "t2t adds them (Add-DistributionGroupMember, or -Members when it creates the group).",
        "microsoft-t2t.md §3.7, §9, §10.2 object check 6",
    ),
    CheckDef(
        "T2T-W223",
        "scope-groups-past-recommended-size",
        "warning",
        "The declared scope groups hold more than the 10,000 members Microsoft recommends per "
        "group; the mailboxes past it are added anyway",
        "no failure: Microsoft recommends several groups past 10,000 users 'for best performance'",
        "Optionally declare another group (scopeGroup: [group-1, group-2]): mailboxes not yet "
        "in scope go to the first group with room.",
        "Learn, Cross-tenant mailbox migration, Prerequisites: 'If you are migrating more than "
        "10,000 users, we recommend creating multiple groups to contain the user list for best "
        "performance.'",
    ),
    CheckDef(
        "T2T-W224",
        "scope-mailbox-not-in-source",
        "warning",
        "A mailbox of the spec is not a recipient in the source, so it cannot join the scope",
        "MailboxNotInCrossTenantMigrationScopeException / MigrationRecipientNotFoundException",
        "Fix the source address in the spec (or the mailbox was already moved away by hand).",
        "microsoft-t2t.md §3.7",
    ),
    scope="organization",
)


@dataclass(frozen=True)
class GroupDesire:
    name: str
    members: tuple[str, ...] = ()  # primary SMTP addresses this plan adds
    description: tuple[str, ...] = ()
    """Sent when t2t creates the group: the spec's owner marker (shared/ownership.py)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.description:  # only a group this plan creates carries one
            del data["description"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupDesire:
        return cls(
            name=data["name"],
            members=tuple(data.get("members", ())),
            description=tuple(data.get("description", ())),
        )


@dataclass
class ScopePlan:
    additions: dict[str, list[str]] = field(default_factory=dict)  # group (lower) → addresses
    not_in_source: list[str] = field(default_factory=list)
    over_recommended: list[str] = field(default_factory=list)
    """Added past 10,000 members (T2T-W223): every usable group had reached it."""


def _index(recipients: tuple[Recipient, ...]) -> dict[str, Recipient]:
    index: dict[str, Recipient] = {}
    for r in recipients:
        for address in (r.primary_smtp_address, *r.smtp_addresses):
            index.setdefault(address.lower(), r)
    return index


def assign_members(
    groups: list[str],
    usable: set[str],
    members: dict[str, set[str]],
    sources: list[str],
    recipients: tuple[Recipient, ...],
) -> ScopePlan:
    """The module's assignment rule. `groups` in declared order, lowercase."""
    plan = ScopePlan(additions={g: [] for g in groups})
    in_scope = set().union(*members.values()) if members else set()
    index = _index(recipients)
    for source in sources:
        r = index.get(source.lower())
        if r is None:
            plan.not_in_source.append(source)
            continue
        if "mailbox" not in r.recipient_type_details.lower():
            continue  # a MailUser in the source: already moved, nothing to scope
        address = r.primary_smtp_address.lower()
        if address in in_scope:
            continue
        size = {g: len(members.get(g, set())) + len(plan.additions[g]) for g in groups}
        room = [g for g in groups if g in usable and size[g] < MAX_SCOPE_MEMBERS]
        if not room:
            if not usable:  # with no usable group at all, T2T-E221 already says why
                continue
            room = sorted((g for g in groups if g in usable), key=lambda g: size[g])[:1]
            plan.over_recommended.append(address)
        plan.additions[room[0]].append(address)
        in_scope.add(address)
    return plan


def over_recommended(scope: ScopePlan, names: list[str]) -> Finding | None:
    """T2T-W223, a warning and never a block: Microsoft Learn, Cross-tenant mailbox migration
    (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration),
    Prerequisites for source and target tenants: "If you are migrating more than 10,000
    users, we recommend creating multiple groups to contain the user list for best
    performance." A recommendation for performance, no limit: nothing fails past it."""
    if not scope.over_recommended:
        return None
    return finding(
        "T2T-W223",
        "source",
        ", ".join(names),
        f"{len(scope.over_recommended)} mailboxes added past 10,000 members "
        f"(first: {scope.over_recommended[0]})",
        fixed_by_plan=False,
    )


def plan_scope_groups(ctx: PlanContext) -> DomainOutcome:
    desired, snapshot = ctx.desired, ctx.snapshot
    out = DomainOutcome()
    src = snapshot.source
    groups = present(src.groups)
    names = list(dict.fromkeys(desired.relationship.scope_groups))
    by_name: dict[str, MailGroup] = {g.name.lower(): g for g in groups}
    by_name.update({g.identity.lower(): g for g in groups})
    members = {name: set(m) for name, m in present(src.group_members)}
    usable: set[str] = set()
    for name in names:
        group = by_name.get(name.lower())
        if group is None:
            usable.add(name.lower())
        elif not group.is_security:
            out.findings.append(
                finding(
                    "T2T-E221",
                    "source",
                    name,
                    f"RecipientTypeDetails is {group.recipient_type_details}, not "
                    "MailUniversalSecurityGroup",
                    fixed_by_plan=False,
                )
            )
        else:
            usable.add(name.lower())

    scope = assign_members(
        [n.lower() for n in names],
        usable,
        {n.lower(): members.get(n.lower(), set()) for n in names},
        [m.source for m in desired.mailboxes],
        present(src.recipients),
    )
    for address in scope.not_in_source:
        out.findings.append(
            finding(
                "T2T-W224",
                "source",
                address,
                "no source recipient has this address",
                fixed_by_plan=False,
            )
        )
    crowded = over_recommended(scope, names)
    if crowded is not None:
        out.findings.append(crowded)

    hydrate = ctx.hydration("source")
    for name in names:
        group = by_name.get(name.lower())
        adds = scope.additions.get(name.lower(), [])
        if group is not None and not group.is_security:
            continue
        if adds:
            out.findings.append(
                finding(
                    "T2T-E222",
                    "source",
                    name,
                    f"{len(adds)} mailboxes are not direct members (first: {adds[0]})",
                    fixed_by_plan=True,
                )
            )
        desire = GroupDesire(name=name, members=tuple(adds))
        if group is None:
            # marked as this spec's, so another spec sharing the relationship sees who relies
            # on it (t2t/planner/shared/ownership.py)
            desire = replace(desire, description=(marker(desired.name),))
            params: dict[str, Any] = {
                "Name": name,
                "Type": "Security",
                "Description": list(desire.description),
            }
            if adds:
                params["Members"] = adds
            out.actions.append(
                Action(
                    id=action_id("source", K.GROUP_CREATE.name, name),
                    tenant="source",
                    kind=K.GROUP_CREATE.name,
                    key=name,
                    operation="create",
                    cmdlet="New-DistributionGroup",
                    parameters=params,
                    changes=tuple(Change(field=k, after=v) for k, v in params.items()),
                    desired=desire.to_dict(),
                    observed=None,
                    fingerprint=fingerprint(None),
                    depends_on=hydrate,
                    summary=f"create the scope group {name!r} (mail-enabled security)",
                )
            )
        elif adds:
            current = sorted(members.get(name.lower(), set()))
            out.actions.append(
                Action(
                    id=action_id("source", K.GROUP_ADD_MEMBERS.name, name),
                    tenant="source",
                    kind=K.GROUP_ADD_MEMBERS.name,
                    key=name,
                    operation="update",
                    cmdlet="Add-DistributionGroupMember",
                    # -Member takes one recipient (Add-DistributionGroupMember.md): the
                    # executor sends one call per member, the rendering one line each.
                    parameters={"Identity": group.identity, "Member": adds},
                    changes=(Change(field="Members (added)", before=len(current), after=adds),),
                    desired=desire.to_dict(),
                    observed={"Identity": group.identity, "members": len(current)},
                    fingerprint=fingerprint(current),
                    depends_on=hydrate,
                    summary=f"add {len(adds)} mailboxes to the scope group {name!r}",
                )
            )
    return out


SCOPE_GROUPS = Domain(
    name="scope_groups",
    source_needs=frozenset(),
    target_needs=frozenset(),
    uses=(HYDRATION, SCOPE),  # what it plans is what the relationships wait on
    emits=frozenset({K.GROUP_CREATE, K.GROUP_ADD_MEMBERS}),
    plan=plan_scope_groups,
)
