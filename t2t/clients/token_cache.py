"""Where a person's sign-in is kept between runs: an MSAL token cache, encrypted at rest.

msal-extensions' `PersistedTokenCache` keeps MSAL's cache in one file, reloaded when another
process changed it and guarded by a file lock. What protects the refresh token in it:

- `keyring` (the default): msal-extensions' `build_encrypted_persistence` — DPAPI on Windows,
  the Keychain on macOS, libsecret (the Secret Service: GNOME Keyring, KWallet) on Linux;
- `passphrase`: the operator's passphrase (T2T_TOKEN_CACHE_KEY) through scrypt and AES-GCM, for
  a machine without a keyring (a headless Linux server has no Secret Service);
- `plaintext`: a file only its owner may read (0600), only when asked for by name, with a
  warning on every run.

Never silently plaintext: without a keyring and neither of the others, `open_cache` refuses
and says which fix to take.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from msal_extensions import FilePersistence, PersistedTokenCache, build_encrypted_persistence
from msal_extensions.persistence import BasePersistence, PersistenceNotFound

from t2t.clients.errors import ClientError

Mode = Literal["keyring", "passphrase", "plaintext"]

#: The header of a passphrase-encrypted cache file, bound into AES-GCM as associated data.
_MAGIC = b"t2t-token-cache-v1\n"
_SALT = 16
_NONCE = 12
#: scrypt's interactive-login cost (cryptography's Scrypt docs: n=2**14 for interactive use;
#: one step up, as the file outlives the run).
_SCRYPT_N = 2**15


class TokenCacheError(ClientError):
    """The token cache cannot be opened, read or protected; the message says what to do."""


@dataclass(frozen=True)
class CacheSettings:
    """How the token cache is kept (chosen by the CLI from the environment)."""

    path: Path
    mode: Mode = "keyring"
    passphrase: str | None = field(default=None, repr=False)


class PassphrasePersistence(BasePersistence):  # type: ignore[misc]
    """msal-extensions' persistence interface over one file sealed with AES-GCM under a key
    derived from a passphrase by scrypt. The salt is kept in the file (one key derivation per
    process); every save has a new nonce and replaces the file atomically, mode 0600."""

    is_encrypted = True

    def __init__(self, location: Path, passphrase: str) -> None:
        self._location = location
        self._passphrase = passphrase.encode("utf-8")
        self._keys: dict[bytes, AESGCM] = {}
        location.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _aead(self, salt: bytes) -> AESGCM:
        if salt not in self._keys:
            kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=8, p=1)
            self._keys[salt] = AESGCM(kdf.derive(self._passphrase))
        return self._keys[salt]

    def _salt(self) -> bytes:
        try:
            data = self._location.read_bytes()
        except FileNotFoundError:
            return secrets.token_bytes(_SALT)
        if data.startswith(_MAGIC):
            return data[len(_MAGIC) : len(_MAGIC) + _SALT]
        return secrets.token_bytes(_SALT)

    def save(self, content: str) -> None:
        salt, nonce = self._salt(), secrets.token_bytes(_NONCE)
        sealed = self._aead(salt).encrypt(nonce, content.encode("utf-8"), _MAGIC)
        temporary = self._location.with_name(self._location.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_MAGIC + salt + nonce + sealed)
        os.replace(temporary, self._location)

    def load(self) -> str:
        try:
            data = self._location.read_bytes()
        except FileNotFoundError:
            raise PersistenceNotFound(location=str(self._location)) from None
        if not data.startswith(_MAGIC):
            raise TokenCacheError(
                f"{self._location} is not a token cache t2t sealed with a passphrase; move it "
                "away (or unset T2T_TOKEN_CACHE_KEY if it is a keyring or plaintext cache)"
            )
        body = data[len(_MAGIC) :]
        salt, nonce, sealed = body[:_SALT], body[_SALT : _SALT + _NONCE], body[_SALT + _NONCE :]
        try:
            return self._aead(salt).decrypt(nonce, sealed, _MAGIC).decode("utf-8")
        except InvalidTag:
            raise TokenCacheError(
                f"cannot open the token cache {self._location} with T2T_TOKEN_CACHE_KEY (another "
                "passphrase sealed it); give that passphrase, or delete the file and sign in "
                "again"
            ) from None

    def time_last_modified(self) -> float:
        try:
            return self._location.stat().st_mtime
        except FileNotFoundError:
            raise PersistenceNotFound(location=str(self._location)) from None

    def get_location(self) -> str:
        return str(self._location)


#: What the operator may do when no keyring can hold the cache.
NO_KEYRING_FIX = (
    "install and unlock a Secret Service (e.g. gnome-keyring with libsecret and PyGObject: "
    "apt install gir1.2-secret-1 python3-gi), or set T2T_TOKEN_CACHE_KEY to a passphrase to "
    "seal the cache with it, or set T2T_TOKEN_CACHE=plaintext to keep it in a file only you "
    "can read"
)


def _keyring(path: Path) -> Any:
    try:
        return build_encrypted_persistence(str(path))
    except Exception as exc:  # ImportError (no gi), libsecret's own errors: all one answer
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TokenCacheError(
            f"cannot encrypt the sign-in token cache: no OS keyring here ({reason}); "
            + NO_KEYRING_FIX
        ) from None


def open_cache(settings: CacheSettings, warn: Callable[[str], None]) -> PersistedTokenCache:
    """MSAL's token cache for a person's sign-in, kept as `settings` says."""
    persistence: Any
    if settings.mode == "passphrase":
        if not settings.passphrase:
            raise TokenCacheError("T2T_TOKEN_CACHE_KEY is empty: give the cache a passphrase")
        persistence = PassphrasePersistence(settings.path, settings.passphrase)
    elif settings.mode == "plaintext":
        warn(
            f"warning: the sign-in token cache {settings.path} is not encrypted (mode 0600, "
            "T2T_TOKEN_CACHE=plaintext): anyone who can read it as you can act as you"
        )
        persistence = FilePersistence(str(settings.path))
    else:
        persistence = _keyring(settings.path)
    return PersistedTokenCache(persistence)
