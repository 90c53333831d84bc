"""The walkthrough's Key Vault certificate (`specs/contoso-to-fabrikam.yaml`) when its current
version expires, against a fresh `t2t sandbox serve`: the link broken by time, as it breaks.

Key Vault refuses to import a certificate that has already expired ("X509 Certificate is
already expired": t2t/sandbox/azure/certificate_import.py), so an expired current version is
made the way it happens: an administrator renews the certificate by hand — imports one (made
with `cryptography`, valid for seconds) as the certificate's new version, adds its key to the
migration app (Graph PATCH keyCredentials, the whole collection) and points the endpoint at it
(Set-MigrationEndpoint, which Exchange verifies) — and the certificate then runs out. t2t
compares validity with its
own clock, which is real time, so the sandbox clock is left on real time until the link is
broken: the licences provision at once (`licensing_seconds` 0) instead of after two sandbox
minutes, and a migration step lasts an hour (`secondsPerStep`), so no step of the syncing batch
falls in the seconds the certificate is being renewed.

- repaired: `t2t plan` names T2T-E240 before any write, `t2t apply` makes a new version, puts
  its key on the app beside the administrator's expired one and moves the endpoint to it, and
  the batch still syncs and completes;
- the check ignored: Exchange refuses the endpoint at the expired version (its verification),
  takes it with -SkipVerification, and the move fails at its next step with the AADSTS700027
  T2T-E240 names ("The key used is expired");
- expiring: a version that ends within 30 days is T2T-W241, a warning that blocks nothing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import ssl
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.e2e.helpers import EXCHANGE_SCOPE, control, graph, invoke, run, stats, token
from tests.e2e.test_batches import advance, batch, recipient
from tests.e2e.test_key_vault_credential import (
    APP,
    MARKER,
    MOVED,
    SPEC,
    VAULT,
    app_keys,
    applied,
    arm,
    current_version,
    endpoint,
)
from tests.sandbox.azure_helpers import certificate_client

HOUR = 3600
APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
VAULT_NAME, CERTIFICATE = "fabrikam-t2t-kv", "t2t-cert"
RENEWED = "CN=admin_fabrikam, renewed by hand"
"""The displayName of the administrator's key on the app (not t2t's marker)."""


# -- the sandbox and the spec's state ------------------------------------------------------------


def syncing(state: Path, profile: dict[str, Any]) -> None:
    """Fresh tenants to the walkthrough spec converged with its batch syncing, the sandbox
    clock still on real time (see the module's docstring)."""
    control(profile, "POST", "strictness", {"licensing_seconds": 0})
    control(profile, "POST", "moves", {"secondsPerStep": HOUR})
    out = applied(state)
    if "batch.create:wave-1: done" not in out:  # planned blocked: the mail users were not there
        out = applied(state)
    assert "batch.create:wave-1: done" in out, out[-3000:]
    converged = run("plan", SPEC, "--detailed-exitcode", state=state)
    assert converged.returncode == 0, converged.stdout[-3000:] + converged.stderr
    assert batch(profile, "wave-1")["Status"].lower() == "syncing"
    assert control(profile, "GET", "clock")["offsetSeconds"] == 0


def plan_json(state: Path) -> dict[str, Any]:
    out = run("plan", SPEC, "--format", "json", state=state)
    assert out.returncode in (0, 2), out.stdout[-3000:] + out.stderr
    found: dict[str, Any] = json.loads(out.stdout)
    return found


def writes(profile: dict[str, Any]) -> int:
    return int(stats(profile)["byKind"]["write"])


# -- the administrator's renewal by hand ---------------------------------------------------------


def self_signed(lifetime: dt.timedelta) -> tuple[bytes, x509.Certificate]:
    """A PKCS#12 file with a new RSA key and its self-signed certificate (client
    authentication), valid from a minute ago for ``lifetime`` more of real time."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "admin_fabrikam")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + lifetime)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pfx = pkcs12.serialize_key_and_certificates(
        b"admin_fabrikam", key, cert, None, serialization.NoEncryption()
    )
    return pfx, cert


def fabrikam(profile: dict[str, Any]) -> dict[str, Any]:
    return dict(next(t for t in profile["tenants"] if t["name"] == "fabrikam"))


def imported(profile: dict[str, Any], pfx: bytes) -> str:
    """The certificate imported as the spec's certificate's new version, as the admin does it:
    their access policy on the vault extended with certificates import (ARM accessPolicies/add;
    t2t's own grants create, get, list, update), then azure-keyvault-certificates'
    import_certificate. The new version's id."""
    admin = fabrikam(profile)["adminApp"]["clientId"]
    sp = graph(profile, "fabrikam", "GET", f"/servicePrincipals?$filter=appId eq '{admin}'")
    entry = {
        "tenantId": fabrikam(profile)["tenantId"],
        "objectId": sp["value"][0]["id"],
        "permissions": {"certificates": ["import"]},
    }
    arm(profile, "PUT", f"{VAULT}/accessPolicies/add", {"properties": {"accessPolicies": [entry]}})
    with certificate_client(profile, VAULT_NAME) as kv:
        made = kv.import_certificate(CERTIFICATE, pfx)
    assert made.id is not None
    return made.id


def trusted(profile: dict[str, Any], cert: x509.Certificate) -> None:
    """The certificate's key added to the migration app beside every key it holds (Graph
    replaces the whole collection), ending when the certificate ends."""
    app = graph(profile, "fabrikam", "GET", APP)
    added = {
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
        "displayName": RENEWED,
        "endDateTime": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body = {"keyCredentials": [*app_keys(profile), added]}
    graph(profile, "fabrikam", "PATCH", f"/applications/{app['id']}", body)


def set_endpoint(profile: dict[str, Any], url: str, **more: Any) -> httpx.Response:
    """Set-MigrationEndpoint -AppSecretKeyVaultUrl, the answer as it comes."""
    params = {"Identity": "contoso-t2t", "AppSecretKeyVaultUrl": url, **more}
    return httpx.post(
        f"{profile['endpoints']['exchange']}/{fabrikam(profile)['tenantId']}/InvokeCommand",
        json={"CmdletInput": {"CmdletName": "Set-MigrationEndpoint", "Parameters": params}},
        headers={"Authorization": f"Bearer {token(profile, 'fabrikam', EXCHANGE_SCOPE)}"},
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )


def pointed(profile: dict[str, Any], url: str, until: dt.datetime) -> None:
    """The endpoint moved to ``url`` with Exchange's verification, retried while Entra does not
    find the new key yet (propagation: AADSTS700027 "The key was not found")."""
    while True:
        answer = set_endpoint(profile, url)
        if answer.status_code < 300:
            return
        assert "The key was not found" in answer.text, answer.text
        assert dt.datetime.now(dt.UTC) < until, "the key did not propagate in time"
        time.sleep(1)


def wait_past(when: dt.datetime) -> None:
    left = (when - dt.datetime.now(dt.UTC)).total_seconds() + 1
    if left > 0:
        time.sleep(left)


def renewed_by_hand(
    profile: dict[str, Any], lifetime: dt.timedelta
) -> tuple[str, x509.Certificate]:
    """The admin's renewal: a certificate imported as the current version, its key on the app;
    the version's id and the certificate."""
    pfx, cert = self_signed(lifetime)
    url = imported(profile, pfx)
    trusted(profile, cert)
    return url, cert


# -- the tests ----------------------------------------------------------------------------------


def test_an_expired_certificate_is_named_before_any_write_and_replaced(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    guids = {s: recipient(profile, "contoso", s)["ExchangeGuid"] for s in MOVED}
    syncing(state, profile)
    ours = current_version(state)

    url, cert = renewed_by_hand(profile, dt.timedelta(seconds=40))
    pointed(profile, url, until=cert.not_valid_after_utc)  # verified while it is valid
    assert endpoint(profile)["AppSecretKeyVaultUrl"] == url == current_version(state)
    wait_past(cert.not_valid_after_utc)

    before = writes(profile)
    found = plan_json(state)
    assert writes(profile) == before  # named by the plan, which writes nothing
    codes = {f["code"]: f for f in found["findings"] if f["severity"] != "info"}
    assert set(codes) == {"T2T-E240"}, found["findings"]
    assert codes["T2T-E240"]["fixed_by_plan"] is True
    assert url.rsplit("/", 1)[1] in codes["T2T-E240"]["message"]
    kinds = sorted(a["kind"] for a in found["actions"])
    assert kinds == [
        "app.key_credential.add",
        "app.key_credential.remove",
        "endpoint.update",
        "keyvault.certificate.create",
    ], kinds
    assert (found["summary"]["blocked"], found["summary"]["blockingFindings"]) == (0, 0)

    repaired = applied(state)
    assert "keyvault.certificate.create:fabrikam-t2t-kv/t2t-cert: done" in repaired
    assert "endpoint.update:contoso-t2t: done" in repaired, repaired[-3000:]
    new = current_version(state)
    assert new not in (url, ours) and endpoint(profile)["AppSecretKeyVaultUrl"] == new
    keys = {k["displayName"]: k for k in app_keys(profile)}
    assert RENEWED in keys and MARKER in keys  # the new key beside the admin's expired one
    again = run("plan", SPEC, "--detailed-exitcode", state=state)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr

    advance(profile, 3 * HOUR)  # the batch syncs on the new version
    assert batch(profile, "wave-1")["Status"].lower() == "synced"
    cutover = tmp_path / "contoso-to-fabrikam.yaml"
    text = Path(SPEC).read_text(encoding="utf-8")
    cutover.write_text(text.replace("    phase: sync", "    phase: complete"), encoding="utf-8")
    completed = run("apply", str(cutover), "--auto-approve", state=state)
    assert "batch.complete:wave-1: done" in completed.stdout, completed.stdout[-3000:]
    advance(profile, 3 * HOUR)
    assert batch(profile, "wave-1")["Status"].lower() == "completed"
    for source, target in MOVED.items():
        moved = recipient(profile, "fabrikam", target)
        assert (moved["RecipientTypeDetails"], moved["ExchangeGuid"]) == (
            "UserMailbox",
            guids[source],
        )


def test_with_the_check_ignored_the_move_fails_with_the_error_it_names(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    syncing(state, profile)
    url, cert = renewed_by_hand(profile, dt.timedelta(seconds=15))
    propagation = control(profile, "GET", "strictness")["secret_delay_seconds"]
    trusted_at = dt.datetime.now(dt.UTC)
    # expired, and the key found by Entra (else its answer is "The key was not found")
    wait_past(max(cert.not_valid_after_utc, trusted_at + dt.timedelta(seconds=propagation + 1)))
    der = cert.public_bytes(serialization.Encoding.DER)
    found_key = (
        f"Start={cert.not_valid_before_utc:%m/%d/%Y %H:%M:%S}, "
        f"End={cert.not_valid_after_utc:%m/%d/%Y %H:%M:%S}"
    )
    entra = (
        "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is "
        f"expired., Thumbprint of key used by client: '{hashlib.sha1(der).hexdigest().upper()}', "
        f"Found key '{found_key}', Please visit the Azure Portal, Graph Explorer or directly use "
        f"MS Graph to see configured keys for app Id '{APP_ID}'.]"
    )

    # what T2T-E240 says the move will fail with …
    [e240] = [f for f in plan_json(state)["findings"] if f["code"] == "T2T-E240"]
    assert url.rsplit("/", 1)[1] in e240["message"] and "AADSTS700027" in e240["prevents"]
    # … Exchange's own verification answers when the endpoint is pointed at the version
    refused = set_endpoint(profile, url)
    assert refused.status_code == 400 and entra in refused.text, refused.text
    assert endpoint(profile)["AppSecretKeyVaultUrl"] != url  # nothing changed

    # the check ignored: -SkipVerification, and the batch's next step signs in with it
    taken = set_endpoint(profile, url, SkipVerification=True)
    assert taken.status_code < 300, taken.text
    assert endpoint(profile)["AppSecretKeyVaultUrl"] == url
    advance(profile, HOUR + 60)
    users = invoke(profile, "fabrikam", "Get-MigrationUser", {"BatchId": "wave-1"})["value"]
    failure = (
        "MigrationServerConnectionFailedException: The connection to the server "
        f"'outlook.office365.com' could not be completed. --> MRSRemotePermanentException: {entra}"
    )
    assert len(users) == len(MOVED)
    assert {(u["Status"], u["ErrorSummary"]) for u in users} == {("Failed", failure)}
    assert batch(profile, "wave-1")["Status"].lower() == "failed"


def test_a_certificate_ending_within_30_days_is_a_warning_that_blocks_nothing(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    syncing(state, profile)
    pfx, _cert = self_signed(dt.timedelta(days=10))
    url = imported(profile, pfx)  # the current version now; not yet on the app nor the endpoint

    found = plan_json(state)
    codes = {f["code"]: f for f in found["findings"] if f["severity"] != "info"}
    assert set(codes) == {"T2T-W241", "T2T-E242", "T2T-E243"}, found["findings"]
    assert (codes["T2T-W241"]["severity"], codes["T2T-W241"]["fixed_by_plan"]) == (
        "warning",
        False,
    )
    assert url.rsplit("/", 1)[1] in codes["T2T-W241"]["message"]
    kinds = sorted(a["kind"] for a in found["actions"])
    assert kinds == ["app.key_credential.add", "app.key_credential.remove", "endpoint.update"]
    assert (found["summary"]["blocked"], found["summary"]["blockingFindings"]) == (0, 0)

    adopted = applied(state)
    assert "endpoint.update:contoso-t2t: done" in adopted, adopted[-3000:]
    assert endpoint(profile)["AppSecretKeyVaultUrl"] == url == current_version(state)
    again = plan_json(state)
    assert [f["code"] for f in again["findings"] if f["severity"] != "info"] == ["T2T-W241"]
    assert (again["actions"], again["summary"]["exitCode"]) == ([], 0)
