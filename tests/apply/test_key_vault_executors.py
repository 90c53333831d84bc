"""The Key Vault chain's executors (t2t/apply/executors/key_vault.py) and the endpoint in
keyVaultCertificate mode, against the sandbox over HTTPS through the real SDK clients
(azure-identity, azure-mgmt-resource, azure-mgmt-keyvault, azure-keyvault-certificates; Graph
and Exchange through t2t's own), for the walkthrough's spec (specs/contoso-to-fabrikam.yaml)
on a fresh sandbox.

The faults apply must survive, as tests/apply/test_executor_faults.py has them for the other
executors: a lost answer (the sandbox acts and drops the answer: ``drop`` with
``afterHandling``) ends converged with the write handled once; a write not yet visible (a new
vault still ``RegisteringDns``, a certificate still pending, a key Entra does not find yet) is
waited for, never sent twice; an object changed by someone else between plan and apply is
planned again from what is there now; and a refused step leaves its dependants unrun.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import re
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from t2t.apply import ApplyContext, ApplyReport, apply_plan
from t2t.apply.executors.key_vault import _policy
from t2t.cli.app import probe_request
from t2t.clients import HttpLayer, connect, sandbox_hosts
from t2t.clients.azure import AzureClients
from t2t.planner import Action, Plan, build_plan
from t2t.planner.shared.key_vault.certificate import certificate_policy
from t2t.planner.shared.key_vault.desire import vault_desire
from t2t.probes import read_snapshot
from t2t.spec import load_spec
from tests.conftest import GRAPH_SCOPE, SandboxHandle
from tests.real_clients import admin_identity

SPEC = load_spec(Path(__file__).resolve().parents[2] / "specs" / "contoso-to-fabrikam.yaml")
KV = SPEC.relationship.key_vault
assert KV is not None
APP_ID = SPEC.relationship.app.app_id
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
VAULT_PATH = (
    f"/subscriptions/{KV.subscription_id}/resourceGroups/{KV.resource_group}/providers/"
    f"Microsoft.KeyVault/vaults/{KV.name}"
)
RG = f"target:azure.resource_group.create:{KV.resource_group}"
VAULT = f"target:keyvault.vault.create:{KV.name}"
ACCESS = f"target:keyvault.access.grant:{KV.name}/{EXCHANGE_APP_ID}"
CERT = f"target:keyvault.certificate.create:{KV.name}/{KV.certificate_name}"
KEY = f"target:app.key_credential.add:{APP_ID}"
ENDPOINT = f"target:endpoint.create:{SPEC.relationship.endpoint.name}"
CHAIN = (RG, VAULT, ACCESS, CERT, KEY)
#: Re-reads within ~2 s, then every 1.2 s (the sandbox completes a certificate 3 of its
#: seconds after the create, and a vault one second after its PUT).
VERIFY = (0.0, 0.3, 0.6, 1.2)


class World:
    """The sandbox and t2t's clients against it, for one test."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox
        self.deadline = 60.0
        self.verify: tuple[float, ...] = VERIFY
        """The context's re-read delays (the secret schedule is always VERIFY)."""

    def control(self, method: str, path: str, body: Any = None) -> Any:
        r = self.sandbox.http.request(method, f"{self.sandbox.base_url}/_sandbox/{path}", json=body)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def fault(self, rule: dict[str, Any]) -> None:
        self.control("POST", "faults", rule)

    def strictness(self, **values: Any) -> None:
        self.control("POST", "strictness", values)

    def writes(self, service: str) -> dict[str, int]:
        """The writes the sandbox handled per operation (method + path template), of one
        service: arm (/subscriptions/…), keyvault (/certificates/…, /secrets/…) or graph."""
        operations: dict[str, int] = self.sandbox.stats().get("byOperation") or {}
        out: dict[str, int] = {}
        for key, count in operations.items():
            method, _, path = key.partition(" ")
            if method in ("GET", "HEAD") or not count:
                continue
            kind = (
                "arm"
                if path.startswith("/subscriptions")
                else "keyvault"
                if path.startswith(("/certificates", "/secrets", "/keys"))
                else "graph"
            )
            if kind == service:
                out[key] = int(count)
        return out

    def graph(self, method: str, path: str, body: Any = None) -> Any:
        r = self.sandbox.http.request(
            method,
            f"{self.sandbox.base_url}/v1.0{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.sandbox.token('fabrikam', GRAPH_SCOPE)}"},
        )
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def app_keys(self) -> list[dict[str, Any]]:
        """The migration app's keyCredentials with their key (Graph, as an admin reads them)."""
        found = self.graph("GET", f"/applications?$filter=appId eq '{APP_ID}'")["value"]
        one = self.graph("GET", f"/applications/{found[0]['id']}?$select=keyCredentials")
        return list(one["keyCredentials"])

    @asynccontextmanager
    async def _clients(self) -> AsyncIterator[Any]:
        hosts = sandbox_hosts(self.sandbox.profile)
        async with HttpLayer(ca_file=hosts.ca_file, backoff_base=0.01) as http:
            src = connect(http, hosts, admin_identity(self.sandbox, "contoso"))
            tgt = connect(http, hosts, admin_identity(self.sandbox, "fabrikam"))
            azure = AzureClients(admin_identity(self.sandbox, "fabrikam"), hosts, backoff_base=0.01)
            try:
                yield hosts, src, tgt, azure
            finally:
                azure.close()
                src.tokens.close()
                tgt.tokens.close()

    def plan(self) -> Plan:
        async def run() -> Plan:
            async with self._clients() as (_, src, tgt, azure):
                snapshot = await read_snapshot(
                    probe_request(SPEC),
                    (src.exchange, src.graph),
                    (tgt.exchange, tgt.graph),
                    azure=azure,
                )
                return build_plan(SPEC, snapshot)

        return asyncio.run(run())

    def apply(self, plan: Plan, ids: Iterable[str] | None = None) -> ApplyReport:
        if ids is not None:
            keep = set(ids)
            plan = plan.model_copy(
                update={"actions": tuple(a for a in plan.actions if a.id in keep)}
            )

        async def run() -> ApplyReport:
            async with self._clients() as (hosts, src, tgt, azure):
                ctx = ApplyContext(
                    exchange={"source": src.exchange, "target": tgt.exchange},
                    graph={"source": src.graph, "target": tgt.graph},
                    azure={"target": azure},
                    verify_delays=self.verify,
                    hosts=hosts,
                    tenant_ids={"source": src.tenant_id, "target": tgt.tenant_id},
                    secret_wait_delays=VERIFY,
                    deadline_seconds=self.deadline,
                )
                return await apply_plan(plan, ctx)

        return asyncio.run(run())


