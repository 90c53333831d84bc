"""The migration endpoint in the target (microsoft-t2t.md §3.6, §3.2).

`New-MigrationEndpoint -ExchangeRemoteMove -Name -RemoteServer outlook.office.com -RemoteTenant
<source domain> -ApplicationId <appId> -Credentials <PSCredential(appId, secret)>`, after source
consent: with -Credentials Exchange checks the app against the source (LEARN-24). The scripts
delete and recreate the endpoint on every run; t2t never does.

Wrong RemoteTenant (T2T-E232): `Set-MigrationEndpoint` has no `-RemoteTenant` (its reference),
so nothing t2t may send changes it. The endpoint planned here is the one *in use* for the
spec's name (t2t/state/endpoint_chain.py): when the spec's endpoint points at another tenant,
a replacement is created under the next derived name (`<name>-2`, …, `New-MigrationEndpoint`
reference: the name is unique, RemoteTenant set at creation); the batches domain moves the
waves' unfinished users to it and the retired_endpoints domain removes the old one, only
with --allow-destroy.

clientSecret mode: the executor creates the secret (Graph addPassword, displayName carrying
`SECRET_MARKER_PREFIX` + the endpoint name: marked as it is created), hands it straight to
-Credentials and never stores or logs it. Only secrets t2t created carry the marker, and at
most one of them is in use: the one the endpoint was last given. Exchange never shows which
that is, so t2t only ever removes marker secrets after a write that gave the endpoint a new
one has been answered — then none of the others can be in use. The rest follows:

- the endpoint is absent, names another app, or its credential is refused: none of the
  markers is usable; the write that gives it a new secret removes them all;
- the endpoint names this app and signs in, with one marker: that one is in use (or the
  endpoint holds a secret t2t did not make): nothing to do;
- the same with two or more markers: a crash (or a lost answer) between addPassword and the
  end of the endpoint write left the others, and which one the endpoint holds is unknown. The
  endpoint is given a new secret (`Set-MigrationEndpoint -Credentials`, safe: the same app,
  a secret that signs in) and then the others are removed — never one before.

A secret ends (passwordCredential endDateTime). The endpoint's must outlive the migration, so
the desire says until when it is needed (`secret_needed_until`: the last wave's completeAfter
plus `EXPIRY_MARGIN`; never today's date, so that a saved plan does not age) and the secret
it holds is checked against that or today + `EXPIRY_MARGIN`, whichever is later
(`secret_horizon`: when the tenants were read, and again at apply). In clientSecret mode the
endpoint gets a new secret when the one it holds ends before then (T2T-E237) — the same
write as a refused secret's, asking Graph for an endDateTime that outlives that date when
addPassword's default (two years) would not.

keyVaultCertificate mode: the endpoint's credential is `-AppSecretKeyVaultUrl`, the vault
certificate's current version (`https://{vault}.vault.azure.net/certificates/{name}/{version}`,
Key Vault's certificate id: what the walkthrough script hands New-MigrationEndpoint). The Key
Vault chain that makes it (t2t/planner/shared/key_vault.py: resource group, vault, Exchange
Online's access, the certificate, its key on the app) comes first: an endpoint write that gives
the certificate waits for the chain's access, certificate and key-credential actions, so the
endpoint never names a certificate the app does not trust or Exchange cannot read. The version
is the one read when the plan was made, or "known after apply" when the chain creates it; apply
reads it again. An endpoint that names another vault or version (T2T-E243), or holds the other
credential mode than the spec's — a secret under a Key Vault spec, a Key Vault URL under a
clientSecret spec (T2T-E244) — is set to the spec's with Set-MigrationEndpoint.

Rotation (T2T-W246, shared/rotation.py): in clientSecret mode a secret ending within the spec's
rotateBefore, or any with --rotate-credential, gets the same new-secret write as above; in
keyVaultCertificate mode the chain makes a new version and the endpoint follows it as above.
Either way, once the endpoint names a newer version, the keys of the older ones are removed
from the app (`app.key_credential.remove`, planned here after the endpoint's own write:
shared/key_vault/retire.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.checks import CheckDef, Finding, finding, held_back, register
from t2t.planner.context import APP, CONSENT, HYDRATION, KEY_VAULT, SHARING, PlanContext
from t2t.planner.domain import Domain, DomainOutcome, action_id, present
from t2t.planner.shared.app import KNOWN_AFTER_APPLY, AppDesire
from t2t.planner.shared.clouds import REMOTE_SERVERS, cloud_of, remote_server
from t2t.planner.shared.key_vault import (
    NEWER_VERSION,
    VaultDesire,
    named_version,
    plan_key_retirement,
    vault_desire,
)
from t2t.planner.shared.ownership import conflicts
from t2t.planner.shared.rotation import Rotation, rotation, secret_rotation_due
from t2t.state import Snapshot, fingerprint
from t2t.state import parts as P
from t2t.state.cloud import WORLDWIDE
from t2t.state.directory import Application, PasswordCredential
from t2t.state.endpoint_chain import ENDPOINT_TYPE, EndpointChain, endpoint_chain
from t2t.state.exchange import MigrationEndpoint

if TYPE_CHECKING:
    from t2t.spec.desired import DesiredBatch

#: Worldwide cloud; the endpoint's own follows the source's cloud (shared/clouds.py).
REMOTE_SERVER = REMOTE_SERVERS[WORLDWIDE]
#: displayName prefix of every client secret t2t creates for an endpoint.
SECRET_MARKER_PREFIX = "t2t:endpoint:"  # noqa: S105 (a label, not a secret)
NEW_SECRET = "(a new client secret, created by apply and never shown)"  # noqa: S105
#: How the plan shows t2t's marker secrets a new one replaces: none usable, or one of them in
#: use and which one unknown (an interrupted apply left the others).
UNUSED_SECRETS = "unused t2t secrets (removed)"
UNKNOWN_IN_USE = "t2t secrets, one in use but which unknown (replaced, then removed)"
#: … and those a rotation replaces (the endpoint's own until it holds the new one: W246).
ROTATED_SECRETS = "t2t secrets the rotation replaces (removed once the endpoint holds the new one)"
#: Guesses this action's wire form relies on (t2t/clients/wire.py).
WIRE = ("WIRE-4",)

#: How long before its end a secret counts as expiring: Microsoft Entra's own horizon ("An
#: application credential is expiring if … it's expiring within the next 30 days", the
#: applicationCredentialExpiry recommendation). It also covers what follows a completeAfter:
#: completion is a final incremental sync that can take hours, and a wave with no
#: completeAfter keeps syncing every 24 hours until someone completes it.
EXPIRY_MARGIN = dt.timedelta(days=30)
#: addPassword's endDateTime when none is sent: "The default value is startDateTime + 2 years"
#: (Graph v1.0, application: addPassword). 730 days: the shorter reading of "2 years".
ADD_PASSWORD_DEFAULT_LIFETIME = dt.timedelta(days=730)

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

register(
    CheckDef(
        "T2T-E231",
        "endpoint-field-mismatch",
        "error",
        "The migration endpoint's RemoteServer or ApplicationId is not what the move needs",
        "MigrationServerConnectionFailedException (the endpoint reaches the wrong server or "
        "authenticates as another app); CrossTenantMailboxMigrationValidation org check 2",
        "t2t sets it with Set-MigrationEndpoint (a new ApplicationId comes with new credentials).",
        "microsoft-t2t.md §3.6, §10.1, §10.2",
    ),
    CheckDef(
        "T2T-E232",
        "endpoint-remote-tenant-not-domain",
        "error",
        "The endpoint's RemoteTenant is not the source tenant's domain (a GUID or another "
        "domain) and cannot be changed in place",
        "MigrationServerConnectionFailedException … MRSRemotePermanentException: the remote "
        "tenant couldn't be found; VerifySetup.ps1 checks RemoteTenant = PartnerTenantDomain",
        "Set-MigrationEndpoint has no -RemoteTenant, so t2t replaces the endpoint: "
        "New-MigrationEndpoint <name>-2 with RemoteTenant = the spec's source domain; the "
        "unfinished users of the waves' batches on the old one move to a new batch on it "
        "(Remove-MigrationBatch when none completed, else Remove-MigrationUser per unfinished "
        "user; completed users are left alone; disruptive); the old endpoint is removed "
        "(Remove-MigrationEndpoint) only with --allow-destroy once no batch uses it.",
        "microsoft-t2t.md §3.6, §10.1; the Set-MigrationEndpoint reference (no -RemoteTenant), "
        "Set-MigrationBatch (no -SourceEndpoint), New-MigrationEndpoint (-RemoteTenant, -Name), "
        "Remove-MigrationEndpoint, Remove-MigrationBatch ('a migration batch that either isn't "
        "running or has been completed') references "
        "(learn.microsoft.com/powershell/module/exchangepowershell)",
    ),
    CheckDef(
        "T2T-E233",
        "endpoint-wrong-type",
        "error",
        "An endpoint with the spec's name exists but is not ExchangeRemoteMove",
        "New-MigrationBatch refuses the endpoint for a cross-tenant move",
        "Give relationship.endpoint.name a new name (t2t never removes an endpoint).",
        "microsoft-t2t.md §3.6",
    ),
    CheckDef(
        "T2T-W235",
        "endpoint-concurrency-sum",
        "warning",
        "The target has other migration endpoints; MaxConcurrentMigrations add up across them",
        "MaximumConcurrentMigrationLimitExceededException",
        "Keep the sum of MaxConcurrentMigrations over all endpoints within the tenant's "
        "budget (Microsoft does not publish it): lower the other endpoints' values or "
        "relationship.endpoint.maxConcurrentMigrations.",
        "microsoft-t2t.md §3.6, §9",
    ),
    CheckDef(
        "T2T-E236",
        "endpoint-credential-refused",
        "error",
        "The endpoint's credential no longer signs in to the source "
        "(Test-MigrationServerAvailability: the secret was removed from the app, expired, or "
        "was never given)",
        "every move against the endpoint fails at its next sync or completion step with "
        "MigrationServerConnectionFailedException … AADSTS7000215 (or AADSTS7000222)",
        "t2t gives the endpoint a new secret (Set-MigrationEndpoint -Credentials, once the "
        "secret signs in) and then removes the secrets t2t made for it before; secrets it did "
        "not make are left alone. Restart failed batches afterwards (t2t plans it).",
        "exo-module-protocol.md 'Credentials in time' [live]; microsoft-t2t.md §3.6",
    ),
    CheckDef(
        "T2T-E237",
        "endpoint-credential-expires",
        "error",
        "The secret the endpoint holds is removed, expired, or ends before the migration is "
        "done (the last wave's completeAfter, or today when no wave gives one, plus 30 days)",
        "from the secret's endDateTime on, every move against the endpoint fails at its next "
        "sync or completion step: MigrationServerConnectionFailedException … "
        "MRSRemotePermanentException: AADSTS7000222: The provided client secret keys for app "
        "'<appId>' are expired (a removed secret: AADSTS7000215: Invalid client secret "
        "provided)",
        "t2t gives the endpoint a new secret that outlives the last completeAfter (Graph "
        "addPassword with that endDateTime, then Set-MigrationEndpoint -Credentials) and then "
        "removes the secrets t2t made for it before; secrets it did not make are left alone.",
        "Microsoft Learn, cross-tenant mailbox migration (the endpoint's -Credentials are the "
        "app's client secret); Graph passwordCredential endDateTime and application: "
        "addPassword ('The default value is startDateTime + 2 years'); Entra recommendation "
        "applicationCredentialExpiry ('expiring within the next 30 days'); AADSTS7000222 / "
        "7000215 texts: t2t/sandbox/credentials.py",
    ),
    CheckDef(
        "T2T-E243",
        "endpoint-other-key-vault-certificate",
        "error",
        "The endpoint's AppSecretKeyVaultUrl names another vault, certificate or version than "
        "the spec's certificate's current version",
        "the move signs in with a certificate the app may not trust or Exchange may not read: "
        "MigrationServerConnectionFailedException … AADSTS700027 (the certificate is not "
        "registered on the application), or the vault refuses Exchange",
        "t2t points the endpoint at the current version (Set-MigrationEndpoint "
        "-AppSecretKeyVaultUrl), once its key is on the app and Exchange may read it.",
        "microsoft-t2t.md §3.2 (AppSecretKeyVaultUrl https://<vault>.vault.azure.net:443/"
        "certificates/<name>/<version>); SetupCrossTenantRelationshipForTargetTenant.ps1 "
        "($CertificateId = the certificate's Id; its closing example 'Set-MigrationEndpoint "
        "… -AppSecretKeyVaultUrl <kvUrl>'); Set-MigrationEndpoint reference "
        "(-AppSecretKeyVaultUrl, Exchange Online)",
    ),
    CheckDef(
        "T2T-E244",
        "endpoint-credential-mode-differs",
        "error",
        "The endpoint holds the other credential than the spec's: a client secret under "
        "credential: keyVaultCertificate, or an AppSecretKeyVaultUrl under credential: "
        "clientSecret",
        "the migration runs on a credential nobody manages: t2t checks, renews and rotates "
        "the spec's one only, and the other one expires or is removed unseen — then every "
        "move fails with MigrationServerConnectionFailedException (AADSTS7000222 for an "
        "expired secret, AADSTS700027 for a certificate the app no longer trusts)",
        "t2t gives the endpoint the spec's credential (Set-MigrationEndpoint "
        "-AppSecretKeyVaultUrl, or a new secret in -Credentials).",
        "microsoft-t2t.md §3.2 (the two credential modes); Set-MigrationEndpoint reference "
        "(-AppSecretKeyVaultUrl and -Credentials, both Exchange Online); which one Exchange "
        "keeps when the other is set is not public (the sandbox's assumption: the one given)",
    ),
    scope="organization",
)


def _utc(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _utc_text(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def secret_deadline(
    batches: tuple[DesiredBatch, ...], read_at: str | None
) -> tuple[str | None, str]:
    """Until when the endpoint's secret must sign in, and why: the last wave's completeAfter
    or the day the tenants were read, whichever is later, plus `EXPIRY_MARGIN`. (None, "")
    when neither is known (no reading time, no completeAfter). Without `read_at` it is the
    desire's own date (`EndpointDesire.secret_needed_until`), which never moves with time:
    a saved plan stays the plan it was."""
    last = max(
        (b for b in batches if b.complete_after is not None),
        key=lambda b: b.complete_after or dt.datetime.min,
        default=None,
    )
    needed: str | None = None
    why = ""
    if last is not None and last.complete_after is not None:
        after = _utc(last.complete_after.isoformat())
        needed = _utc_text(after + EXPIRY_MARGIN)
        why = f"{last.name}'s completeAfter {_utc_text(after)} + {EXPIRY_MARGIN.days} days"
    return secret_horizon(needed, why, _utc(read_at) if read_at else None)


def secret_horizon(
    needed_until: str | None, why: str, now: dt.datetime | None
) -> tuple[str | None, str]:
    """`needed_until` (why), or today + `EXPIRY_MARGIN` when that is later: the date the
    secret the endpoint holds is checked against, at plan time and again at apply time."""
    candidates: list[tuple[dt.datetime, str]] = []
    if needed_until is not None:
        candidates.append((_utc(needed_until), why))
    if now is not None:
        today = f"today ({_utc_text(now)}) + {EXPIRY_MARGIN.days} days"
        candidates.append((now + EXPIRY_MARGIN, today))
    if not candidates:
        return None, ""
    when, because = max(candidates, key=lambda c: c[0])  # a tie keeps the wave's reason
    return _utc_text(when), because


def requested_end(needed_until: str | None, now: dt.datetime) -> str | None:
    """The endDateTime to ask addPassword for: `needed_until` when the default lifetime would
    end before it, else None (Graph's default, two years, outlives it)."""
    if needed_until is None:
        return None
    until = _utc(needed_until)
    return _utc_text(until) if until > now + ADD_PASSWORD_DEFAULT_LIFETIME else None


def secret_marker(endpoint_name: str) -> str:
    return f"{SECRET_MARKER_PREFIX}{endpoint_name}"


def is_marker(display_name: str | None, endpoint_name: str) -> bool:
    """A secret t2t made for this endpoint (names compare as Exchange compares them)."""
    return (display_name or "").lower() == secret_marker(endpoint_name).lower()


def marker_keys(app: Application | None, endpoint_name: str) -> tuple[str, ...]:
    """The keyIds of the secrets t2t made on ``app`` for this endpoint."""
    if app is None:
        return ()
    return tuple(
        p.key_id for p in app.password_credentials if is_marker(p.display_name, endpoint_name)
    )


@dataclass(frozen=True)
class EndpointDesire:
    name: str
    remote_tenant: str  # the source domain, not its GUID
    app: AppDesire
    app_id: str | None  # None: the app is registered by this plan, resolved at apply time
    credential: Literal["keyVaultCertificate", "clientSecret"]
    max_concurrent_migrations: int | None
    remote_server: str = REMOTE_SERVER
    secret_needed_until: str | None = None
    """The endpoint's secret must sign in until then (`secret_deadline`); None: not known."""
    key_vault: VaultDesire | None = None
    """keyVaultCertificate mode: the vault and certificate whose current version the endpoint
    names (apply reads it again)."""
    rotation: Rotation | None = None
    """clientSecret mode: when the secret is rotated (rotateBefore, --rotate-credential:
    shared/rotation.py); in keyVaultCertificate mode the certificate's chain rotates."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.key_vault is None:
            del data["key_vault"]  # clientSecret mode: the desire as it always was
        del data["rotation"]
        if self.rotation is not None:
            data["rotation"] = self.rotation.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EndpointDesire:
        return cls(
            name=data["name"],
            remote_tenant=data["remote_tenant"],
            app=AppDesire.from_dict(data["app"]),
            app_id=data.get("app_id"),
            credential=data["credential"],
            max_concurrent_migrations=data.get("max_concurrent_migrations"),
            remote_server=data.get("remote_server") or REMOTE_SERVER,
            secret_needed_until=data.get("secret_needed_until"),
            key_vault=VaultDesire.from_dict(data["key_vault"]) if data.get("key_vault") else None,
            rotation=Rotation.from_dict(data.get("rotation")),
        )


@dataclass
class EndpointOutcome:
    action: Action | None
    findings: list[Finding] = field(default_factory=list)
    needs_secret: bool = False
    """The write gives the endpoint a new client secret (clientSecret mode)."""
    needs_certificate: bool = False
    """The write gives the endpoint the vault certificate (keyVaultCertificate mode)."""

    @property
    def gives_credential(self) -> bool:
        return self.needs_secret or self.needs_certificate


def same_vault_url(a: str, b: str) -> bool:
    """Two AppSecretKeyVaultUrl values name the same certificate version: Exchange's form may
    carry the port (`vault.azure.net:443`, microsoft-t2t.md §3.2), Key Vault's ids do not;
    vault and certificate names compare without case."""

    def norm(url: str) -> str:
        return url.strip().rstrip("/").lower().replace(".vault.azure.net:443/", ".vault.azure.net/")

    return norm(a) == norm(b)


def vault_of(url: str) -> str:
    """The vault host an AppSecretKeyVaultUrl names (lower case)."""
    return url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()


def endpoint_fingerprint(endpoints: tuple[MigrationEndpoint, ...], name: str) -> str:
    mine = [e for e in endpoints if e.identity.lower() == name.lower()]
    return fingerprint([asdict(e) for e in mine])


@dataclass
class _Write:
    """The endpoint write being built: its parameters, the changes shown, what blocks it."""

    desire: EndpointDesire
    markers: tuple[str, ...]
    out: EndpointOutcome
    params: dict[str, Any]
    certificate_url: str | None = None
    """keyVaultCertificate mode: the version to name; None: known after apply."""
    current_url: str | None = None
    """The AppSecretKeyVaultUrl the endpoint holds now."""
    changes: list[Change] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    disruptive: bool = False

    def credential(self, replaced: str = UNUSED_SECRETS) -> None:
        """The write brings the endpoint the spec's credential: a new client secret (t2t's
        marker secrets are removed once the endpoint holds it: ``replaced`` says why they can
        go), or the vault certificate's current version."""
        desire = self.desire
        if desire.credential == "clientSecret":
            self.out.needs_secret = True
            self.params["Credentials"] = NEW_SECRET
            self.changes.append(Change(field="Credentials", after=NEW_SECRET))
            if self.current_url:  # one credential per endpoint: the secret replaces the URL
                self.changes.append(
                    Change(field="AppSecretKeyVaultUrl", before=self.current_url, after=None)
                )
            if self.markers:
                self.changes.append(Change(field=replaced, before=list(self.markers), after=[]))
            return
        self.out.needs_certificate = True
        url = self.certificate_url or KNOWN_AFTER_APPLY
        self.params["AppSecretKeyVaultUrl"] = url
        self.changes.append(
            Change(field="AppSecretKeyVaultUrl", before=self.current_url, after=url)
        )


