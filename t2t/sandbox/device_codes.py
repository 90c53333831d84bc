"""The identity platform's device-flow state: codes waiting for a person, refresh tokens and
the scopes each user consented to (the protocol is device_flow.py's)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

EXPIRES_IN = 900
"""Seconds: "the user has 15 minutes to sign in. This is the default value for expires_in"."""
INTERVAL = 5
"""Seconds between polls: Microsoft's answer (Learn's sample response, Q&A 981553)."""


@dataclass
class Pending:
    """One device authorization, from its request until it is redeemed or expires."""

    device_code: str
    user_code: str
    tenant_id: str
    client_id: str
    audience: str
    scopes: tuple[str, ...]
    """As requested, resource prefix included where the client gave one."""
    issued: dt.datetime
    state: str = "pending"
    """pending | approved | declined"""
    user_id: str | None = None

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.issued + dt.timedelta(seconds=EXPIRES_IN)


@dataclass(frozen=True)
class Grant:
    """A refresh token's subject: one user, in one tenant, through one client."""

    tenant_id: str
    client_id: str
    user_id: str


@dataclass
class DeviceFlows:
    """Pending device codes, refresh tokens and each user's consents. A reset forgets the
    pending codes only: sign-ins already made stay valid, like secrets and keys."""

    pending: dict[str, Pending] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    consents: dict[Grant, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear_pending(self) -> None:
        with self.lock:
            self.pending.clear()

    def by_user_code(self, user_code: str) -> Pending | None:
        wanted = user_code.strip().upper()
        return next((p for p in self.pending.values() if p.user_code == wanted), None)
