"""The parts of a tenant t2t reads: one `Part` per probed object, named once.

pyinfra's facts are the model (a fact is one object, named once): the snapshot's fields, the
probe request, the read-permission manifest and the planner domains' needs all come from this
registry, so a domain naming a part that does not exist fails at import (an AttributeError on
this module), and the probes' registry of readers is checked against it at import
(t2t/probes/parts.py). Which tenants a part is read from follows from what the planner
compares there (microsoft-t2t.md §1–§4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from t2t.state.model import Role, TenantState
from t2t.state.permissions import (
    AZURE_VAULT_READ,
    EXCHANGE_READ,
    KEY_VAULT_CERTIFICATE_READ,
    Permission,
    Service,
    graph,
    union,
)
from t2t.state.presence import Fact


@dataclass(frozen=True)
class Part:
    """One probed object: its snapshot field, the tenants it is read from, the service that
    holds it and the permissions reading it needs."""

    name: str
    roles: frozenset[Role]
    service: Service | None
    """None: read from t2t's own tokens, not from an API."""
    read_needs: tuple[Permission, ...]
    always: bool = False
    """Read on every run, whatever the planner asks for (the basis of every plan)."""

    def __str__(self) -> str:
        return self.name


BOTH: frozenset[Role] = frozenset({"source", "target"})
SOURCE: frozenset[Role] = frozenset({"source"})
TARGET: frozenset[Role] = frozenset({"target"})

ORGANIZATION = Part("organization", BOTH, "exchange", EXCHANGE_READ, always=True)
RELATIONSHIPS = Part("relationships", BOTH, "exchange", EXCHANGE_READ, always=True)
IDENTITY_ROLES = Part("identity_roles", BOTH, None, (), always=True)
#: The tenant's OpenID configuration (anonymous, the document MSAL reads at sign-in): its cloud.
CLOUD = Part("cloud", BOTH, None, (), always=True)
ACCEPTED_DOMAINS = Part("accepted_domains", TARGET, "exchange", EXCHANGE_READ)
ENDPOINTS = Part("endpoints", TARGET, "exchange", EXCHANGE_READ)
GROUPS = Part("groups", SOURCE, "exchange", EXCHANGE_READ)
GROUP_MEMBERS = Part("group_members", SOURCE, "exchange", EXCHANGE_READ)
RECIPIENTS = Part("recipients", BOTH, "exchange", EXCHANGE_READ)
PREVIOUS_MAILBOXES = Part("previous_mailboxes", TARGET, "exchange", EXCHANGE_READ)
STATISTICS = Part("statistics", SOURCE, "exchange", EXCHANGE_READ)
SUBSTRATE_HOLDS = Part("substrate_holds", SOURCE, "exchange", EXCHANGE_READ)
MOVE_REQUESTS = Part("move_requests", SOURCE, "exchange", EXCHANGE_READ)
REMOVED_MAILBOXES = Part("removed_mailboxes", SOURCE, "exchange", EXCHANGE_READ)
MAILBOX_PERMISSIONS = Part("mailbox_permissions", SOURCE, "exchange", EXCHANGE_READ)
SEND_AS = Part("send_as", SOURCE, "exchange", EXCHANGE_READ)
CALENDAR_PERMISSIONS = Part("calendar_permissions", SOURCE, "exchange", EXCHANGE_READ)
MEMBERSHIPS = Part("memberships", SOURCE, "exchange", EXCHANGE_READ)
#: The module file Exchange generates for t2t's identity (EXOModuleFile): the parameters RBAC
#: lets it pass to the cmdlets it stamps with (t2t/probes/session_cmdlets.py).
SESSION_CMDLETS = Part("session_cmdlets", TARGET, "exchange", EXCHANGE_READ)
BATCHES = Part("batches", TARGET, "exchange", EXCHANGE_READ)
MIGRATION_USERS = Part("migration_users", TARGET, "exchange", EXCHANGE_READ)
DOMAINS = Part("domains", TARGET, "graph", (graph("Domain.Read.All"),))
SKUS = Part("skus", TARGET, "graph", (graph("Organization.Read.All"),))
APPLICATIONS = Part("applications", TARGET, "graph", (graph("Application.Read.All"),))
SERVICE_PRINCIPALS = Part("service_principals", BOTH, "graph", (graph("Application.Read.All"),))
APP_ROLE_ASSIGNMENTS = Part("app_role_assignments", BOTH, "graph", (graph("Application.Read.All"),))
USERS = Part("users", TARGET, "graph", (graph("User.Read.All"),))
#: keyVaultCertificate mode only (the probes read them when the spec asks for that credential:
#: `ProbeRequest.key_vault`): the target subscription's resource group and vault (ARM), and the
#: certificate in that vault (the Key Vault data plane).
KEY_VAULT = Part("key_vault", TARGET, "azure", AZURE_VAULT_READ)
VAULT_CERTIFICATES = Part("vault_certificates", TARGET, "azure", KEY_VAULT_CERTIFICATE_READ)

PARTS: tuple[Part, ...] = (
    ORGANIZATION,
    RELATIONSHIPS,
    IDENTITY_ROLES,
    CLOUD,
    ACCEPTED_DOMAINS,
    ENDPOINTS,
    GROUPS,
    GROUP_MEMBERS,
    RECIPIENTS,
    PREVIOUS_MAILBOXES,
    STATISTICS,
    SUBSTRATE_HOLDS,
    MOVE_REQUESTS,
    REMOVED_MAILBOXES,
    MAILBOX_PERMISSIONS,
    SEND_AS,
    CALENDAR_PERMISSIONS,
    MEMBERSHIPS,
    SESSION_CMDLETS,
    BATCHES,
    MIGRATION_USERS,
    DOMAINS,
    SKUS,
    APPLICATIONS,
    SERVICE_PRINCIPALS,
    APP_ROLE_ASSIGNMENTS,
    USERS,
    KEY_VAULT,
    VAULT_CERTIFICATES,
)
BY_NAME: dict[str, Part] = {p.name: p for p in PARTS}


def _fact_fields() -> set[str]:
    return {f.name for f in fields(TenantState) if f.name not in ("role", "tenant_id")}


if set(BY_NAME) != _fact_fields() or len(BY_NAME) != len(PARTS):  # pragma: no cover
    raise ImportError(
        "t2t.state.parts and TenantState disagree: parts "
        f"{sorted(set(BY_NAME) ^ _fact_fields())} are in one and not the other"
    )


def read_from(role: Role) -> frozenset[Part]:
    """Every part read from this tenant (what `t2t show` reads)."""
    return frozenset(p for p in PARTS if role in p.roles)


def needed_to_read(parts: Iterable[Part]) -> tuple[Permission, ...]:
    """The read-permission manifest of some parts, sorted and de-duplicated."""
    return union(*(p.read_needs for p in parts))


def fact_of(tenant: TenantState, part: Part) -> Fact[Any] | None:
    """The part's fact in this tenant's snapshot; None when it was not read."""
    value = getattr(tenant, part.name)
    return value if isinstance(value, Fact) else None
