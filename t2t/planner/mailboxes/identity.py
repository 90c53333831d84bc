"""The target MailUser's identity: create it, then stamp only the missing pieces.

microsoft-t2t.md §4: New-MailUser -Name -MicrosoftOnlineServicesID <UPN> -PrimarySmtpAddress
<target> -ExternalEmailAddress <source primary SMTP> -Password <generated>; then Set-MailUser
-ExchangeGuid, -ArchiveGuid (only when the source has an archive) and -EmailAddresses @{add=…}
with X500:<LegacyExchangeDN>, every source x500, every source X400 (recommended, not
required: desire.py) and a proxy in the batch's target delivery domain. Values t2t does not
own are never removed. Pure: the planner and the executors (which re-plan from a fresh read
right before writing) share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from t2t.planner.actions import Change
from t2t.planner.checks import Finding, finding
from t2t.planner.mailboxes.desire import MailboxDesire
from t2t.state.exchange import ZERO_GUID, Recipient

State = Literal["absent", "mailuser", "moved", "foreign-mailbox", "dir-synced"]

#: The PowerShell-visible stand-in for the password New-MailUser needs; the real one is made
#: by the executor at apply time and exists nowhere else (never in a plan, a log or output).
PASSWORD_PLACEHOLDER = "<generated at apply time, never shown>"  # noqa: S105 (not a secret)


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


def _smtp(value: str | None) -> str:
    if not value:
        return ""
    return value.split(":", 1)[1] if value.lower().startswith("smtp:") else value


@dataclass
class IdentityPlan:
    """What the target object needs: New-MailUser and/or Set-MailUser parameters."""

    state: State
    create: dict[str, Any] | None = None
    set_params: dict[str, Any] | None = None
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    risk: Literal["safe", "disruptive"] = "safe"


def create_parameters(d: MailboxDesire) -> dict[str, Any]:
    """New-MailUser's parameters, without -Password (added by the executor alone)."""
    return {
        "Name": d.name,
        "DisplayName": d.display_name,
        "MicrosoftOnlineServicesID": d.upn,
        "PrimarySmtpAddress": d.target,
        "ExternalEmailAddress": d.external_email_address,
    }


def _accepted_findings(
    d: MailboxDesire, current: Recipient | None, accepted: frozenset[str]
) -> list[Finding]:
    bad: list[str] = []
    if _domain(d.target) not in accepted:
        bad.append(f"primary {d.target}")
    proxy = d.delivery_proxy
    if proxy and _domain(proxy) not in accepted:
        bad.append(f"target delivery domain {d.target_delivery_domain}")
    if current is not None:
        for address in current.smtp_addresses:
            if _domain(address) not in accepted and address.lower() != d.target.lower():
                bad.append(f"proxy {address}")
    if not bad:
        return []
    return [
        finding(
            "T2T-E312",
            "target",
            d.target,
            "not an accepted domain of the target: " + ", ".join(bad),
            fixed_by_plan=False,
        )
    ]


def _stamp(d: MailboxDesire, current: Recipient | None) -> tuple[dict[str, Any], list[Change]]:
    """Set-MailUser parameters for what is missing (all of it for a MailUser to be created)."""
    params: dict[str, Any] = {}
    changes: list[Change] = []
    have_guid = current.exchange_guid if current else ZERO_GUID
    if have_guid != d.exchange_guid:
        params["ExchangeGuid"] = d.exchange_guid
        changes.append(
            Change(
                field="ExchangeGuid",
                before=None if have_guid == ZERO_GUID else have_guid,
                after=d.exchange_guid,
            )
        )
    have_archive = current.archive_guid if current else ZERO_GUID
    if d.archive_guid and have_archive != d.archive_guid:
        params["ArchiveGuid"] = d.archive_guid
        changes.append(
            Change(
                field="ArchiveGuid",
                before=None if have_archive == ZERO_GUID else have_archive,
                after=d.archive_guid,
            )
        )
    held = {a.lower() for a in current.email_addresses} if current else set()
    if current is None:
        held.add(f"smtp:{d.target.lower()}")
    add = [x for x in (*d.x500s, *d.x400s) if x.lower() not in held]
    proxy = d.delivery_proxy
    if proxy:
        smtp_domains = {_domain(a[5:]) for a in held if a.startswith("smtp:")}
        if _domain(proxy) not in smtp_domains:
            add.append(f"smtp:{proxy}")
    if add:
        params["EmailAddresses"] = {"add": add}
        changes.append(Change(field="EmailAddresses", before=None, after={"add": add}))
    return params, changes


