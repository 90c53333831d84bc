"""The sign-in token cache (t2t/clients/token_cache.py) through msal-extensions' own
PersistedTokenCache: sealed with a passphrase, or plaintext only when asked, with a warning."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from t2t.clients.token_cache import CacheSettings, TokenCacheError, open_cache

SECRET = "not-a-real-access-token-0123456789"
ENTRY = {
    "credential_type": "AccessToken",
    "secret": SECRET,
    "home_account_id": "uid.utid",
    "environment": "login.example",
    "client_id": "client",
    "target": "scope",
    "realm": "utid",
    "expires_on": "4102444800",  # 2100: MSAL drops an expired access token when it reads
}


def _store(cache: Any) -> None:
    cache.modify(cache.CredentialType.ACCESS_TOKEN, ENTRY, ENTRY)


def _secrets(cache: Any) -> list[str]:
    return [e["secret"] for e in cache.search(cache.CredentialType.ACCESS_TOKEN)]


def test_a_passphrase_seals_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "t2t" / "cache.bin"
    warnings: list[str] = []
    settings = CacheSettings(path, "passphrase", "a passphrase of mine")
    _store(open_cache(settings, warnings.append))
    data = path.read_bytes()
    assert data.startswith(b"t2t-token-cache-v1\n") and SECRET.encode() not in data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and warnings == []
    assert _secrets(open_cache(settings, warnings.append)) == [SECRET]

    other = CacheSettings(path, "passphrase", "someone else's")
    with pytest.raises(TokenCacheError, match="another passphrase sealed it"):
        _secrets(open_cache(other, warnings.append))


def test_plaintext_only_when_asked_and_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "t2t" / "cache.json"
    warnings: list[str] = []
    _store(open_cache(CacheSettings(path, "plaintext"), warnings.append))
    assert warnings == [
        f"warning: the sign-in token cache {path} is not encrypted (mode 0600, "
        "T2T_TOKEN_CACHE=plaintext): anyone who can read it as you can act as you"
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SECRET in path.read_text()  # what plaintext means: hence the warning


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenCacheError, match="T2T_TOKEN_CACHE_KEY is empty"):
        open_cache(CacheSettings(tmp_path / "c.bin", "passphrase", ""), print)
