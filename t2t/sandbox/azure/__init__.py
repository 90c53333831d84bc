"""The target tenant's Azure as the sandbox emulates it: Azure Resource Manager (subscriptions,
resource groups, ``Microsoft.KeyVault/vaults``, role assignments) and the Key Vault data plane
(certificates and the secrets behind them).

Why: the walkthrough's credential mode keeps the migration app's certificate in a Key Vault and
hands the endpoint ``-AppSecretKeyVaultUrl`` (microsoft-t2t.md §3.2, issue 12). Exchange reads
that certificate at move time, so the vault, its access and the certificate are part of the
migration's state.

Modules: ``model`` (state), ``seed`` (the seed's ``azure:``), ``roles`` (built-in roles and what
they allow), ``caller`` (who a bearer token is), ``errors`` (ARM's and Key Vault's error
bodies), ``arm`` / ``arm_vaults`` / ``arm_roles`` (ARM routes), ``authorization`` (a vault's
data-plane access: access policies or RBAC), ``certificates`` (X.509, PKCS#12 and their JSON),
``vault_routes`` (the data plane under ``/keyvault/{vault}``), ``link`` (whether an endpoint's
``AppSecretKeyVaultUrl`` works for Exchange). Like the rest of the sandbox, nothing here imports
any other part of t2t.
"""