def statuses(report: ApplyReport) -> dict[str, str]:
    return {r.id: r.status for r in report.results}


def chain(plan: Plan) -> list[str]:
    return [a.id for a in plan.actions if a.id in CHAIN]


def action(plan: Plan, aid: str) -> Action:
    return next(a for a in plan.actions if a.id == aid)


@pytest.fixture
def world(sandbox: SandboxHandle) -> World:
    return World(sandbox)


def test_an_empty_subscription_gets_the_whole_chain_once(world: World) -> None:
    """Group, vault, Exchange's access, the certificate (pending, then completed), its key on
    the app: each sent once, all converged; the next plan has no Key Vault action and names
    the certificate's version for the endpoint."""
    plan = world.plan()
    assert chain(plan) == list(CHAIN)
    report = world.apply(plan, CHAIN)
    assert statuses(report) == {aid: "done" for aid in CHAIN}, report.results
    arm = world.writes("arm")
    assert sorted(arm.values()) == [1, 1, 1], arm  # group, vault, access policy: once each
    assert sum(world.writes("keyvault").values()) == 1  # one certificate create
    again = world.plan()
    assert chain(again) == []
    assert not [f for f in again.findings if f.code in ("T2T-E238", "T2T-E240", "T2T-E242")]
    url = action(again, ENDPOINT).parameters["AppSecretKeyVaultUrl"]
    assert url.startswith(f"https://{KV.name}.vault.azure.net/certificates/{KV.certificate_name}/")
    [key] = [
        k
        for k in world.app_keys()
        if k["displayName"] == f"t2t:keyvault:{KV.name}/{KV.certificate_name}"
    ]
    der = base64.b64decode(key["key"])
    assert key["type"] == "AsymmetricX509Cert" and key["usage"] == "Verify"
    assert key["endDateTime"] is not None
    assert hashlib.sha1(der).hexdigest()  # a real certificate (its x5t is what the plan compared)


