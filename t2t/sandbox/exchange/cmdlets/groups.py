"""Distribution groups: the migration scope group (microsoft-t2t.md §3.7) and its members.

Get-DistributionGroup, New-DistributionGroup (``-Type Security`` makes a
MailUniversalSecurityGroup, LEARN-24), Get-/Add-/Remove-DistributionGroupMember.
Parameters from
https://learn.microsoft.com/powershell/module/exchangepowershell/get-distributiongroup ,
…/new-distributiongroup, …/add-distributiongroupmember, …/get-distributiongroupmember,
…/remove-distributiongroupmember ;
the ones the sandbox does not model yet are accepted by name and answered with a
``T2t.Sandbox.NotEmulatedException`` so nobody mistakes them for Exchange behaviour.
"""

from __future__ import annotations

import re

from t2t.sandbox.exchange.cmdlets.common import check_length, find_group, require_group
from t2t.sandbox.exchange.directory import (
    address_owner,
    find_recipient,
    name_taken,
    recipient_guid,
)
from t2t.sandbox.exchange.errors import ALREADY_EXISTS, GROUP_MANAGER, CmdletError, not_found
from t2t.sandbox.exchange.errors import DOMAIN_CONTROLLER as DC_NAME
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Kind, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid, strings
from t2t.sandbox.model import Group, derived_guid
from t2t.sandbox.moves.catalogue import spec

_RTD = "Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails"


def group_record(g: Group) -> Record:
    security = g.is_mail_enabled_security
    return {
        "GroupType": "Universal, SecurityEnabled" if security else "Universal",
        "RecipientType": "MailUniversalSecurityGroup"
        if security
        else "MailUniversalDistributionGroup",
        "RecipientTypeDetails": enum_value(g.recipient_type_details, _RTD),
        "Name": g.name,
        "DisplayName": g.display_name,
        "Alias": g.alias,
        "PrimarySmtpAddress": g.primary_smtp_address,
        "EmailAddresses": strings([f"SMTP:{g.primary_smtp_address}"]),
        "DistinguishedName": g.distinguished_name,
        # Description: a multi-valued property (New-/Set-DistributionGroup -Description
        # <MultiValueProperty>); Microsoft365DSC's EXODistributionGroup reads Description[0]
        "Description": strings(g.description),
        "Identity": g.name,
        "Id": g.name,
        "Guid": guid(g.guid),
        "ExternalDirectoryObjectId": g.guid,
        "IsDirSynced": False,
        "WhenChanged": date(g.when_changed),
        "WhenCreated": date(g.when_created),
        "WhenChangedUTC": date(g.when_changed),
        "WhenCreatedUTC": date(g.when_created),
    }


def get_distribution_group(inv: Invocation) -> list[Record]:
    identity = inv.params.get("Identity")
    if identity:
        group = require_group(inv.tenant, identity)
        if not inv.visible(group.guid):  # not replicated yet (faults.py lag)
            raise not_found(identity)
        return [group_record(group)]
    return [group_record(g) for g in inv.tenant.groups if inv.visible(g.guid)]