def plan_endpoint(
    desire: EndpointDesire,
    endpoints: tuple[MigrationEndpoint, ...],
    markers: tuple[str, ...] = (),
    secrets: tuple[PasswordCredential, ...] | None = None,
    *,
    why_needed: str = "",
    now: dt.datetime | None = None,
    certificate_url: str | None = None,
) -> EndpointOutcome:
    """Diff the endpoint named in the spec. Pure: used by plan and apply alike.

    `markers` are the keyIds of the secrets t2t made on the app for this endpoint
    (`marker_keys`); whenever the write brings a new secret they are shown removed (the
    executor removes them once the endpoint holds the new one), and two or more on an
    endpoint that signs in bring it a new one (the module docstring says why). `secrets` are
    the app's passwordCredentials (None: the app is not readable yet), compared with
    `desire.secret_needed_until` (`why_needed` says where that date comes from) or `now` +
    `EXPIRY_MARGIN` when that is later (`now`: when the tenants were read, or apply's now; it
    also tells an expired secret from one that is still to end). `certificate_url`
    (keyVaultCertificate mode): the certificate version the endpoint must name, None when it
    is known only after apply (the Key Vault chain creates it).
    """
    fp = endpoint_fingerprint(endpoints, desire.name)
    current = next((e for e in endpoints if e.identity.lower() == desire.name.lower()), None)
    out = EndpointOutcome(action=None)
    if current is None:
        out.action = _create(_Write(desire, markers, out, {}, certificate_url), fp)
    elif current.endpoint_type.lower() != ENDPOINT_TYPE.lower():
        out.findings.append(
            finding(
                "T2T-E233",
                "target",
                current.identity,
                f"EndpointType is {current.endpoint_type or 'not set'}",
                fixed_by_plan=False,
            )
        )
    else:
        write = _Write(
            desire,
            markers,
            out,
            {"Identity": current.identity},
            certificate_url,
            current.app_secret_key_vault_url or None,
        )
        _remote(write, current)
        _application(write, current)
        _credential_mode(write, current)
        if secrets is not None:
            _expiring(write, current, secrets, why_needed, now)
        _leftover_secrets(write)
        if secrets is not None:
            _rotate_secret(write, current, secrets, now)
        _max_concurrent(write, current)
        # a blocked endpoint is not as desired even with nothing t2t could send (E232)
        if write.changes or write.blocked:
            out.action = _update(write, current, fp)
    return out