def test_the_endpoint_waits_for_the_new_key_and_names_the_current_version(world: World) -> None:
    """Entra finds a new key only seconds after the PATCH (the sandbox's strict delay): the
    endpoint asks Exchange with -WhatIf until it accepts the certificate, then creates the
    endpoint once, and the next plan is converged for it."""
    world.strictness(secret_delay_seconds=3)
    plan = world.plan()
    todo = {a.id for a in plan.actions if a.tenant == "target" and not a.blocked} | {
        a.id for a in plan.actions if a.tenant == "source" and not a.blocked
    }
    report = world.apply(plan, todo)
    got = statuses(report)
    assert got[ENDPOINT] == "done", report.results
    message = next(r.message for r in report.results if r.id == ENDPOINT)
    assert "certificate accepted after" in message
    stats = world.sandbox.stats()["byCmdlet"]
    assert stats.get("New-MigrationEndpoint", 0) >= 2  # -WhatIf at least once, then the write
    again = world.plan()
    assert [a.id for a in again.actions if a.kind.startswith("endpoint.")] == []


def _all_but_the_endpoint(world: World, delay: float) -> None:
    """Everything the endpoint depends on (the vault chain, the source's consent), applied
    with Entra finding a new key only `delay` seconds after it is added."""
    world.strictness(secret_delay_seconds=delay)
    plan = world.plan()
    by_id = {a.id: a for a in plan.actions}
    todo: set[str] = set()
    ahead = list(by_id[ENDPOINT].depends_on)
    while ahead:
        aid = ahead.pop()
        if aid in by_id and aid not in todo:
            todo.add(aid)
            ahead.extend(by_id[aid].depends_on)
    report = world.apply(plan, todo)
    assert set(statuses(report).values()) == {"done"}, report.results


def _endpoint_alone(world: World) -> tuple[str, str]:
    [result] = world.apply(world.plan(), (ENDPOINT,)).results
    return result.status, result.message


def test_the_certificate_is_waited_for_on_the_secret_schedule(world: World) -> None:
    """The -WhatIf probes follow the context's secret schedule, not its (here slow) re-read
    delays: a key found 3 s after it was added is accepted within seconds."""
    _all_but_the_endpoint(world, 3.0)
    world.verify = (0.0, 30.0)
    status, message = _endpoint_alone(world)
    assert status == "done", message
    found = re.fullmatch(
        r"certificate accepted after (\d+) s; New-MigrationEndpoint verified", message
    )
    assert found is not None, message
    assert int(found[1]) < 15, message


def test_a_certificate_entra_never_finds_is_unknown_naming_the_vault(world: World) -> None:
    """Entra still does not find the key at the endpoint's deadline: the outcome is unknown
    (not failed), the message naming the certificate Exchange was asked to use, and the
    endpoint is never created."""
    _all_but_the_endpoint(world, 600.0)
    world.deadline = 3.0
    status, message = _endpoint_alone(world)
    url = f"https://{KV.name}.vault.azure.net/certificates/{KV.certificate_name}"
    assert status == "unknown", message
    assert re.fullmatch(
        rf"waited \d+ s for Exchange to accept the certificate in {re.escape(url)}/[0-9a-f]+; "
        r"it has not happened yet — its outcome is unknown: run t2t apply again to finish it",
        message,
    ), message
    assert world.sandbox.invoke("fabrikam", "Get-MigrationEndpoint", {}).json()["value"] == []


def test_a_whatif_refused_otherwise_fails_naming_the_refusal(world: World) -> None:
    """Exchange refuses the -WhatIf for another reason than a key not found yet: the endpoint
    fails at once with Exchange's answer, and the write is not sent."""
    _all_but_the_endpoint(world, 0.0)
    world.fault(
        {
            "kind": "error",
            "status": 400,
            "count": 1,
            "match": {"service": "exchange", "cmdlet": "New-MigrationEndpoint"},
        }
    )
    assert _endpoint_alone(world) == (
        "failed",
        "New-MigrationEndpoint -WhatIf refused the certificate: New-MigrationEndpoint: "
        "ServiceUnavailable: Injected fault.",
    )
    assert world.sandbox.invoke("fabrikam", "Get-MigrationEndpoint", {}).json()["value"] == []


