"""The whole chain for one plan: each object planned (vault.py, certificate.py) and tied
together by its dependencies, and what the endpoint needs from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from t2t.planner.actions import Action
from t2t.planner.checks import Finding
from t2t.planner.domain import present
from t2t.planner.shared.app import EXCHANGE_APP_ID
from t2t.planner.shared.key_vault.certificate import plan_certificate, plan_key_credential
from t2t.planner.shared.key_vault.desire import vault_desire
from t2t.planner.shared.key_vault.vault import plan_access, plan_resource_group, plan_vault
from t2t.planner.shared.rotation import rotation, utc

if TYPE_CHECKING:
    from t2t.planner.shared.app import AppResolution
    from t2t.spec import Desired
    from t2t.state import Snapshot

# --- the chain, for one plan ------------------------------------------------------------------


@dataclass
class KeyVaultChain:
    """The chain's actions and findings, and what the endpoint needs from it."""

    actions: list[Action] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    certificate_url: str | None = None
    """The certificate version the endpoint names (-AppSecretKeyVaultUrl) when nothing in
    the chain replaces it; None: known after apply."""
    waits_for: tuple[str, ...] = ()
    """The chain's actions an endpoint write waits for."""
    blocked_by: tuple[str, ...] = ()
    """What blocks an endpoint write: the chain's unfixable findings and blocked actions."""


def exchange_object_id(snapshot: Snapshot) -> str | None:
    """Office 365 Exchange Online's service principal in the target (its object id)."""
    sps = present(snapshot.target.service_principals)
    exo = next((s for s in sps if s.app_id == EXCHANGE_APP_ID), None)
    return exo.id.lower() if exo is not None else None


def read_at(snapshot: Snapshot) -> dt.datetime | None:
    return utc(snapshot.read_at) if snapshot.read_at else None


def plan_key_vault(
    desired: Desired, snapshot: Snapshot, app: AppResolution, *, rotate: bool = False
) -> KeyVaultChain:
    """The whole chain for this plan; empty in clientSecret mode. `rotate`
    (--rotate-credential): the certificate's current version is replaced now."""
    chain = KeyVaultChain()
    desire = vault_desire(desired)
    if desire is None:
        return chain
    groups = present(snapshot.target.key_vault)
    certs = present(snapshot.target.vault_certificates)
    vault = next((g.vault for g in groups if g.vault is not None), None)
    cert = next((c for c in certs if c.name.lower() == desire.certificate_name.lower()), None)
    now = read_at(snapshot)

    def add(action: Action | None, depends: list[str], blocked: tuple[str, ...] = ()) -> str | None:
        if action is None:
            return None
        chain.actions.append(
            action.model_copy(
                update={
                    "depends_on": tuple(dict.fromkeys(d for d in depends if d)),
                    "blocked_by": tuple(dict.fromkeys(blocked)),
                }
            )
        )
        return action.id

    group_id = add(plan_resource_group(desire, groups), [])
    vault_id = add(plan_vault(desire, groups), [group_id or ""])
    access = plan_access(desire, vault, exchange_object_id(snapshot))
    chain.findings.extend(access.findings)
    access_id = add(access.action, [vault_id or ""])
    replaces = (cert.current.version,) if rotate and cert is not None and cert.current else None
    wanted = rotation(desired.relationship.endpoint.rotate_before, replaces)
    certificate = plan_certificate(desire, cert, now, wanted)
    chain.findings.extend(certificate.findings)
    cert_id = add(certificate.action, [vault_id or ""])
    current = cert.current if cert is not None and certificate.action is None else None
    registered = next(
        (a for a in present(snapshot.target.applications) if app.app_id and a.app_id == app.app_id),
        None,
    )
    key = plan_key_credential(
        desire,
        app.desire,
        registered,
        current,
        app_key=app.desire.display_name or app.desire.app_id or app.shown_id,
    )
    chain.findings.extend(key.findings)
    key_id = add(key.action, [cert_id or "", *app.depends_on], app.blocked_by)
    chain.certificate_url = current.id if current is not None else None
    chain.waits_for = tuple(i for i in (access_id, cert_id, key_id) if i)
    chain.blocked_by = tuple(dict.fromkeys((*access.blocked, *app.blocked_by)))
    return chain