def _create(write: _Write, fp: str) -> Action:
    """New-MigrationEndpoint -ExchangeRemoteMove with the app and its credential."""
    desire = write.desire
    write.params.update(
        {
            "ExchangeRemoteMove": True,
            "Name": desire.name,
            "RemoteServer": desire.remote_server,
            "RemoteTenant": desire.remote_tenant,
            "ApplicationId": desire.app_id or KNOWN_AFTER_APPLY,
        }
    )
    write.changes.extend(Change(field=k, after=v) for k, v in write.params.items())
    write.credential()
    if desire.max_concurrent_migrations is not None:
        write.params["MaxConcurrentMigrations"] = desire.max_concurrent_migrations
        write.changes.append(
            Change(field="MaxConcurrentMigrations", after=desire.max_concurrent_migrations)
        )
    return Action(
        id=action_id("target", K.ENDPOINT_CREATE.name, desire.name),
        tenant="target",
        kind=K.ENDPOINT_CREATE.name,
        key=desire.name,
        operation="create",
        cmdlet="New-MigrationEndpoint",
        parameters=write.params,
        changes=tuple(write.changes),
        desired=desire.to_dict(),
        observed=None,
        fingerprint=fp,
        summary=f"create the migration endpoint {desire.name!r} (ExchangeRemoteMove)",
        blocked_by=tuple(write.blocked),
        unverified=WIRE,
    )