def test_a_lost_answer_to_the_vault_put_converges_without_a_second_vault(world: World) -> None:
    plan = world.plan()
    world.apply(plan, (RG,))
    world.fault(
        {
            "kind": "drop",
            "afterHandling": True,
            "count": 1,
            "match": {"service": "arm", "method": "PUT", "path": f"vaults/{KV.name}$"},
        }
    )
    report = world.apply(plan, (VAULT,))
    assert statuses(report) == {VAULT: "done"}, report.results
    assert report.results[0].message == f"PUT vault {KV.name} verified (its answer was lost)"
    vault_puts = {
        k: v
        for k, v in world.writes("arm").items()
        if k.startswith("PUT") and k.endswith("{vaultName}")
    }
    assert list(vault_puts.values()) == [1], vault_puts
    assert VAULT not in chain(world.plan())


def test_a_lost_answer_to_the_certificate_create_is_never_sent_again(world: World) -> None:
    """The create was handled (a pending operation exists) but its answer lost: the executor
    re-reads, finds the creation under way and waits for it; one create in all."""
    plan = world.plan()
    world.apply(plan, (RG, VAULT, ACCESS))
    world.fault(
        {
            "kind": "drop",
            "afterHandling": True,
            "count": 1,
            "match": {"service": "keyvault", "method": "POST", "path": "/create$"},
        }
    )
    report = world.apply(world.plan(), (CERT,))
    assert statuses(report) == {CERT: "done"}, report.results
    assert sum(world.writes("keyvault").values()) == 1
    assert CERT not in chain(world.plan())


def test_a_certificate_pending_at_plan_time_is_waited_for_not_created_again(world: World) -> None:
    plan = world.plan()
    world.apply(plan, (RG, VAULT, ACCESS))

    # someone else starts the creation between plan and apply
    async def start() -> None:
        async with world._clients() as (_, _src, _tgt, azure):
            from azure.keyvault.certificates import CertificatePolicy

            client = azure.certificates(f"https://{KV.name}.vault.azure.net/")
            policy = CertificatePolicy(
                issuer_name="Self", subject=KV.certificate_subject, validity_in_months=12
            )
            await azure.write(
                "create",
                lambda: client.begin_create_certificate(
                    KV.certificate_name, policy, _polling_interval=0
                ),
            )

    planned = world.plan()
    assert CERT in chain(planned)
    asyncio.run(start())
    before = sum(world.writes("keyvault").values())
    report = world.apply(planned, (CERT,))
    assert statuses(report) == {CERT: "done"}, report.results
    assert sum(world.writes("keyvault").values()) == before  # nothing more sent


def test_exchange_access_granted_by_hand_after_the_plan_is_a_noop(world: World) -> None:
    plan = world.plan()
    world.apply(plan, (RG, VAULT))
    planned = world.plan()
    assert ACCESS in chain(planned)
    grant = action(planned, ACCESS)

    async def by_hand() -> None:
        async with world._clients() as (_, _src, _tgt, azure):
            vaults = azure.vaults(KV.subscription_id).vaults
            await azure.write(
                "grant by hand",
                lambda: vaults.update_access_policy(
                    KV.resource_group, KV.name, "add", grant.parameters
                ),
            )

    asyncio.run(by_hand())
    before = world.writes("arm")
    report = world.apply(planned, (ACCESS,))
    assert statuses(report) == {ACCESS: "noop"}, report.results
    assert world.writes("arm") == before


