"""Whether an app's client secret signs in *now*: the one rule the token endpoint and the
emulated move service share.

Why one place: Entra answers the move service's sign-in exactly as it answers any client's,
so a secret that the token endpoint refuses must fail a move the same way, with the same text.

Rules, on the sandbox clock (a secret's lifetime is server-side state; no client compares it):

- A secret ``addPassword`` created is refused until ``usable_from`` (its creation plus
  ``Strictness.secret_delay_seconds`` at creation time): "When I add a passwordCredential to
  an AAD Application, it does not work right away … I've observed latency from 4-18 seconds"
  (microsoftgraph/microsoft-graph-docs-contrib #1921, moved there from microsoft-graph-docs;
  the reference cites it as #17966). A fresh secret gets AADSTS7000215 (hoppscotch #3868: "With
  a fresh created secret … AADSTS7000215"). The seed's secrets are old: always usable.
- A secret past its ``endDateTime`` gets AADSTS7000222 (text verbatim from many public CI
  logs, e.g. Azure/azureml-examples run 5420647507: "The provided client secret keys for app
  '…' are expired. Visit the Azure portal to create new keys for your app:
  https://aka.ms/NewClientSecret, or consider using certificate credentials for added
  security: https://aka.ms/certCreds."), but only when no other secret of the app matches.
- Anything else (removed, another app's, never issued, not yet started) gets AADSTS7000215
  (verbatim, e.g. OfficeDev/microsoft-365-agents-toolkit #8621).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from t2t.sandbox.model import Application

INVALID_SECRET = 7000215
EXPIRED_SECRET = 7000222


def secret_digest(secret: str) -> str:
    """What the sandbox keeps of a secret (never its text): SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def invalid_secret_text(app_id: str) -> str:
    return (
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        f"client secret value, not the client secret ID, for a secret added to app '{app_id}'."
    )


def expired_secret_text(app_id: str) -> str:
    return (
        f"The provided client secret keys for app '{app_id}' are expired. Visit the Azure "
        "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider "
        "using certificate credentials for added security: https://aka.ms/certCreds."
    )


def secret_refusal(app: Application, digest: str, now: dt.datetime) -> tuple[int, str] | None:
    """None when a live ``addPassword`` secret of ``app`` with this digest signs in at ``now``;
    else (AADSTS code, description). ``digest`` may be a prefix of the SHA-256 (an endpoint
    stored before the full digest was kept)."""
    expired = False
    for p in app.password_credentials:
        if not digest or not hmac.compare_digest(p.secret_sha256[: len(digest)], digest):
            continue
        if now >= p.end_date_time:
            expired = True
            continue
        if now < p.start_date_time or (p.usable_from is not None and now < p.usable_from):
            continue  # not yet valid, or still propagating: refused as invalid
        return None
    if expired:
        return EXPIRED_SECRET, expired_secret_text(app.app_id)
    return INVALID_SECRET, invalid_secret_text(app.app_id)
