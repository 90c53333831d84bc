"""Migration endpoints and Test-MigrationServerAvailability (microsoft-t2t.md §3.6).

References: see the package docstring."""

from __future__ import annotations

from t2t.sandbox.azure.link import URL_FORMAT_TEXT, url_is_valid
from t2t.sandbox.credentials import secret_digest
from t2t.sandbox.exchange.cmdlets.migration._common import (
    _EP_ID,
    _MIG,
    _UNL,
    _not_yet,
    _permanent,
    _raise,
)
from t2t.sandbox.exchange.cmdlets.organization import require_hydrated
from t2t.sandbox.exchange.directory import find_recipient
from t2t.sandbox.exchange.errors import CmdletError, not_found
from t2t.sandbox.exchange.params import CONFIRM, WHATIF, Credential, Kind, Param
from t2t.sandbox.exchange.params import DOMAIN_CONTROLLER as DC_PARAM
from t2t.sandbox.exchange.registry import CmdletSpec, Invocation, Registry
from t2t.sandbox.exchange.serialize import Record, date, enum_value, guid
from t2t.sandbox.model import Tenant, derived_guid
from t2t.sandbox.moves.consent import app_consented
from t2t.sandbox.moves.credentials import sign_in_failure
from t2t.sandbox.moves.engine import failure, preflight, reachable_tenant, source_tenant_of
from t2t.sandbox.moves.model import MigrationBatch, MigrationEndpoint, MigrationUser


def endpoint_record(t: Tenant, ep: MigrationEndpoint) -> Record:
    active = sum(
        1
        for b in t.migration_batches
        if b.source_endpoint.lower() == ep.name.lower()
        for u in b.users
        if u.status in ("Queued", "Syncing", "Completing")
    )
    return {
        "Identity": ep.name,
        "Name": ep.name,
        "EndpointType": enum_value(ep.endpoint_type, f"{_MIG}.MigrationType"),
        "RemoteServer": ep.remote_server,
        "RemoteTenant": ep.remote_tenant,
        "ApplicationId": ep.application_id,
        "AppSecretKeyVaultUrl": ep.app_secret_key_vault_url,
        "Username": ep.credential_user,
        "IsRemote": True,
        "MaxConcurrentMigrations": "Unlimited"
        if ep.max_concurrent_migrations is None
        else str(ep.max_concurrent_migrations),
        "MaxConcurrentIncrementalSyncs": "Unlimited"
        if ep.max_concurrent_incremental_syncs is None
        else str(ep.max_concurrent_incremental_syncs),
        "ActiveCount": active,
        "InactiveCount": 0,
        "UseAutodiscover": False,
        "Guid": guid(ep.guid),
        "LastModifiedTime": date(ep.when_changed),
        "IsValid": True,
    }


def find_endpoint(t: Tenant, identity: str) -> MigrationEndpoint | None:
    key = str(identity).strip().lower()
    return next((e for e in t.migration_endpoints if key in (e.name.lower(), e.guid)), None)


def _require_endpoint(t: Tenant, identity: str) -> MigrationEndpoint:
    ep = find_endpoint(t, identity)
    if ep is None:
        raise not_found(identity)
    return ep


def _verify_endpoint(inv: Invocation, ep: MigrationEndpoint) -> None:
    """What New-/Set-MigrationEndpoint check unless -SkipVerification (LEARN-24:
    New-MigrationEndpoint fails until the source has consented): the remote tenant, consent,
    and — when this call brings -Credentials — a sign-in to the source with them, as the move
    will do (moves/credentials.py): a secret still propagating after addPassword, removed,
    expired or another app's is refused here; so is, when the call brings
    -AppSecretKeyVaultUrl, a certificate Exchange Online cannot read from the target's vault or
    that is not on the app (t2t/sandbox/azure/link.py). That Exchange signs in at this point
    rests on consent being checked at all (microsoft-365-docs PR #13640: "the authentication of the
    endpoint creation will keep failing" until the source consents); the refusal's text is
    the move's (README, open questions)."""
    if not ep.application_id:
        return
    source = reachable_tenant(inv.state, inv.tenant, ep.remote_tenant or "")
    if source is None:
        raise _raise(
            "MigrationServerConnectionFailedException",
            inner=f"MRSRemotePermanentException: The remote tenant '{ep.remote_tenant}' "
            "couldn't be found.",
        )
    with_certificate = bool(ep.app_secret_key_vault_url) and not ep.has_secret
    if (ep.has_secret or with_certificate) and not app_consented(source, ep.application_id):
        raise _raise(
            "MigrationAppNotConsentedInSource", app=ep.application_id, tenant=ep.remote_tenant or ""
        )
    if "Credentials" in inv.params or (with_certificate and "AppSecretKeyVaultUrl" in inv.params):
        refused = sign_in_failure(inv.state, source, ep, inv.now, target=inv.tenant)
        if refused is not None:
            raise CmdletError(400, refused.full_type, refused.message)