def new_distribution_group(inv: Invocation) -> list[Record]:
    """New-DistributionGroup; ``-Type Security`` → MailUniversalSecurityGroup (LEARN-24)."""
    t, p = inv.tenant, inv.params
    name: str = p.get("Name")
    check_length(name, 64)
    alias = p.get("Alias") or re.sub(r"[^A-Za-z0-9!#%*+\-/=?^_~.]", "", name) or "group"
    primary = (p.get("PrimarySmtpAddress") or f"{alias}@{t.initial_domain}").lower()
    domain = primary.rsplit("@", 1)[1]
    if not t.accepts_domain(domain):
        s = spec("NotAcceptedDomainOnWrite")
        raise CmdletError(400, s.full_type, s.render(address=primary, domain=domain))
    if name_taken(t, name):  # mailboxes, mail users, groups and contacts share one OU
        raise CmdletError(
            400,
            ALREADY_EXISTS,
            f"Active Directory operation failed on {DC_NAME}. The object "
            f"'CN={name},OU={t.initial_domain},OU=Microsoft Exchange Hosted Organizations,"
            "DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM' already exists.",
        )
    owner = address_owner(t, primary)
    if owner is not None:
        s = spec("RecipientAlreadyExists")
        raise CmdletError(400, s.full_type, s.render(address=primary, owner=owner))
    security = (p.get("Type") or "Distribution") == "Security"
    group = Group(
        guid=derived_guid(t.tenant_id, "group", name, inv.now.isoformat()),
        name=name,
        display_name=p.get("DisplayName") or name,
        alias=alias,
        primary_smtp_address=primary,
        recipient_type_details="MailUniversalSecurityGroup"
        if security
        else "MailUniversalDistributionGroup",
        distinguished_name=(
            f"CN={name},OU={t.initial_domain},OU=Microsoft Exchange Hosted Organizations,"
            "DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"
        ),
        when_created=inv.now,
        when_changed=inv.now,
        description=[str(d) for d in p.get("Description") or []],
    )
    for m in p.get("Members") or []:
        found = find_recipient(t, m)
        if found is None:
            raise not_found(m)
        if found[0].id not in group.members:
            group.members.append(found[0].id)
            group.members_added_at[found[0].id] = inv.now
    if inv.what_if:
        return []
    t.groups.append(group)
    inv.created(group.guid)
    return [group_record(group)]


def member_record(inv: Invocation, user_id: str) -> Record:
    """A member row of Get-DistributionGroupMember (ReducedRecipient properties)."""
    u = inv.tenant.user_by_id(user_id)
    assert u is not None  # the caller keeps members that are users
    r = u.recipient
    rtd = r.recipient_type_details if r else "User"
    rt = "UserMailbox" if r and r.is_mailbox else ("MailUser" if r else "User")
    return {
        "Name": r.name if r else u.display_name,
        "DisplayName": u.display_name,
        "Alias": r.alias if r else "",
        "PrimarySmtpAddress": r.primary_smtp_address if r else "",
        "RecipientType": rt,
        "RecipientTypeDetails": enum_value(rtd, _RTD),
        "Identity": r.name if r else u.display_name,
        "Guid": guid(recipient_guid(u)),
        "ExternalDirectoryObjectId": u.id,
        "ExchangeGuid": guid(r.exchange_guid) if r else None,
    }


def get_distribution_group_member(inv: Invocation) -> list[Record]:
    """Direct members: users, then nested groups (as Exchange lists a group member, with the
    group's recipient type; their members are not expanded)."""
    group = require_group(inv.tenant, inv.params.get("Identity"))
    users = [member_record(inv, m) for m in group.members if inv.tenant.user(m) is not None]
    nested = [find_group(inv.tenant, g) for g in group.member_groups]
    return users + [group_record(g) for g in nested if g is not None]


def _nested_group(inv: Invocation) -> Group | None:
    """A Member that names no user's recipient but a group: the group is nested. LEARN-24:
    "While nested groups are supported, they are not recommended"; the move service takes
    only direct members of a scope group (moves/conditions.py; CSS-VAL checks direct
    membership)."""
    member = inv.params.get("Member")
    if find_recipient(inv.tenant, member) is not None:
        return None
    return find_group(inv.tenant, member)


def _member_user_id(inv: Invocation) -> str:
    member = inv.params.get("Member")
    found = find_recipient(inv.tenant, member)
    if found is None:
        raise not_found(member)
    return found[0].id