def _remote(write: _Write, current: MigrationEndpoint) -> None:
    """RemoteServer and RemoteTenant: the source's Exchange and initial domain."""
    desire, out = write.desire, write.out
    if (current.remote_server or "").lower() != desire.remote_server.lower():
        out.findings.append(
            finding(
                "T2T-E231",
                "target",
                current.identity,
                f"RemoteServer is {current.remote_server or 'not set'}, not {desire.remote_server}",
                fixed_by_plan=True,
            )
        )
        write.params["RemoteServer"] = desire.remote_server
        write.changes.append(
            Change(field="RemoteServer", before=current.remote_server, after=desire.remote_server)
        )
        write.disruptive = True
    if (current.remote_tenant or "").lower() != desire.remote_tenant.lower():
        what = (
            "the tenant id, not the source domain"
            if _GUID.match(current.remote_tenant or "")
            else "not the source domain"
        )
        # Set-MigrationEndpoint takes no -RemoteTenant (its reference; New- does): nothing t2t
        # may send repairs it. plan_endpoints never gets here (such an endpoint is replaced:
        # state/endpoint_chain.py); an executor's re-plan does when the endpoint it is to
        # write was changed by hand since the plan, and then it blocks: no write goes to an
        # endpoint that reaches another tenant.
        out.findings.append(
            finding(
                "T2T-E232",
                "target",
                current.identity,
                f"RemoteTenant is {current.remote_tenant or 'not set'}: {what} "
                f"{desire.remote_tenant}",
                fixed_by_plan=False,
            )
        )
        write.blocked.append("T2T-E232")


