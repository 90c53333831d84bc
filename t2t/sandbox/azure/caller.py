"""Who a bearer token is, for ARM and for the Key Vault data plane.

The token endpoint (identity.py) issues the sandbox's RS256 tokens with ``aud``, ``tid``,
``appid`` and ``oid`` (the service principal's object id in ``tid``), as Entra's app-only
tokens carry them (access-token-claims-reference). ARM and Key Vault authorize by ``oid`` and
``tid``: role assignments name the principal by object id, access policies by tenant and object
id (https://learn.microsoft.com/azure/key-vault/general/assign-access-policy).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from t2t.sandbox.azure.errors import AzureError
from t2t.sandbox.tokens import TokenClaims, TokenError, TokenSigner

ARM_AUDIENCES = frozenset(
    {
        "https://management.azure.com",
        "https://management.azure.com/",
        "https://management.core.windows.net",
        "https://management.core.windows.net/",
    }
)
"""The audiences ARM accepts (its InvalidAuthenticationTokenAudience text lists them)."""

VAULT_AUDIENCES = frozenset({"https://vault.azure.net", "https://vault.azure.net/"})


@dataclass(frozen=True)
class Caller:
    claims: TokenClaims

    @property
    def oid(self) -> str:
        return self.claims.oid.lower()

    @property
    def tid(self) -> str:
        return self.claims.tid.lower()

    @property
    def appid(self) -> str:
        return self.claims.appid.lower()


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return None
    return auth[7:].strip() or None


def _arm_unauthorized(code: str, message: str, description: str) -> AzureError:
    return AzureError(
        401,
        code,
        message,
        headers={
            "WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/", '
            f'error="invalid_token", error_description="{description}"'
        },
    )


def arm_caller(request: Request, signer: TokenSigner) -> Caller:
    """The caller of an ARM request, or ARM's 401 (texts as ARM answers them, e.g.
    Azure/azure-cli issues quoting AuthenticationFailed / InvalidAuthenticationToken /
    InvalidAuthenticationTokenAudience)."""
    token = bearer(request)
    if token is None:
        raise _arm_unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            "The authentication failed because of missing 'Authorization' header.",
        )
    try:
        claims = signer.verify(token)
    except TokenError as exc:
        raise _arm_unauthorized(
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            "The access token is invalid.",
        ) from exc
    if claims.aud not in ARM_AUDIENCES:
        raise _arm_unauthorized(
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource '{claims.aud}'. "
            "It should exactly match with one of the allowed audiences "
            "'https://management.core.windows.net/','https://management.core.windows.net',"
            "'https://management.azure.com/','https://management.azure.com'.",
            "The access token has been obtained for wrong audience or resource.",
        )
    return Caller(claims)