def test_a_key_added_to_the_app_after_the_plan_is_kept(world: World) -> None:
    """The PATCH replaces the whole collection: it is built from the app as it is at apply
    time (read with $select=keyCredentials), so a key someone added after the plan stays."""
    plan = world.plan()
    world.apply(plan, (RG, VAULT, ACCESS, CERT))
    planned = world.plan()
    assert KEY in chain(planned)
    assert action(planned, KEY).parameters["keep"] == []
    other = _self_signed_der("CN=someone-else")
    app = world.graph("GET", f"/applications?$filter=appId eq '{APP_ID}'")["value"][0]
    world.graph(
        "PATCH",
        f"/applications/{app['id']}",
        {
            "keyCredentials": [
                {
                    "type": "AsymmetricX509Cert",
                    "usage": "Verify",
                    "key": other,
                    "displayName": "by hand",
                }
            ]
        },
    )
    report = world.apply(planned, (KEY,))
    assert statuses(report) == {KEY: "done"}, report.results
    assert report.results[0].message == (
        f"Graph PATCH /applications/{app['id']} keyCredentials verified"
    )
    names = sorted(k["displayName"] for k in world.app_keys())
    assert names == ["by hand", f"t2t:keyvault:{KV.name}/{KV.certificate_name}"]


def test_a_refused_certificate_create_skips_its_dependants(world: World) -> None:
    """t2t's own access policy removed after the vault was made: the create is refused (403),
    the key credential and the endpoint behind it are skipped, none of their writes sent;
    Exchange's access, which does not depend on it, is granted."""
    plan = world.plan()
    world.apply(plan, (RG, VAULT))
    planned = world.plan()

    async def revoke() -> None:
        async with world._clients() as (_, _src, _tgt, azure):
            own = await azure.own_object_id()
            vaults = azure.vaults(KV.subscription_id).vaults
            body = {
                "properties": {
                    "accessPolicies": [
                        {
                            "tenantId": SPEC.target.tenant_id,
                            "objectId": own,
                            "permissions": {"certificates": ["get", "list", "create", "update"]},
                        }
                    ]
                }
            }
            await azure.write(
                "revoke",
                lambda: vaults.update_access_policy(KV.resource_group, KV.name, "remove", body),
            )

    asyncio.run(revoke())
    graph_before = world.writes("graph")
    report = world.apply(planned, (ACCESS, CERT, KEY, ENDPOINT))
    got = statuses(report)
    assert got[CERT] == "failed" and "403" in next(
        r.message for r in report.results if r.id == CERT
    )
    assert got[KEY] == "skipped" and got[ENDPOINT] == "skipped"
    assert got[ACCESS] == "done"
    assert world.writes("graph") == graph_before
    assert world.writes("keyvault") == {}


def test_the_certificate_policy_sent_is_the_one_the_plan_shows() -> None:
    """The create sends exactly the policy the reviewed plan showed (self-signed, the spec's
    subject, 12 months, RSA 2048, exportable — Exchange reads the private key — PKCS#12), every
    field set rather than left to Key Vault's defaults."""
    desire = vault_desire(SPEC)
    assert desire is not None
    policy = _policy(desire)
    sent = {
        "issuer": policy.issuer_name,
        "subject": policy.subject,
        "validityInMonths": policy.validity_in_months,
        "keyType": policy.key_type,
        "keySize": policy.key_size,
        "exportable": policy.exportable,
        "contentType": policy.content_type,
    }
    assert sent == certificate_policy(desire)
    assert sent["issuer"] == "Self" and sent["exportable"] is True


def test_a_key_credential_step_fails_on_what_it_cannot_run_without(world: World) -> None:
    """An action naming no app (the planner always names it) fails at once. Re-read at apply: no
    certificate in the vault (its create not run), a PATCH Graph
    refuses, the app gone — each fails with the message the operator reads, and no PATCH is
    handled."""
    plan = world.plan()
    world.apply(plan, (RG, VAULT, ACCESS))
    planned = world.plan()
    assert [a for a in chain(planned) if a in (CERT, KEY)] == [CERT, KEY]
    key = action(planned, KEY)
    appless = key.model_copy(update={"desired": {**key.desired, "app": None}})
    edited = planned.model_copy(
        update={"actions": tuple(appless if a.id == KEY else a for a in planned.actions)}
    )
    [result] = world.apply(edited, (KEY,)).results
    assert (result.status, result.message) == ("failed", "the action names no migration app")
    [result] = world.apply(planned, (KEY,)).results
    assert (result.status, result.message) == (
        "failed",
        f"the certificate {KV.name}/{KV.certificate_name} has no usable version",
    )
    assert world.writes("graph") == {}
    assert statuses(world.apply(planned, (CERT,))) == {CERT: "done"}
    app = world.graph("GET", f"/applications?$filter=appId eq '{APP_ID}'")["value"][0]
    world.fault(
        {
            "kind": "error",
            "status": 400,
            "count": 1,
            "match": {"service": "graph", "method": "PATCH", "path": "/applications/"},
        }
    )
    [result] = world.apply(planned, (KEY,)).results
    assert (result.status, result.message) == (
        "failed",
        f"HTTP 400 UnknownError: PATCH /applications/{app['id']}: Injected fault.",
    )
    assert world.writes("graph") == {}  # refused before it was handled, and not sent again
    world.graph("DELETE", f"/applications/{app['id']}")
    [result] = world.apply(planned, (KEY,)).results
    assert (result.status, result.message) == (
        "failed",
        "the migration app is not in the target",
    )