def _application(write: _Write, current: MigrationEndpoint) -> None:
    """The endpoint names the spec's app, with a credential that signs in (E231, E236)."""
    desire, out = write.desire, write.out
    shown_app = desire.app_id or KNOWN_AFTER_APPLY
    if desire.app_id is None or (current.application_id or "").lower() != desire.app_id:
        out.findings.append(
            finding(
                "T2T-E231",
                "target",
                current.identity,
                f"ApplicationId is {current.application_id or 'not set'}, not {shown_app}",
                fixed_by_plan=True,
            )
        )
        write.params["ApplicationId"] = shown_app
        write.changes.append(
            Change(field="ApplicationId", before=current.application_id, after=shown_app)
        )
        write.credential()
        write.disruptive = True
    if (
        current.credential_refused
        and desire.credential == "clientSecret"  # else the secret is replaced anyway (E244)
        and not out.needs_secret
    ):
        out.findings.append(
            finding(
                "T2T-E236",
                "target",
                current.identity,
                f"Test-MigrationServerAvailability: {current.credential_refused}",
                fixed_by_plan=True,
            )
        )
        write.credential()


def _credential_mode(write: _Write, current: MigrationEndpoint) -> None:
    """The endpoint holds the spec's kind of credential (E244) and, in keyVaultCertificate
    mode, names the certificate's current version (E243)."""
    desire, out = write.desire, write.out
    url = write.current_url
    if out.gives_credential:  # a new app: the write gives the credential already
        return
    if desire.credential == "clientSecret":
        if url:
            out.findings.append(
                finding(
                    "T2T-E244",
                    "target",
                    current.identity,
                    f"AppSecretKeyVaultUrl is {url}; the spec asks for a client secret",
                    fixed_by_plan=True,
                )
            )
            write.credential()
            write.disruptive = True
        return
    if not url:
        out.findings.append(
            finding(
                "T2T-E244",
                "target",
                current.identity,
                "the endpoint has no AppSecretKeyVaultUrl (it holds a client secret, or no "
                "credential); the spec asks for the Key Vault certificate",
                fixed_by_plan=True,
            )
        )
        write.credential()
        write.disruptive = True
        return
    want = write.certificate_url
    if want is not None and same_vault_url(url, want):
        return
    kv = desire.key_vault
    ours = kv is not None and vault_of(url) == f"{kv.name}.vault.azure.net"
    if want is not None or not ours:
        shown = want or f"a version of {kv.certificate_key if kv else 'the spec certificate'}"
        out.findings.append(
            finding(
                "T2T-E243",
                "target",
                current.identity,
                f"AppSecretKeyVaultUrl is {url}, not {shown}",
                fixed_by_plan=True,
            )
        )
        write.disruptive = True
    write.credential()


