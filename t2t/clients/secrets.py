"""Resolve `env:` and `file:` secret references at the last moment; never log the result."""

from __future__ import annotations

import os
from pathlib import Path

from t2t.clients.errors import SecretUnavailable


def resolve_secret(scheme: str, value: str) -> str:
    """The secret a reference points at (`env:VAR` or `file:/abs/path`)."""
    if scheme == "env":
        secret = os.environ.get(value)
        if not secret:
            raise SecretUnavailable(f"environment variable {value} is not set (env:{value})")
        return secret
    if scheme == "file":
        try:
            return Path(value).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretUnavailable(f"cannot read file:{value}: {exc.strerror}") from exc
    raise SecretUnavailable(f"unknown secret reference scheme {scheme!r}")
