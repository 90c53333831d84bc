"""What one target MailUser must hold: the spec's mailbox plus the source facts it copies.

Carried in each action's ``desired`` so an executor can re-plan its object from a fresh read
of the *target* alone. The source facts (ExchangeGuid, ArchiveGuid, LegacyExchangeDN, x500s,
addresses) are those the plan was made with: a mailbox's GUIDs and LegacyExchangeDN never
change while it exists, and a saved plan's staleness check re-reads the source anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from t2t.state.exchange import Recipient

#: The Cross Tenant User Data Migration add-on (microsoft-t2t.md §2, [KEVINSTREET] 1×3P).
T2T_SKU_PART = "cross_tenant_user_data_migration"
T2T_SKU_ID = "946ce899-873d-44bb-9d8b-671870cbfdbf"
#: Exchange's name for the licence's capability (CSS-VAL).
T2T_CAPABILITY = "exchanget2tmbxmove"
#: Exchange's limit on a recipient Name.
NAME_MAX = 64


@dataclass(frozen=True)
class MailboxDesire:
    source: str
    target: str
    upn: str
    name: str
    display_name: str
    target_delivery_domain: str | None
    exchange_guid: str
    archive_guid: str | None  # None: the source has no archive
    x500s: tuple[str, ...]  # X500:<LegacyExchangeDN> first, then every source x500, deduped
    source_addresses: tuple[str, ...]  # lower-case SMTP addresses of the source
    external_email_address: str  # the source's primary SMTP address
    usage_location: str | None
    license_sku_ids: tuple[str, ...]
    x400s: tuple[str, ...] = ()
    """The source's X400 proxies: "not a requirement for the move to complete, it is
    recommended that you also stamp this address on the target mail user object" (Learn FAQ
    "What X500 proxy should be added to the target MailUser proxy addresses to enable
    migration?"). Left out of `to_dict` when there are none, so saved plans stay as they were."""

    @property
    def key(self) -> str:
        return self.target.lower()

    @property
    def delivery_proxy(self) -> str | None:
        """The proxy MRS needs in the batch's TargetDeliveryDomain (microsoft-t2t.md §4, §6)."""
        if not self.target_delivery_domain:
            return None
        return f"{self.target.split('@', 1)[0]}@{self.target_delivery_domain}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples as lists); by hand, since dataclasses.asdict deep-copies every
        value and cost a third of a 10,000-mailbox plan."""
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in vars(self).items()
            if k != "x400s" or v
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MailboxDesire:
        values = dict(data)
        for name in ("x500s", "source_addresses", "license_sku_ids", "x400s"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


def source_x500s(source: Recipient) -> tuple[str, ...]:
    """X500:<LegacyExchangeDN> and every x500 proxy, case-insensitively unique, in order."""
    out: list[str] = []
    seen: set[str] = set()
    candidates = [f"X500:{source.legacy_exchange_dn}"] if source.legacy_exchange_dn else []
    candidates += ["X500:" + a.split(":", 1)[1] for a in source.x500s]
    for address in candidates:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return tuple(out)


def source_x400s(source: Recipient) -> tuple[str, ...]:
    """Every X400 proxy of the source, case-insensitively unique, in order, as it is."""
    out: dict[str, str] = {}
    for address in source.email_addresses:
        if address.lower().startswith("x400:"):
            out.setdefault(address.lower(), address)
    return tuple(out.values())


def mailbox_name(source: Recipient, target: str, taken: set[str]) -> str:
    """-Name of New-MailUser: the source's display name, unless a target recipient already
    uses it (Name is unique in a tenant); then the target address, which is unique too."""
    name = (source.display_name or source.identity or target)[:NAME_MAX].strip()
    if not name or name.lower() in taken:
        return target[:NAME_MAX]
    return name