def _apply_endpoint(inv: Invocation, ep: MigrationEndpoint) -> None:
    p = inv.params
    if "RemoteServer" in p:
        ep.remote_server = str(p.get("RemoteServer"))
    if "RemoteTenant" in p:
        ep.remote_tenant = p.get("RemoteTenant")
    if "ApplicationId" in p:
        ep.application_id = p.get("ApplicationId")
    if "AppSecretKeyVaultUrl" in p:
        url = p.get("AppSecretKeyVaultUrl")
        # Microsoft's own pattern (VerifySetupDeprecated.ps1) and its words; that Exchange
        # refuses with them is assumed (README, open questions).
        if url and not url_is_valid(url):
            raise _permanent(URL_FORMAT_TEXT)
        ep.app_secret_key_vault_url = url
        if url and "Credentials" not in p:
            # One credential per endpoint: a certificate given alone replaces the secret (and a
            # secret given alone the certificate, below). Assumed: Exchange's behaviour when a
            # Set- switches modes is not public (README, open questions).
            ep.credential_user, ep.has_secret, ep.secret_fingerprint = None, False, None
    if "Credentials" in p:
        cred: Credential = p.get("Credentials")
        ep.credential_user = cred.user_name
        ep.has_secret = True
        ep.secret_fingerprint = secret_digest(cred.password)
        if "AppSecretKeyVaultUrl" not in p:
            ep.app_secret_key_vault_url = None
    if "MaxConcurrentMigrations" in p:
        ep.max_concurrent_migrations = p.get("MaxConcurrentMigrations")
    if "MaxConcurrentIncrementalSyncs" in p:
        ep.max_concurrent_incremental_syncs = p.get("MaxConcurrentIncrementalSyncs")
    if ep.application_id and ep.has_secret and ep.app_secret_key_vault_url:
        raise _permanent("Specify either Credentials or AppSecretKeyVaultUrl, not both.")
    # No credential at all is accepted, as Exchange accepts it; every batch against such an
    # endpoint then fails (exo-module-protocol.md, "Credentials in time" [live]).
    if (
        ep.application_id
        and ep.credential_user
        and ep.credential_user.lower() != ep.application_id.lower()
    ):
        raise _permanent(
            f"The Credentials user name '{ep.credential_user}' must be the application id "
            f"'{ep.application_id}'."
        )
    if ep.application_id and not ep.remote_tenant:
        raise _permanent("A cross-tenant endpoint with an ApplicationId needs RemoteTenant.")
    if not p.get("SkipVerification"):
        _verify_endpoint(inv, ep)


def new_migration_endpoint(inv: Invocation) -> list[Record]:
    t, p = inv.tenant, inv.params
    if not p.get("ExchangeRemoteMove"):
        raise CmdletError(
            501,
            "T2t.Sandbox.NotEmulatedException",
            "The t2t sandbox emulates only the ExchangeRemoteMove parameter set of "
            "New-MigrationEndpoint.",
            code="NotImplemented",
            error_id="",
        )
    require_hydrated(t)
    name: str = p.get("Name")
    if find_endpoint(t, name) is not None:
        raise _raise("MigrationEndpointDuplicateException", name=name)
    ep = MigrationEndpoint(
        guid=derived_guid(t.tenant_id, "endpoint", name, inv.now.isoformat()),
        name=name,
        remote_server=str(p.get("RemoteServer")),
        when_created=inv.now,
        when_changed=inv.now,
    )
    _apply_endpoint(inv, ep)
    if inv.what_if:
        return []
    t.migration_endpoints.append(ep)
    inv.created(ep.guid)
    return [endpoint_record(t, ep)]