def _on_premises(change: Change) -> str:
    """A change as the on-premises attribute an admin writes (AD attribute names)."""
    if change.field == "EmailAddresses":
        return "proxyAddresses += " + ", ".join(change.after["add"])
    attribute = {"ExchangeGuid": "msExchMailboxGuid", "ArchiveGuid": "msExchArchiveGUID"}
    return f"{attribute.get(change.field, change.field)} = {change.after}"


def _dir_synced(
    d: MailboxDesire, current: Recipient, changes: list[Change], out: IdentityPlan
) -> IdentityPlan:
    """A target synchronised from on-premises: mastered there, so t2t writes nothing to it.
    It blocks (T2T-E311) only when the move would find something missing or wrong, listed as
    the on-premises attributes to write; a synced MailUser that carries all of it is ready
    and is batched like any other.

    Microsoft Learn, Cross-tenant mailbox migration
    (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration),
    intro: "Cross-tenant Exchange mailbox migrations are supported for tenants in hybrid or
    cloud only, or a combination of the two"; Known issues: "If you synchronize users from
    on-premises using Microsoft Entra Connect in the target tenant, then you can provision
    on-premises MailUser objects with ExternalEmailAddress pointing to the source tenant …
    These values synchronize down to the tenant and an appropriate mail user is provisioned
    and is ready for migration"; FAQ (Entra Connect to the new tenant): "verify that the
    on-premises directory objects have the required attributes (such as msExchMailboxGUID and
    proxyAddresses) populated correctly … else you'll run into issues with double mailboxes
    and migration failures". What the move needs on the target: Prerequisites for target user
    objects (ExchangeGUID, ArchiveGUID, every x500, ExternalEmailAddress = the source
    mailbox) and the FAQ's TargetDeliveryDomain proxy."""
    out.state = "dir-synced"
    missing = [_on_premises(c) for c in changes]
    if _smtp(current.external_email_address).lower() not in d.source_addresses:
        missing.append(f"targetAddress = SMTP:{d.external_email_address}")
    if d.archive_guid is None and current.has_archive:
        missing.append("msExchArchiveGUID cleared (the source has no archive)")
    if missing:
        out.findings.append(
            finding(
                "T2T-E311",
                "target",
                d.target,
                "IsDirSynced: write on-premises (then sync): " + "; ".join(missing),
                fixed_by_plan=False,
            )
        )
    out.blocked = [f.code for f in out.findings if f.blocking]
    return out


def plan_identity(
    d: MailboxDesire, current: Recipient | None, accepted: frozenset[str] | None
) -> IdentityPlan:
    """Diff one target object against the desire (accepted=None skips the domain checks)."""
    if current is not None and current.is_mailbox:
        if current.exchange_guid == d.exchange_guid:
            return IdentityPlan(state="moved")  # the move completed (or is completing)
        return IdentityPlan(
            state="foreign-mailbox",
            findings=[
                finding(
                    "T2T-E310",
                    "target",
                    d.target,
                    f"{current.recipient_type_details} with ExchangeGuid "
                    f"{current.exchange_guid}, not the source's {d.exchange_guid}",
                    fixed_by_plan=False,
                )
            ],
            blocked=["T2T-E310"],
        )
    out = IdentityPlan(state="absent" if current is None else "mailuser")
    if accepted is not None:
        out.findings += _accepted_findings(d, current, accepted)
    params, changes = _stamp(d, current)
    if current is not None and current.is_dir_synced:
        return _dir_synced(d, current, changes, out)
    if current is None:
        out.create = create_parameters(d)
    else:
        external = _smtp(current.external_email_address).lower()
        if external not in d.source_addresses:
            out.findings.append(
                finding(
                    "T2T-E313",
                    "target",
                    d.target,
                    f"ExternalEmailAddress is {current.external_email_address or 'not set'}; "
                    f"the source's addresses are {', '.join(d.source_addresses)}",
                    fixed_by_plan=False,
                )
            )
        if d.archive_guid is None and current.has_archive:
            out.findings.append(
                finding(
                    "T2T-E316",
                    "target",
                    d.target,
                    f"ArchiveGuid is {current.archive_guid}; the source has no archive",
                    fixed_by_plan=False,
                )
            )
        if current.exchange_guid not in (ZERO_GUID, d.exchange_guid):
            out.findings.append(
                finding(
                    "T2T-E317",
                    "target",
                    d.target,
                    f"ExchangeGuid is {current.exchange_guid}, the source's is {d.exchange_guid}",
                    fixed_by_plan=True,
                )
            )
            out.risk = "disruptive"
    if params:
        identity = current.guid or current.identity if current is not None else d.target
        out.set_params = {"Identity": identity, **params}
        out.changes = changes
    out.blocked = [f.code for f in out.findings if f.blocking]
    return out