def _require_manager(inv: Invocation) -> None:
    """Changing membership takes a manager of the group (ManagedBy) or
    ``-BypassSecurityGroupManagerCheck`` ("If you aren't defined in the ManagedBy property of
    the group, you need to use this switch", office-docs-powershell
    ``exchange/exchange-ps/ExchangePowerShell/Add-DistributionGroupMember.md``). Every
    sandbox caller is an app, and ManagedBy holds recipients, never an app, so an app always
    needs the switch [live: "This operation can only be performed by a manager of the group",
    exo-module-protocol.md]. Exception and text: OperationRequiresGroupManagerException
    (Microsoft.Exchange.Configuration.Tasks, raised by RecipientTaskHelper.
    ValidateUserIsGroupManager with ExchangeErrorCategory.Client) and the message of
    MicrosoftDocs/SupportArticles-docs ``Exchange/ExchangeOnline/groups-and-distribution-lists/
    no-sufficient-permissions-moving-dg.md``; 400 like other client errors (README "Open
    questions")."""
    if not inv.params.get("BypassSecurityGroupManagerCheck"):
        raise CmdletError(
            400,
            GROUP_MANAGER,
            "You don't have sufficient permissions. This operation can only be performed by a "
            "manager of the group.",
        )


def _replicated_group(inv: Invocation) -> Group:
    """The group a member change names; a group New-DistributionGroup made moments ago
    answers not-found for a while ([live] exo-module-protocol.md "App-only administration":
    Add-DistributionGroupMember "can answer not-found right after New-DistributionGroup")."""
    identity = inv.params.get("Identity")
    group = require_group(inv.tenant, identity)
    if inv.not_replicated("group-member", group.guid):
        raise not_found(identity)
    return group


def add_distribution_group_member(inv: Invocation) -> list[Record]:
    """Adding a present member fails with MemberAlreadyExistsException (the text Exchange
    shows: 'The recipient "x" is already a member of the group "y".'). Right after
    New-DistributionGroup the group may not be found yet (replication.py)."""
    group = _replicated_group(inv)
    _require_manager(inv)
    nested = _nested_group(inv)
    if nested is not None:
        if nested.guid in group.member_groups:
            s = spec("MemberAlreadyExistsException")
            raise CmdletError(
                400, s.full_type, s.render(member=inv.params.get("Member"), group=group.name)
            )
        if not inv.what_if:
            group.member_groups.append(nested.guid)
            group.when_changed = inv.now
        return []
    uid = _member_user_id(inv)
    if uid in group.members:
        s = spec("MemberAlreadyExistsException")
        raise CmdletError(
            400, s.full_type, s.render(member=inv.params.get("Member"), group=group.name)
        )
    if not inv.what_if:
        group.members.append(uid)
        group.members_added_at[uid] = inv.now
        group.when_changed = inv.now
    return []


def remove_distribution_group_member(inv: Invocation) -> list[Record]:
    group = _replicated_group(inv)
    _require_manager(inv)
    uid = _member_user_id(inv)
    if uid not in group.members:
        s = spec("MemberNotFoundException")
        raise CmdletError(
            400, s.full_type, s.render(member=inv.params.get("Member"), group=group.name)
        )
    if not inv.what_if:
        group.members.remove(uid)
        group.members_added_at.pop(uid, None)
        group.when_changed = inv.now
    return []


def _not_yet(
    name: str,
    kind: Kind = Kind.SWITCH,
    dotnet: str = "System.Management.Automation.SwitchParameter",
) -> Param:
    return Param(name, kind, dotnet, emulated=False)