def _expiring(
    write: _Write,
    current: MigrationEndpoint,
    secrets: tuple[PasswordCredential, ...],
    why_needed: str,
    now: dt.datetime | None,
) -> None:
    """The secret the endpoint holds ends before `secret_horizon` (E237). Exchange never
    shows which secret that is: t2t's one marker secret when there is one; else one the
    endpoint was given by hand, so only when every secret of the app ends too early (or the
    app holds none: it was removed) is the endpoint's certainly among them. Two or more
    markers are replaced anyway (`_leftover_secrets`)."""
    desire, out = write.desire, write.out
    needed, why_until = secret_horizon(desire.secret_needed_until, why_needed, now)
    if (
        desire.credential != "clientSecret"
        or needed is None
        or out.needs_secret
        or len(write.markers) > 1
    ):
        return
    until = _utc(needed)
    mine = [s for s in secrets if is_marker(s.display_name, desire.name)]
    held = mine or list(secrets)
    if any(s.end is None or _utc(s.end) >= until for s in held):
        return
    if not held:
        what = "the app holds no client secret: the endpoint's was removed"
    else:
        whose = "t2t's secret" if mine else "every secret of the app (the endpoint holds one)"
        ends = ", ".join(
            f"{s.key_id} {'expired' if now and s.end and _utc(s.end) <= now else 'ends'} {s.end}"
            for s in held
        )
        what = f"{whose}: {ends}"
    reason = f" ({why_until})" if why_until else ""
    out.findings.append(
        finding(
            "T2T-E237",
            "target",
            current.identity,
            f"{what}; the endpoint needs one until {needed}{reason}",
            fixed_by_plan=True,
        )
    )
    write.credential()


