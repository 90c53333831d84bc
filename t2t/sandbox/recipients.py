"""Exchange-side attributes of a directory user: what makes it a mailbox or a mail user.

One directory object is both an Entra user (Graph, `model.User`) and, when it has an
Exchange presence, a recipient (Get-Mailbox / Get-MailUser / Get-Recipient). The Graph
surface owns `model.User`; the Exchange surface owns this module. Fields follow the
properties Exchange returns (microsoft-t2t.md §4, §10.2; Get-Mailbox / Get-MailUser reference).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


class Recipient(BaseModel):
    """A user's Exchange recipient. `recipient_type_details` says which kind it is."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    recipient_type_details: str = Field(
        description="UserMailbox, MailUser, SharedMailbox, … (Get-Recipient)."
    )
    exchange_guid: str = ZERO_GUID
    archive_guid: str = ZERO_GUID
    legacy_exchange_dn: str = ""
    primary_smtp_address: str = ""
    email_addresses: list[str] = Field(
        default_factory=list, description='Proxy addresses, "SMTP:" primary, "smtp:", "X500:".'
    )
    external_email_address: str | None = None
    alias: str = ""
    name: str = ""
