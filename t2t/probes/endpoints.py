"""The target's migration endpoints, and whether the spec's one still signs in.

Why test it: the move service signs in to the source with the endpoint's credential at every
step, so an endpoint whose secret was removed from the app or expired fails every move deep
inside the batch with AADSTS7000215 (exo-module-protocol.md "Credentials in time" [live]);
Exchange never shows the secret. `Test-MigrationServerAvailability -Endpoint` signs in with
it without moving anything (Microsoft Learn, cross-tenant mailbox migration: "verify the
migration endpoint … Test-MigrationServerAvailability -Endpoint"; BLOG-2), so one call per
plan tells whether the credential still works.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from t2t.clients import ClientError, ExchangeClient
from t2t.probes import exchange_objects as x
from t2t.probes.readers import cmdlet_fact
from t2t.probes.values import as_str
from t2t.state import Fact
from t2t.state.endpoint_chain import endpoint_chain
from t2t.state.exchange import MigrationEndpoint

#: Entra's refusals of a credential (reference-error-codes): invalid secret, expired secret,
#: no secret at all. Any other failure of the test is another check's business (consent,
#: relationships), not the credential's.
CREDENTIAL_REFUSED = re.compile(r"AADSTS(7000215|7000222|7000218)\b")


async def read_endpoints(
    exchange: ExchangeClient, name: str | None, remote_tenant: str | None = None
) -> Fact[tuple[MigrationEndpoint, ...]]:
    """Get-MigrationEndpoint; the endpoint called ``name``, when it is a cross-tenant one with
    a secret (not a Key Vault certificate), is tested too — with ``remote_tenant`` (the source
    domain), the one in use for that name (its replacement: t2t/state/endpoint_chain.py)."""
    fact = await cmdlet_fact(exchange, "Get-MigrationEndpoint", {}, x.parse_endpoint)
    if fact.status != "present" or not name:
        return fact
    endpoints = list(fact.get())
    if remote_tenant:
        name = endpoint_chain(tuple(endpoints), name, remote_tenant).in_use
    at = next(
        (
            i
            for i, e in enumerate(endpoints)
            if e.identity.lower() == name.lower()
            and e.application_id
            and not e.app_secret_key_vault_url
        ),
        None,
    )
    if at is None:
        return fact
    try:
        out = await exchange.invoke("Test-MigrationServerAvailability", {"Endpoint": name})
    except ClientError as exc:
        return Fact.unknown(f"Test-MigrationServerAvailability failed: {exc}")
    endpoints[at] = with_test(endpoints[at], out.values[0] if out.values else {})
    return Fact.present(tuple(endpoints))


def with_test(endpoint: MigrationEndpoint, record: dict[str, Any]) -> MigrationEndpoint:
    """``endpoint`` with what Test-MigrationServerAvailability's record says of its
    credential (Result, ErrorDetail; an unreadable record refuses nothing)."""
    detail = as_str(record.get("ErrorDetail")) or as_str(record.get("Message")) or ""
    failed = (as_str(record.get("Result")) or "").lower() != "success"
    refused = detail if failed and CREDENTIAL_REFUSED.search(detail) else None
    return dataclasses.replace(endpoint, tested=True, credential_refused=refused)