def _leftover_secrets(write: _Write) -> None:
    """Two or more of t2t's secrets on an endpoint that holds one of them: a new secret, so
    the others can be removed (none before the endpoint holds it)."""
    if (
        not write.out.needs_secret
        and write.desire.credential == "clientSecret"
        and len(write.markers) > 1
    ):
        write.credential(UNKNOWN_IN_USE)


def _rotate_secret(
    write: _Write,
    current: MigrationEndpoint,
    secrets: tuple[PasswordCredential, ...],
    now: dt.datetime | None,
) -> None:
    """clientSecret mode: the secret is rotated (W246) — it ends within rotateBefore, or
    --rotate-credential replaces it — by the same write as a refused or expiring one's: a new
    secret, Set-MigrationEndpoint -Credentials, then t2t's older secrets removed."""
    desire, out = write.desire, write.out
    if desire.credential != "clientSecret" or out.needs_secret:
        return
    mine = [s for s in secrets if is_marker(s.display_name, desire.name)]
    why = secret_rotation_due(desire.rotation, write.markers, secrets, mine, now)
    if why is not None:
        out.findings.append(
            finding("T2T-W246", "target", current.identity, why, fixed_by_plan=True)
        )
        write.credential(ROTATED_SECRETS)


def _max_concurrent(write: _Write, current: MigrationEndpoint) -> None:
    want = write.desire.max_concurrent_migrations
    if want is not None and current.max_concurrent_migrations != want:
        write.params["MaxConcurrentMigrations"] = want
        write.changes.append(
            Change(
                field="MaxConcurrentMigrations",
                before=current.max_concurrent_migrations,
                after=want,
            )
        )


def _update(write: _Write, current: MigrationEndpoint, fp: str) -> Action:
    """Set-MigrationEndpoint with only what changes."""
    return Action(
        id=action_id("target", K.ENDPOINT_UPDATE.name, current.identity),
        tenant="target",
        kind=K.ENDPOINT_UPDATE.name,
        key=current.identity,
        operation="update",
        cmdlet="Set-MigrationEndpoint",
        parameters=write.params,
        changes=tuple(write.changes),
        desired=write.desire.to_dict(),
        observed=asdict(current),
        fingerprint=fp,
        risk="disruptive" if write.disruptive else "safe",
        summary=f"update the migration endpoint {current.identity!r}",
        blocked_by=tuple(write.blocked),
        unverified=WIRE if write.out.needs_secret else ("WIRE-4",),
    )


def _concurrency(
    desire: EndpointDesire, endpoints: tuple[MigrationEndpoint, ...]
) -> Finding | None:
    others = [e for e in endpoints if e.identity.lower() != desire.name.lower()]
    if not others:
        return None
    values = [e.max_concurrent_migrations for e in others]
    known = sum(v for v in values if v is not None)
    unlimited = sum(1 for v in values if v is None)
    mine = desire.max_concurrent_migrations
    total = known + (mine or 0)
    text = (
        f"{len(others)} other endpoint(s): MaxConcurrentMigrations sum to {total} with this "
        f"one ({mine if mine is not None else 'Unlimited'})"
    )
    if unlimited or mine is None:
        text += "; some are Unlimited"
    return finding("T2T-W235", "target", desire.name, text, fixed_by_plan=False)


def _app_of(snapshot: Snapshot, app_id: str | None) -> Application | None:
    """The registered app (None until this plan's app.create runs). No guard of its own on
    the applications part: the domain uses the APP resolution, so `plan_domain` runs it only
    when that part is known."""
    if app_id is None:
        return None
    return next((a for a in present(snapshot.target.applications) if a.app_id == app_id), None)


def plan_endpoints(ctx: PlanContext) -> DomainOutcome:
    desired, snapshot, app = ctx.desired, ctx.snapshot, ctx.app
    out = DomainOutcome()
    endpoints = present(snapshot.target.endpoints)
    rel = desired.relationship
    # the desire's date: the waves' only, never today's (a saved plan must not age)
    until, why_needed = secret_deadline(desired.batches, None)
    registered = _app_of(snapshot, app.app_id)
    secrets = registered.password_credentials if registered is not None else None
    chain = endpoint_chain(endpoints, rel.endpoint.name, desired.source.domain)
    desire = EndpointDesire(
        name=chain.in_use,
        remote_tenant=desired.source.domain,
        app=app.desire,
        app_id=app.app_id,
        credential=rel.credential,
        max_concurrent_migrations=rel.endpoint.max_concurrent_migrations,
        secret_needed_until=until,
        key_vault=vault_desire(desired),
        rotation=_secret_rotation(ctx, secrets),
        remote_server=remote_server(cloud_of(snapshot.source.cloud)),
    )
    out.findings.extend(_replaced(chain, endpoints, desire.remote_tenant))
    vault_chain = ctx.key_vault
    markers = marker_keys(registered, desire.name)
    read_at = snapshot.read_at
    outcome = plan_endpoint(
        desire,
        endpoints,
        markers,
        secrets,
        why_needed=why_needed,
        now=_utc(read_at) if read_at else None,
        certificate_url=vault_chain.certificate_url,
    )
    out.findings.extend(outcome.findings)
    concurrency = _concurrency(desire, endpoints)
    if concurrency is not None:
        out.findings.append(concurrency)
    action = outcome.action
    if action is None:
        out.actions.extend(_old_keys(ctx, desire, endpoints, None))
        return out
    depends = [*ctx.hydration("target")]
    blocked = list(action.blocked_by)
    if outcome.gives_credential:
        depends.extend(app.depends_on)
        blocked.extend(app.blocked_by)
        for role in ("target", "source"):
            ids, codes = ctx.consent_dependency(role)
            depends.extend(ids)
            blocked.extend(codes)
    if outcome.needs_certificate:  # Exchange may read it and the app trusts it, first
        depends.extend(vault_chain.waits_for)
        blocked.extend(vault_chain.blocked_by)
    written = action.model_copy(
        update={
            "depends_on": tuple(dict.fromkeys(depends)),
            "blocked_by": tuple(dict.fromkeys(blocked)),
        }
    )
    if written.operation == "update" and conflicts(
        ctx.sharing, written.parameters.get("ApplicationId")
    ):
        # the endpoint's app is the one another spec's moves rely on (ownership.py)
        out.findings.append(
            finding(
                "T2T-E112",
                "target",
                written.key,
                f"{ctx.sharing.why()}; this spec would set the endpoint's ApplicationId to "
                f"{written.parameters['ApplicationId']}",
                fixed_by_plan=False,
            )
        )
        written = written.model_copy(update={"blocked_by": (*written.blocked_by, "T2T-E112")})
        out.findings[:] = held_back(out.findings, "target", written.key)
    out.actions.append(written)
    out.actions.extend(
        _old_keys(ctx, desire, endpoints, written if outcome.needs_certificate else None)
    )
    return out


