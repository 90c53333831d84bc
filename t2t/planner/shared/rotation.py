"""Rotating the endpoint's credential before it ends — when it ends within the spec's
`relationship.endpoint.rotateBefore`, or now when `--rotate-credential` asks — planned and
applied like every other change, in either credential mode, without a moment in which the
endpoint holds a credential the app does not accept:

- keyVaultCertificate: `keyvault.certificate.create` (a new version of the certificate, the
  same policy) → `app.key_credential.add` (its key on the app beside the old one) →
  `endpoint.update` (-AppSecretKeyVaultUrl names the new version) → `app.key_credential.remove`
  (the older versions' keys, once a re-read shows the endpoint names a newer version:
  shared/key_vault/retire.py).
- clientSecret: the endpoint's new-secret write (planner/endpoint.py): addPassword →
  Set-MigrationEndpoint -Credentials → t2t's older secrets removed once Exchange answered.

Apply plans every object again from the action's desire, so a rotation must say when it is
done: `Rotation.before` is checked against the new credential (which ends a year or two away,
never within it: the spec refuses a longer rotateBefore), and `--rotate-credential` records what
it replaces (`Rotation.replaces`: the certificate version, or the secrets the app held) — once
that is gone the re-plan is empty, so the flag rotates once per plan, never in a loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from t2t.planner.actions import Action
from t2t.planner.checks import CheckDef, register
from t2t.state.directory import PasswordCredential

#: The flag of `t2t plan` and `t2t apply` that rotates the credential now.
ROTATE_FLAG = "--rotate-credential"

register(
    CheckDef(
        "T2T-W246",
        "endpoint-credential-rotation-due",
        "warning",
        "The endpoint's credential is rotated: it ends within relationship.endpoint."
        "rotateBefore, or --rotate-credential asked for it",
        "the credential's end: from then on every move against the endpoint fails to sign in "
        "to the source — MigrationServerConnectionFailedException … AADSTS7000222 for an "
        "expired client secret (as T2T-E237), AADSTS700027 for an expired certificate (as "
        "T2T-E240)",
        "Nothing to do: t2t rotates it with no gap, a running batch syncing on. Key Vault: a "
        "new certificate version, its key added to the app beside the old one, the endpoint "
        "moved to it (Set-MigrationEndpoint -AppSecretKeyVaultUrl), then the older versions' "
        "keys removed once the endpoint names the new one. Client secret: a new secret "
        "(addPassword), Set-MigrationEndpoint -Credentials, then t2t's older secrets removed.",
        "Entra recommendation 'Renew expiring application credentials' ('Renewing the app "
        "credential(s) before its expiration ensures the application continues to "
        "function'); Graph 'Add a certificate to an app using Microsoft Graph' (certificate "
        "rollover by Update application) and application: removeKey (needs a proof of "
        "possession of an existing key: t2t updates keyCredentials instead); Key Vault "
        "LifetimeAction daysBeforeExpiry (renewal before expiry)",
    ),
    scope="organization",
)


def shown(before: dt.timedelta) -> str:
    """A duration as the spec writes it: 30d, or 36h when not whole days."""
    hours = int(before.total_seconds()) // 3600
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def utc(text: str) -> dt.datetime:
    """A time as Graph and Key Vault write it (ISO 8601, Z or an offset), aware; one without
    a zone is UTC."""
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Rotation:
    """What makes the credential due: the spec's rotateBefore, and for --rotate-credential the
    credential it replaces (a certificate version, or every secret the app held when planned),
    carried in the action's desire so that apply's re-plan stops once it is replaced."""

    before: dt.timedelta | None = None
    replaces: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.before is not None:
            data["before_seconds"] = int(self.before.total_seconds())
        if self.replaces is not None:
            data["replaces"] = list(self.replaces)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Rotation | None:
        if not data:
            return None
        seconds = data.get("before_seconds")
        replaces = data.get("replaces")
        return cls(
            before=dt.timedelta(seconds=int(seconds)) if seconds is not None else None,
            replaces=tuple(str(r) for r in replaces) if replaces is not None else None,
        )


def rotation(before: dt.timedelta | None, replaces: tuple[str, ...] | None) -> Rotation | None:
    """The rotation a plan asks for; None when neither the spec nor the flag asks one."""
    return Rotation(before, replaces) if before is not None or replaces is not None else None


def ends_within(end: str | None, now: dt.datetime | None, before: dt.timedelta | None) -> bool:
    """Whether a credential ending at `end` ends within `before` of `now`."""
    return before is not None and now is not None and end is not None and utc(end) <= now + before


def certificate_rotation_due(
    version: str, expires: str | None, now: dt.datetime | None, wanted: Rotation | None
) -> str | None:
    """Why the certificate's current (usable) version is rotated now, or None."""
    if wanted is None:
        return None
    if wanted.replaces is not None and version in wanted.replaces:
        return f"{ROTATE_FLAG}: version {version} (expires {expires}) is replaced"
    if ends_within(expires, now, wanted.before):
        assert wanted.before is not None
        return f"version {version} expires {expires}, within rotateBefore {shown(wanted.before)}"
    return None


def secret_rotation_due(
    wanted: Rotation | None,
    markers: tuple[str, ...],
    secrets: tuple[PasswordCredential, ...],
    mine: list[PasswordCredential],
    now: dt.datetime | None,
) -> str | None:
    """Why the endpoint's client secret is rotated now, or None. `markers`: the keyIds of t2t's
    secrets for the endpoint; `mine`: those secrets. The flag's rotation is done once the
    app holds one marker secret that it did not hold when planned (the endpoint was given it,
    the others were removed: planner/endpoint.py); rotateBefore's, as T2T-E237 tells which
    secret the endpoint holds — t2t's one, else every secret of the app."""
    if wanted is None:
        return None
    replaced = len(markers) == 1 and markers[0] not in (wanted.replaces or ())
    if wanted.replaces is not None and not replaced:
        held = f"; t2t's secret(s) {', '.join(markers)} removed once it holds it" if markers else ""
        return f"{ROTATE_FLAG}: the endpoint gets a new secret{held}"
    held_now = mine or list(secrets)
    if held_now and all(ends_within(s.end, now, wanted.before) for s in held_now):
        assert wanted.before is not None
        whose = "t2t's secret" if mine else "every secret of the app (the endpoint holds one)"
        ends = ", ".join(f"{s.key_id} ends {s.end}" for s in held_now)
        return f"{whose}: {ends}, within rotateBefore {shown(wanted.before)}"
    return None


def forces_rotation(actions: Iterable[Action]) -> bool:
    """Whether a plan holds a rotation --rotate-credential asked for (a saved plan is
    compared with a plan made the same way)."""
    return any(
        isinstance(a.desired, dict)
        and isinstance(a.desired.get("rotation"), dict)
        and a.desired["rotation"].get("replaces") is not None
        for a in actions
    )
