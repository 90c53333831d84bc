"""The key vault domain: the migration app's certificate in Azure Key Vault (keyVaultCertificate
mode; microsoft-t2t.md §3.2). How the chain is planned is shared with the endpoint, which waits
for it and names its certificate: t2t/planner/shared/key_vault.py, resolved once per plan
(`PlanContext.key_vault`). In clientSecret mode it plans nothing.

When t2t cannot read the spec's vault (the gate skips the domain and says which part), a
refusal by Azure — the subscription is not visible to t2t's identity, or its role or the
vault's access policies do not let it read — is a finding too (T2T-E245), with its fix.
"""

from __future__ import annotations

import re

from t2t.planner import kinds as K
from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.planner.context import KEY_VAULT as KEY_VAULT_RESOLUTION
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, DomainOutcome
from t2t.planner.shared.key_vault import vault_desire
from t2t.state import parts as P
from t2t.state.parts import fact_of

register(
    CheckDef(
        "T2T-E245",
        "key-vault-unreachable",
        "error",
        "t2t's identity cannot reach the spec's vault: the subscription is not visible to it, "
        "its Azure role does not allow reading the vault, or the vault's access policies "
        "(or roles) do not let it read certificates",
        "nothing in the Key Vault chain can be checked or created, so the endpoint cannot be "
        "given its certificate: New-MigrationEndpoint needs -AppSecretKeyVaultUrl (ARM: "
        "SubscriptionNotFound / AuthorizationFailed; Key Vault: 403 Forbidden)",
        "Check keyVault.subscriptionId; give t2t's identity (target.auth.clientId) the "
        "Contributor role on the resource group (or the subscription) — Reader for a "
        "read-only plan — and, on an existing vault, an access policy with certificates get, "
        "list, create, update (or the Key Vault Certificates Officer role on an RBAC vault).",
        "Azure RBAC 'Troubleshoot' (AuthorizationFailed), ARM 'Resolve errors for resource "
        "not found' (SubscriptionNotFound); Key Vault 'Troubleshooting Azure Key Vault access "
        "policy issues' (403); t2t/state/permissions.py",
    ),
    scope="organization",
)

#: The refusals that mean t2t's identity, not the service, is the problem (the probes keep
#: ARM's code and the HTTP status in the part's reason: t2t/probes/key_vault.py).
_REFUSED = (
    re.compile(r"AuthorizationFailed|SubscriptionNotFound|InvalidAuthenticationToken\w*"),
    re.compile(r"HTTP 40[13]\b(?: \w+)?"),
)


def plan_key_vault_domain(ctx: PlanContext) -> DomainOutcome:
    chain = ctx.key_vault
    return DomainOutcome(actions=list(chain.actions), findings=list(chain.findings))


def explain_unreachable(ctx: PlanContext) -> list[Finding]:
    """T2T-E245 when Azure refused t2t's identity the spec's vault or its certificates."""
    desire = vault_desire(ctx.desired)
    if desire is None:
        return []
    out: list[Finding] = []
    target = ctx.snapshot.target
    for part, where in (
        (
            P.KEY_VAULT,
            f"subscription {desire.subscription_id}, resource group {desire.resource_group}",
        ),
        (P.VAULT_CERTIFICATES, f"the certificates of vault {desire.name}"),
    ):
        fact = fact_of(target, part)
        if fact is None or fact.status != "unknown":
            continue
        reason = fact.reason or ""
        found = _REFUSED[0].search(reason) or _REFUSED[1].search(reason)
        if found is not None:
            out.append(
                finding(
                    "T2T-E245",
                    "target",
                    desire.name,
                    f"{where}: {found.group(0)} ({fact.reason})",
                    fixed_by_plan=False,
                )
            )
            break  # the certificates are unknown because the vault is: one finding
    return out


KEY_VAULT = Domain(
    name="key_vault",
    source_needs=frozenset(),
    target_needs=frozenset(),
    uses=(KEY_VAULT_RESOLUTION,),
    emits=frozenset(
        {
            K.RESOURCE_GROUP_CREATE,
            K.VAULT_CREATE,
            K.VAULT_ACCESS_GRANT,
            K.CERTIFICATE_CREATE,
            K.KEY_CREDENTIAL_ADD,
        }
    ),
    plan=plan_key_vault_domain,
    explain_blind=explain_unreachable,
)
