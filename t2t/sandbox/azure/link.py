"""Whether a migration endpoint's ``AppSecretKeyVaultUrl`` works: the link from Exchange Online to
the certificate in the target's Key Vault, and from the certificate to the migration app.

What Exchange needs, in the order it needs it (microsoft-t2t.md §3.2; SetupCrossTenantRelationship
ForTargetTenant.ps1 and VerifySetupDeprecated.ps1 of microsoft/cross-tenant):

1. the URL in Microsoft's form — VerifySetupDeprecated.ps1's regular expressions, unchanged
   (``URL_PATTERNS``);
2. the vault exists in the target tenant's Azure ("KeyVault: <name> not found", the script's
   words);
3. Office 365 Exchange Online's service principal in the target tenant may read the
   certificate's secret (its private key): an access policy with secrets ``get`` — the script
   grants secrets and certificates ``get, list`` — or, on an RBAC vault, a role with
   ``secrets/getSecret/action``; refused with Key Vault's own 403 text (authorization.py);
4. the version exists and is enabled (Key Vault's SecretNotFound / "Operation get is not
   allowed on a disabled secret.") and is within its validity;
5. the migration app trusts that certificate: one of its ``keyCredentials`` is the same
   certificate (Entra finds the key by the assertion's ``x5t`` thumbprint), has propagated and
   has not ended — otherwise Entra's AADSTS700027, "The key was not found" as the sandbox's
   token endpoint answers it (assertions.py) or "The key used is expired" (``_expired``) —
   and has begun (AADSTS700024, assumed).

New-/Set-MigrationEndpoint check this when given ``-AppSecretKeyVaultUrl`` (unless
``-SkipVerification``) and the move service at every step that signs in (moves/credentials.py).
Which exception Exchange wraps these in is not public (README, open questions).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from t2t.sandbox.azure.authorization import data_plane_refusal
from t2t.sandbox.azure.model import CertificateVersion
from t2t.sandbox.model import Application, KeyCredential, Tenant
from t2t.sandbox.msapps import EXCHANGE_APP_ID

URL_PATTERNS = (
    re.compile(
        r"^https://[a-zA-Z_0-9\-]+\.vault\.azure.net(:443){0,1}/certificates/[a-zA-Z_0-9\-]+/"
        r"[a-zA-Z_0-9]+$"
    ),
    re.compile(
        r"^https://[a-zA-Z_0-9]+\.vault\.azure.us(:443){0,1}/certificates/[a-zA-Z_0-9]+/"
        r"[a-zA-Z_0-9]+$"
    ),
)
"""VerifySetupDeprecated.ps1's ``-cmatch`` patterns (case-sensitive), worldwide and US Gov."""

URL_FORMAT_TEXT = (
    "Please make sure key vault url matches format specified here: https://docs.microsoft.com/"
    "en-us/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-object-name"
)
"""VerifySetupDeprecated.ps1's refusal of a URL that does not match."""


def url_is_valid(url: str) -> bool:
    return any(p.match(url) for p in URL_PATTERNS)


@dataclass(frozen=True)
class CertificateUrl:
    vault: str
    certificate: str
    version: str


def parse_url(url: str) -> CertificateUrl | None:
    if not url_is_valid(url):
        return None
    host, _, path = url.removeprefix("https://").partition("/")
    _, name, version = path.split("/")
    return CertificateUrl(host.split(".", 1)[0], name, version)


@dataclass(frozen=True)
class LinkProblem:
    """Why the link is broken: ``kind`` "vault" (Key Vault refused or lacks it) or "sign-in"
    (Entra refused the certificate: ``code`` is the AADSTS number)."""

    kind: str
    text: str
    code: int | None = None


def _unknown_key(thumbprint: bytes, app_id: str) -> LinkProblem:
    kid = base64.urlsafe_b64encode(thumbprint).decode().rstrip("=")
    return LinkProblem(
        "sign-in",
        "The certificate with identifier used to sign the client assertion is not registered "
        f"on application. [Reason - The key was not found., Thumbprint of key used by client: "
        f"'{kid}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
        f"configured keys for app Id '{app_id}'.]",
        700027,
    )