def _replaced(
    chain: EndpointChain, endpoints: tuple[MigrationEndpoint, ...], remote_tenant: str
) -> list[Finding]:
    """T2T-E232 on each endpoint of the chain that points at another tenant, while this plan
    creates its replacement (chain.in_use). Once the replacement exists the finding is gone:
    the batches still on the old one are the batches domain's actions, its removal the
    retired_endpoints domain's (or its notice)."""
    if any(e.identity.lower() == chain.in_use.lower() for e in endpoints):
        return []
    found = []
    for old in chain.replaced:
        what = (
            "the tenant id, not the source domain"
            if _GUID.match(old.remote_tenant or "")
            else "not the source domain"
        )
        found.append(
            finding(
                "T2T-E232",
                "target",
                old.identity,
                f"RemoteTenant is {old.remote_tenant or 'not set'}: {what} {remote_tenant}; "
                "Set-MigrationEndpoint cannot change it, so the plan creates "
                f"{chain.in_use!r} to replace it",
                fixed_by_plan=True,
            )
        )
    return found


def _secret_rotation(
    ctx: PlanContext, secrets: tuple[PasswordCredential, ...] | None
) -> Rotation | None:
    """clientSecret mode: the spec's rotateBefore, and with --rotate-credential every secret
    the app holds now (replaced: the rotation is done once the endpoint holds one made since)."""
    rel = ctx.desired.relationship
    if rel.credential != "clientSecret":
        return None
    held = tuple(s.key_id for s in secrets or ())
    return rotation(rel.endpoint.rotate_before, held if ctx.rotate_credential else None)


def _old_keys(
    ctx: PlanContext,
    desire: EndpointDesire,
    endpoints: tuple[MigrationEndpoint, ...],
    moved_by: Action | None,
) -> list[Action]:
    """keyVaultCertificate mode: the keys of the certificate's versions older than the one the
    endpoint names — after `moved_by`, this plan's write moving it to another version — removed
    from the app (shared/key_vault/retire.py; apply re-reads the endpoint first)."""
    vault = desire.key_vault
    if vault is None:
        return []
    chain = ctx.key_vault
    current = next((e for e in endpoints if e.identity.lower() == desire.name.lower()), None)
    if moved_by is not None:
        url = chain.certificate_url
        names = named_version(vault, url) if url else NEWER_VERSION
    else:
        names = named_version(vault, current.app_secret_key_vault_url if current else None)
    certs = present(ctx.snapshot.target.vault_certificates)
    cert = next((c for c in certs if c.name.lower() == vault.certificate_name.lower()), None)
    app = ctx.app
    retire = plan_key_retirement(
        vault,
        desire.app,
        _app_of(ctx.snapshot, app.app_id),
        cert,
        endpoints,
        desire.name,
        names,
        app_key=app.desire.display_name or app.desire.app_id or app.shown_id,
    )
    if retire is None:
        return []
    after = [a for a in chain.actions if a.id in chain.waits_for]
    if moved_by is not None:
        after.append(moved_by)
    return [
        retire.model_copy(
            update={
                "depends_on": tuple(dict.fromkeys(a.id for a in after)),
                "blocked_by": tuple(dict.fromkeys(c for a in after for c in a.blocked_by)),
            }
        )
    ]


ENDPOINT = Domain(
    name="endpoint",
    source_needs=frozenset({P.CLOUD}),
    target_needs=frozenset({P.ENDPOINTS}),
    uses=(APP, CONSENT, HYDRATION, KEY_VAULT, SHARING),
    emits=frozenset({K.ENDPOINT_CREATE, K.ENDPOINT_UPDATE, K.KEY_CREDENTIAL_REMOVE}),
    plan=plan_endpoints,
)