def register(registry: Registry) -> None:
    registry.add(
        CmdletSpec(
            "Get-DistributionGroup",
            (
                Param(
                    "Identity",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.DistributionGroupIdParameter",
                ),
                _not_yet("Anr", Kind.STRING, "System.String"),
                _not_yet("Credential", Kind.STRING, "System.Management.Automation.PSCredential"),
                DC_PARAM,
                _not_yet("Filter", Kind.STRING, "System.String"),
                _not_yet("IgnoreDefaultScope"),
                _not_yet("IncludeAcceptMessagesOnlyFromDLMembersWithDisplayNames"),
                _not_yet("IncludeAcceptMessagesOnlyFromSendersOrMembersWithDisplayNames"),
                _not_yet("IncludeAcceptMessagesOnlyFromWithDisplayNames"),
                _not_yet("IncludeBypassModerationFromSendersOrMembersWithDisplayNames"),
                _not_yet("IncludeGrantSendOnBehalfToWithDisplayNames"),
                _not_yet("IncludeManagedByWithDisplayNames"),
                _not_yet("IncludeModeratedByWithDisplayNames"),
                _not_yet("ManagedBy", Kind.STRING, "System.String"),
                _not_yet("OrganizationalUnit", Kind.STRING, "System.String"),
                _not_yet("ReadFromDomainController"),
                _not_yet("RecipientTypeDetails", Kind.MULTI, _RTD + "[]"),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
                _not_yet("SortBy", Kind.STRING, "System.String"),
            ),
            get_distribution_group,
            paged=True,
        )
    )
    group_id = Param(
        "Identity",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.DistributionGroupIdParameter",
        mandatory=True,
    )
    member = Param(
        "Member",
        dotnet_type="Microsoft.Exchange.Configuration.Tasks.RecipientWithAdUserGroupIdParameter",
        mandatory=True,
    )
    registry.add(
        CmdletSpec(
            "New-DistributionGroup",
            (
                Param("Name", mandatory=True),
                Param("Alias"),
                Param("DisplayName"),
                Param("PrimarySmtpAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                Param(
                    "Type",
                    Kind.ENUM,
                    "Microsoft.Exchange.Management.RecipientTasks.GroupType",
                    choices=("Distribution", "Security"),
                ),
                Param(
                    "Members",
                    Kind.MULTI,
                    "Microsoft.Exchange.Configuration.Tasks.RecipientWithAdUserGroupIdParameter[]",
                ),
                Param("Notes"),
                # free text, multi-valued (new-distributiongroup: -Description
                # <MultiValueProperty>)
                Param(
                    "Description",
                    Kind.MULTI,
                    "Microsoft.Exchange.Data.MultiValuedProperty",
                ),
                _not_yet(
                    "ManagedBy",
                    Kind.MULTI,
                    "Microsoft.Exchange.Configuration.Tasks.GeneralRecipientIdParameter[]",
                ),
                _not_yet("MemberJoinRestriction", Kind.STRING, "System.String"),
                _not_yet("MemberDepartRestriction", Kind.STRING, "System.String"),
                _not_yet("ModerationEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("RequireSenderAuthenticationEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("BypassNestedModerationEnabled", Kind.BOOL, "System.Boolean"),
                _not_yet("CopyOwnerToMember"),
                _not_yet("HiddenGroupMembershipEnabled"),
                _not_yet("IgnoreNamingPolicy"),
                _not_yet("OrganizationalUnit", Kind.STRING, "System.String"),
                _not_yet("RoomList"),
                CONFIRM,
                DC_PARAM,
                WHATIF,
            ),
            new_distribution_group,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-DistributionGroupMember",
            (
                group_id,
                DC_PARAM,
                _not_yet("IncludeSoftDeletedObjects"),
                _not_yet("ReadFromDomainController"),
                Param(
                    "ResultSize",
                    Kind.UNLIMITED,
                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                ),
            ),
            get_distribution_group_member,
            paged=True,
        )
    )
    for verb, run in (
        ("Add", add_distribution_group_member),
        ("Remove", remove_distribution_group_member),
    ):
        registry.add(
            CmdletSpec(
                f"{verb}-DistributionGroupMember",
                (
                    group_id,
                    member,
                    Param("BypassSecurityGroupManagerCheck", Kind.SWITCH),
                    CONFIRM,
                    DC_PARAM,
                    WHATIF,
                ),
                run,
            )
        )