def _expired(thumbprint: bytes, key: KeyCredential, app_id: str) -> LinkProblem:
    """Entra's answer to an assertion signed with a certificate whose key credential has ended
    (its end is never past the certificate's: Graph refuses that), verbatim from
    microsoft/azure-tools-for-java #2785 — "AADSTS700027: Client assertion contains an invalid
    signature. [Reason - The key used is expired., Thumbprint of key used by client: '<SHA-1
    hex>', Found key 'Start=01/28/2018 16:00:00, End=01/28/2019 16:00:00', …]" — with the
    pointer to the app's keys the not-found text has."""
    found = (
        f"Start={key.start_date_time:%m/%d/%Y %H:%M:%S}, End={key.end_date_time:%m/%d/%Y %H:%M:%S}"
    )
    return LinkProblem(
        "sign-in",
        "Client assertion contains an invalid signature. [Reason - The key used is expired., "
        f"Thumbprint of key used by client: '{thumbprint.hex().upper()}', Found key '{found}', "
        "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
        f"configured keys for app Id '{app_id}'.]",
        700027,
    )


_NOT_YET_VALID = LinkProblem(
    "sign-in", "Client assertion is not within its valid time range.", 700024
)
"""A certificate or key whose validity has not begun (Entra's text for that case is not public;
AADSTS700024 is its code for an assertion outside its valid time: assumed)."""


def link_problem(
    target: Tenant, app: Application | None, url: str, now: dt.datetime
) -> LinkProblem | None:
    """None when Exchange Online in ``target`` can read the certificate ``url`` names and sign in
    as ``app`` (the -ApplicationId registration) with it, at ``now`` (sandbox clock)."""
    parsed = parse_url(url)
    if parsed is None:
        return LinkProblem("vault", URL_FORMAT_TEXT)
    vault = target.azure.vault(parsed.vault)
    if vault is None or vault.provisioning_state(now) != "Succeeded":
        return LinkProblem("vault", f"KeyVault: {parsed.vault} not found")
    exchange = target.service_principal(EXCHANGE_APP_ID)
    if exchange is None:
        return LinkProblem(
            "vault", f"Exchange does not have any permissions on the KeyVault [{vault.name}]"
        )
    refused = data_plane_refusal(
        target.azure,
        vault,
        oid=exchange.id,
        tid=target.tenant_id,
        appid=EXCHANGE_APP_ID,
        kind="secrets",
        permission="get",
        object_name=parsed.certificate,
    )
    if refused is not None:
        return LinkProblem("vault", refused.message)
    cert = vault.certificate(parsed.certificate)
    version = cert.version(parsed.version, now) if cert else None
    if cert is None or version is None:
        return LinkProblem(
            "vault",
            f"A secret with (name/id) {parsed.certificate}/{parsed.version} was not found in this "
            "key vault. If you recently deleted this secret you may be able to recover it using "
            "the correct recovery command. For help resolving this issue, please see "
            "https://go.microsoft.com/fwlink/?linkid=2125182",
        )
    if not version.enabled:
        return LinkProblem("vault", "Operation get is not allowed on a disabled secret.")
    return _sign_in_problem(version, app, now)


def _sign_in_problem(
    version: CertificateVersion, app: Application | None, now: dt.datetime
) -> LinkProblem | None:
    der = base64.b64decode(version.cer)
    thumbprint = hashlib.sha1(der).digest()  # noqa: S324 - x5t is SHA-1 (RFC 7515)
    if app is None:
        return _unknown_key(thumbprint, "")
    for key in app.key_credentials:
        if key.type != "AsymmetricX509Cert" or base64.b64decode(key.key) != der:
            continue
        if key.usable_from is not None and now < key.usable_from:
            break  # still propagating: not found yet, as the token endpoint says
        if now >= key.end_date_time or now >= version.expires:
            return _expired(thumbprint, key, app.app_id)
        if now < key.start_date_time or now < version.not_before:
            return _NOT_YET_VALID
        return None
    return _unknown_key(thumbprint, app.app_id)
