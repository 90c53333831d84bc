"""Access tokens: RS256 JWTs signed by the sandbox's own key.

Why JWTs and not opaque strings: t2t's Exchange and ARM paths decode ``tid`` from the
token (wire-protocols.md §0.4, §3.3), and the sandbox's Exchange surface checks
``aud``, ``tid`` and ``roles`` exactly as §1.5/§1.7 describe. Claims follow Entra's v1
app-only access token (``iss`` = ``https://sts.windows.net/{tid}/``, ``appid``; ``azp``
is the v2 name of the same thing and is included too), see
https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from t2t.sandbox.ca import persistent_rsa_key

TOKEN_LIFETIME = 3599
"""Seconds; Entra answers ``expires_in: 3599`` for app-only tokens (§3.3)."""


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class TokenClaims:
    """The claims the sandbox's resource servers rely on."""

    tid: str
    appid: str
    aud: str
    roles: tuple[str, ...]
    oid: str
    exp: int
    wids: tuple[str, ...] = ()
    """Template ids of the principal's directory roles (access-token-claims-reference)."""
    scp: tuple[str, ...] = ()
    """Delegated scopes: set only in a token issued to a signed-in user (device_flow.py)."""
    upn: str = ""
    """The signed-in user's UPN in a delegated token; empty in an app-only one."""

    @property
    def delegated(self) -> bool:
        """A user signed in (``scp``), rather than an app on its own (``roles``)."""
        return bool(self.scp)


@dataclass(frozen=True)
class DelegatedUser:
    """Who a delegated token speaks for, and the scopes it was granted."""

    upn: str
    name: str
    scopes: tuple[str, ...]


class TokenError(ValueError):
    """The bearer token is not one this sandbox issued, or is no longer valid."""


class TokenSigner:
    """Issues and verifies the sandbox's tokens with one persisted RSA key."""

    def __init__(self, state_dir: Path) -> None:
        path = state_dir / "token-signing-key.pem"
        self._key = persistent_rsa_key(path)
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()  # noqa: S324 - key id, not security

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWKS document (``jwks_uri`` of the OIDC metadata)."""
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "x5t": self.kid,
                    "n": _b64url_uint(numbers.n),
                    "e": _b64url_uint(numbers.e),
                }
            ]
        }

    def issue(
        self,
        *,
        tenant_id: str,
        client_id: str,
        audience: str,
        roles: list[str],
        oid: str,
        wids: list[str] | None = None,
        user: DelegatedUser | None = None,
    ) -> str:
        """An app-only token, or with `user` a delegated one: Entra's v1 delegated token has
        ``scp`` (space-separated), ``upn``, ``unique_name``, ``name``, the user's ``oid`` and
        ``idtyp`` "user", and no ``roles`` (access-token-claims-reference)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "aio": "sandbox",
            "appid": client_id,
            "appidacr": "1",
            "azp": client_id,
            "idp": f"https://sts.windows.net/{tenant_id}/",
            "idtyp": "app",
            "oid": oid,
            "sub": oid,
            "tid": tenant_id,
            "uti": uuid.uuid4().hex[:22],
            "ver": "1.0",
        }
        if roles:
            claims["roles"] = list(roles)
        if user is not None:
            claims.update(
                idtyp="user",
                scp=" ".join(user.scopes),
                upn=user.upn,
                unique_name=user.upn,
                name=user.name,
                appidacr="0",  # a public client: no client authentication
            )
        if wids:
            claims["wids"] = list(wids)
        headers = {"kid": self.kid, "x5t": self.kid}
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    def id_token(
        self, *, issuer: str, client_id: str, tenant_id: str, oid: str, upn: str, name: str
    ) -> str:
        """An OpenID Connect ID token (v2.0): MSAL reads the account from it and checks ``iss``
        against the metadata's issuer and ``aud`` against its client id (msal/oauth2cli/
        oidc.py decode_id_token); claims from Learn, id-token-claims-reference."""
        now = int(time.time())
        claims = {
            "aud": client_id,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "name": name,
            "oid": oid,
            "preferred_username": upn,
            "sub": oid,
            "tid": tenant_id,
            "ver": "2.0",
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def verify(self, token: str) -> TokenClaims:
        """Check signature and lifetime; audience and tenant are the resource's business."""
        try:
            data = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False, "require": ["exp", "tid", "aud", "appid"]},
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        return TokenClaims(
            tid=str(data["tid"]),
            appid=str(data["appid"]),
            aud=str(data["aud"]),
            roles=tuple(str(r) for r in data.get("roles", [])),
            oid=str(data.get("oid", "")),
            exp=int(data["exp"]),
            wids=tuple(str(w) for w in data.get("wids", [])),
            scp=tuple(str(data.get("scp", "")).split()),
            upn=str(data.get("upn", "")),
        )