def test_a_certificate_expired_since_the_plan_is_not_put_on_the_app(world: World) -> None:
    """The plan saw no usable version; by apply the current one (imported by an administrator,
    valid for seconds) has expired: the re-read at apply checks its expiry against real time,
    and the step fails rather than trusting an expired key."""
    plan = world.plan()
    world.apply(plan, (RG, VAULT, ACCESS))
    planned = world.plan()
    assert KEY in chain(planned)
    pfx = _pfx_valid_for(2)[0]

    _import_by_hand(world, pfx)
    time.sleep(3)
    [result] = world.apply(planned, (KEY,)).results
    assert (result.status, result.message) == (
        "failed",
        f"the certificate {KV.name}/{KV.certificate_name} has no usable version",
    )
    assert world.writes("graph") == {}


def _import_by_hand(world: World, pfx: bytes) -> None:
    """An administrator grants t2t's identity `import` in the vault and imports `pfx` as the
    certificate's new current version."""

    async def imported() -> None:
        async with world._clients() as (_, _src, _tgt, azure):
            own = await azure.own_object_id()
            vaults = azure.vaults(KV.subscription_id).vaults
            entry = {
                "tenantId": SPEC.target.tenant_id,
                "objectId": own,
                "permissions": {"certificates": ["import"]},
            }
            body = {"properties": {"accessPolicies": [entry]}}
            await azure.write(
                "import grant",
                lambda: vaults.update_access_policy(KV.resource_group, KV.name, "add", body),
            )
            client = azure.certificates(f"https://{KV.name}.vault.azure.net/")
            await azure.write("import", lambda: client.import_certificate(KV.certificate_name, pfx))

    asyncio.run(imported())


def _pfx_valid_for(seconds: int) -> tuple[bytes, dt.datetime]:
    """A PKCS#12 file (new RSA key, self-signed) valid from a minute ago for ``seconds`` more
    of real time, and when it ends."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ends = now + dt.timedelta(seconds=seconds)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "admin_fabrikam")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(ends)
        .sign(key, hashes.SHA256())
    )
    pfx = pkcs12.serialize_key_and_certificates(
        b"admin", key, cert, None, serialization.NoEncryption()
    )
    return pfx, ends


def _self_signed_der(subject: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject.removeprefix("CN="))])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=300))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


# -- the certificate the endpoint is given, read again at apply (executors/endpoint.py
#    certificate_url): each way there is none Exchange could sign in with fails the endpoint
#    before anything is written, with the whole message the operator reads.

CERT_WHERE = f"{KV.name}/{KV.certificate_name}"


def _endpoint_from(world: World, plan: Plan, azure: bool = True) -> tuple[str, str, dict[str, int]]:
    """The endpoint action of ``plan`` applied alone (optionally with no Azure clients for the
    target): its status, message, and Exchange's endpoint writes (incl. -WhatIf) meanwhile."""
    before = dict(world.sandbox.stats()["byCmdlet"])
    if azure:
        report = world.apply(plan, (ENDPOINT,))
    else:

        async def run() -> ApplyReport:
            async with world._clients() as (hosts, src, tgt, _azure):
                ctx = ApplyContext(
                    exchange={"source": src.exchange, "target": tgt.exchange},
                    graph={"source": src.graph, "target": tgt.graph},
                    azure={},
                    verify_delays=world.verify,
                    hosts=hosts,
                    tenant_ids={"source": src.tenant_id, "target": tgt.tenant_id},
                    secret_wait_delays=VERIFY,
                    deadline_seconds=world.deadline,
                )
                keep = tuple(a for a in plan.actions if a.id == ENDPOINT)
                return await apply_plan(plan.model_copy(update={"actions": keep}), ctx)

        report = asyncio.run(run())
    [result] = report.results
    after = world.sandbox.stats()["byCmdlet"]
    sent = {
        c: int(after[c]) - int(before.get(c, 0))
        for c in ("New-MigrationEndpoint", "Set-MigrationEndpoint")
        if int(after.get(c, 0)) != int(before.get(c, 0))
    }
    return result.status, result.message, sent