def set_migration_endpoint(inv: Invocation) -> list[Record]:
    t = inv.tenant
    current = _require_endpoint(t, inv.params.get("Identity"))
    require_hydrated(t)
    ep = current.model_copy(deep=True)
    _apply_endpoint(inv, ep)
    if not inv.what_if:
        ep.when_changed = inv.now
        t.migration_endpoints[t.migration_endpoints.index(current)] = ep
    return []


def get_migration_endpoint(inv: Invocation) -> list[Record]:
    t = inv.tenant
    identity = inv.params.get("Identity")
    if identity:
        ep = _require_endpoint(t, identity)
        if not inv.visible(ep.guid):  # not replicated yet (faults.py lag)
            raise not_found(identity)
        return [endpoint_record(t, ep)]
    wanted = inv.params.get("Type")
    return [
        endpoint_record(t, e)
        for e in t.migration_endpoints
        if (not wanted or e.endpoint_type.lower() == str(wanted).lower()) and inv.visible(e.guid)
    ]


def remove_migration_endpoint(inv: Invocation) -> list[Record]:
    t = inv.tenant
    ep = _require_endpoint(t, inv.params.get("Identity"))
    for b in t.migration_batches:
        if b.source_endpoint.lower() == ep.name.lower():
            raise _raise("MigrationEndpointInUseException", name=ep.name, batch=b.name)
    if not inv.what_if:
        t.migration_endpoints.remove(ep)
    return []


def test_migration_server_availability(inv: Invocation) -> list[Record]:
    """-Endpoint [-TestMailbox <target MailUser>]: the per-user simulation of a move
    (BLOG-2). The answer is a record with Result Failed, not an error envelope, even for a
    missing mailbox (cross-tenant #89 shows ManagementObjectNotFoundException in ErrorDetail)."""
    t, p = inv.tenant, inv.params
    ep = _require_endpoint(t, p.get("Endpoint"))

    def result(ok: bool, message: str = "", detail: str = "") -> list[Record]:
        return [
            {
                "Result": enum_value("Success" if ok else "Failed", f"{_MIG}.MigrationTestResult"),
                "Message": message,
                "SupportsCutover": False,
                "ErrorDetail": detail,
                "ConnectionSettings": None,
                "TestedEndpoint": ep.name,
                "IsValid": True,
                "Identity": None,
            }
        ]

    state = inv.state
    probe = MigrationBatch(
        guid=derived_guid("probe"),
        name="TestMigrationServerAvailability",
        source_endpoint=ep.name,
        created_at=inv.now,
        started_at=inv.now,
    )
    mailbox = p.get("TestMailbox")
    if mailbox:
        if find_recipient(t, mailbox) is None:
            nf = not_found(mailbox)
            return result(False, nf.text, f"{nf.exception_type}: {nf.text}")
        mu = MigrationUser(guid=derived_guid("probe-user"), identity=mailbox, when_created=inv.now)
        problem = preflight(state, t, probe, mu)
        # Proxies in the delivery domain belong to the batch, not to this test.
        if problem is not None:
            return result(False, problem.message, f"{problem.full_type}: {problem.message}")
        return result(True)
    source = source_tenant_of(state, t, probe)
    if source is None or (ep.application_id and not app_consented(source, ep.application_id)):
        f = failure(
            "MigrationServerConnectionFailedException",
            inner="MRSRemotePermanentException: The source tenant could not be reached or "
            "has not consented to the migration application.",
        )
        return result(False, f.message, f"{f.full_type}: {f.message}")
    refused = sign_in_failure(state, source, ep, inv.now)
    if refused is not None:
        return result(False, refused.message, f"{refused.full_type}: {refused.message}")
    return result(True)


