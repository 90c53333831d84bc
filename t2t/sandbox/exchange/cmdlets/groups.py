"""Get-DistributionGroup (read-only for now): lets probes find the migration scope group.

Parameters from
https://learn.microsoft.com/powershell/module/exchangepowershell/get-distributiongroup ;
the ones the sandbox does not model yet are accepted by name and answered with a
``T2t.Sandbox.NotEmulatedException`` so nobody mistakes them for Exchange behaviour.
"""

from __future__ import annotations

from t2t.sandbox.exchange.cmdlets.common import require_group
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER, Kind, Param
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid, strings
from t2t.sandbox.model import Group

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
        return [group_record(require_group(inv.tenant, identity))]
    return [group_record(g) for g in inv.tenant.groups]


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
                DOMAIN_CONTROLLER,
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