def test_an_endpoint_without_azure_clients_for_the_target_fails_saying_so(world: World) -> None:
    plan = world.plan()
    assert _endpoint_from(world, plan, azure=False) == (
        "failed",
        "no Azure clients for the target tenant",
        {},
    )


def test_an_endpoint_whose_vault_is_gone_fails_naming_the_vault(world: World) -> None:
    """Nothing of the chain exists at apply (no group, no vault): not a crash, the vault named."""
    plan = world.plan()
    assert _endpoint_from(world, plan) == (
        "failed",
        f"the vault {KV.name} does not exist",
        {},
    )


def test_an_endpoint_whose_vault_is_unreadable_fails_with_arm_s_answer(world: World) -> None:
    plan = world.plan()
    world.apply(plan, (RG, VAULT))
    world.fault(
        {
            "kind": "error",
            "status": 403,
            "count": 1,
            "match": {"service": "arm", "method": "GET", "path": f"vaults/{KV.name}$"},
        }
    )
    status, message, sent = _endpoint_from(world, plan)
    assert (status, sent) == ("failed", {}), message
    where = f"vault {KV.name} in resource group {KV.resource_group} of subscription"
    assert message == (
        f"cannot read the vault {KV.name}: HTTP 403 ServiceUnavailable: GET {where} "
        f"{KV.subscription_id}: Injected fault."
    ), message


def test_an_endpoint_whose_certificate_is_unreadable_fails_with_key_vault_s_answer(
    world: World,
) -> None:
    plan = world.plan()
    world.apply(plan, (RG, VAULT))
    world.fault(
        {
            "kind": "error",
            "status": 403,
            "count": 1,
            "match": {"service": "keyvault", "method": "GET", "path": "/certificates/"},
        }
    )
    status, message, sent = _endpoint_from(world, plan)
    assert (status, sent) == ("failed", {}), message
    assert message == (
        f"cannot read the certificate {CERT_WHERE}: HTTP 403 ServiceUnavailable: "
        f"GET certificate {KV.certificate_name} in vault {KV.name}: Injected fault."
    ), message


def test_an_endpoint_whose_vault_has_no_certificate_fails_naming_it(world: World) -> None:
    plan = world.plan()
    world.apply(plan, (RG, VAULT))
    assert _endpoint_from(world, plan) == (
        "failed",
        f"the certificate {CERT_WHERE} has no usable version",
        {},
    )


def test_an_endpoint_whose_certificate_expired_after_the_plan_fails_naming_it(
    world: World,
) -> None:
    """The vault's current version, enabled and with its certificate, has run out between the
    plan and the endpoint (an administrator imported one valid for seconds; Key Vault refuses
    to import one already expired): Exchange could not sign in with it, so the endpoint fails
    naming the certificate, and nothing is sent to Exchange."""
    import time

    plan = world.plan()
    world.apply(plan, (RG, VAULT))
    pfx, ends = _pfx_valid_for(3)

    _import_by_hand(world, pfx)
    left = (ends - dt.datetime.now(dt.UTC)).total_seconds()
    assert left > 0  # imported before it ended
    time.sleep(left + 0.5)
    assert _endpoint_from(world, plan) == (
        "failed",
        f"the certificate {CERT_WHERE} has no usable version",
        {},
    )