def register(registry: Registry) -> None:
    endpoint_common = (
        Param("ApplicationId"),
        Param("AppSecretKeyVaultUrl"),
        Param("Credentials", Kind.CREDENTIAL, "System.Management.Automation.PSCredential"),
        Param("MaxConcurrentMigrations", Kind.UNLIMITED_INT, _UNL),
        Param("MaxConcurrentIncrementalSyncs", Kind.UNLIMITED_INT, _UNL),
        Param("RemoteServer", dotnet_type="Microsoft.Exchange.Data.Fqdn"),
        Param("SkipVerification", Kind.SWITCH),
        _not_yet(
            "Partition", Kind.STRING, "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter"
        ),
        CONFIRM,
        DC_PARAM,
        WHATIF,
    )
    registry.add(
        CmdletSpec(
            "New-MigrationEndpoint",
            (
                Param("Name", mandatory=True),
                Param("ExchangeRemoteMove", Kind.SWITCH),
                Param("RemoteTenant"),
                *endpoint_common,
                _not_yet("Autodiscover"),
                _not_yet("EmailAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                _not_yet("ExchangeOutlookAnywhere"),
                _not_yet("IMAP"),
                _not_yet("Gmail"),
                _not_yet("PSTImport"),
                _not_yet("PublicFolder"),
                _not_yet("Compliance"),
                _not_yet("AcceptUntrustedCertificates"),
                _not_yet("Authentication", Kind.STRING, "System.String"),
                _not_yet("ExchangeServer", Kind.STRING, "System.String"),
                _not_yet("RpcProxyServer", Kind.STRING, "Microsoft.Exchange.Data.Fqdn"),
                _not_yet("Port", Kind.INT, "System.Int32"),
                _not_yet("Security", Kind.STRING, "System.String"),
                _not_yet("TestMailbox", Kind.STRING, "System.String"),
            ),
            new_migration_endpoint,
        )
    )
    registry.add(
        CmdletSpec(
            "Set-MigrationEndpoint",
            (
                Param("Identity", dotnet_type=_EP_ID, mandatory=True),
                *endpoint_common,
                _not_yet("ExchangeServer", Kind.STRING, "System.String"),
                _not_yet("TestMailbox", Kind.STRING, "System.String"),
            ),
            set_migration_endpoint,
        )
    )
    registry.add(
        CmdletSpec(
            "Get-MigrationEndpoint",
            (
                Param("Identity", dotnet_type=_EP_ID),
                Param(
                    "Type",
                    Kind.ENUM,
                    f"{_MIG}.MigrationType",
                    choices=(
                        "IMAP",
                        "XO1",
                        "ExchangeOutlookAnywhere",
                        "BulkProvisioning",
                        "ExchangeRemoteMove",
                        "ExchangeLocalMove",
                        "PSTImport",
                        "PublicFolder",
                        "GoogleWorkspace",
                    ),
                ),
                DC_PARAM,
                _not_yet("ConnectionSettings", Kind.STRING, "System.String"),
                _not_yet("Diagnostic"),
                _not_yet("DiagnosticArgument", Kind.STRING, "System.String"),
                _not_yet("Partition", Kind.STRING, "System.String"),
            ),
            get_migration_endpoint,
            paged=True,
        )
    )
    registry.add(
        CmdletSpec(
            "Remove-MigrationEndpoint",
            (Param("Identity", dotnet_type=_EP_ID, mandatory=True), CONFIRM, DC_PARAM, WHATIF),
            remove_migration_endpoint,
        )
    )
    registry.add(
        CmdletSpec(
            "Test-MigrationServerAvailability",
            (
                Param("Endpoint", dotnet_type=_EP_ID, mandatory=True),
                Param(
                    "TestMailbox",
                    dotnet_type="Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter",
                ),
                _not_yet("Autodiscover"),
                _not_yet(
                    "Credentials", Kind.CREDENTIAL, "System.Management.Automation.PSCredential"
                ),
                _not_yet("EmailAddress", Kind.SMTP, "Microsoft.Exchange.Data.SmtpAddress"),
                _not_yet("ExchangeRemoteMove"),
                _not_yet("RemoteServer", Kind.STRING, "Microsoft.Exchange.Data.Fqdn"),
                _not_yet("Partition", Kind.STRING, "System.String"),
                CONFIRM,
                WHATIF,
            ),
            test_migration_server_availability,
        )
    )
