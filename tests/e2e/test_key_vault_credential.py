"""The walkthrough's own spec, `specs/contoso-to-fabrikam.yaml` — the migration app's credential
a self-signed certificate in the target's Azure Key Vault, named by the endpoint's
-AppSecretKeyVaultUrl — run as a user runs it, against a fresh `t2t sandbox serve`: plan →
apply (the resource group, the vault, Exchange Online's access, the certificate, its key on
the app, the endpoint, the mail users) → the sandbox clock past the licences' provisioning →
apply (the batch) → the clock past the sync: an empty plan; then the cut-over the spec's next
revision asks for (`phase: complete`) moves the mailboxes.

Then each link between Exchange and the certificate broken by hand — Exchange's access policy
removed, the certificate's key removed from the app, the endpoint pointed at another version,
the certificate's version disabled — is named by its check before anything runs, and one apply
repairs it. A version that expires: test_key_vault_expiry.py."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.helpers import graph, invoke, run, token
from tests.e2e.test_batches import advance, batch, recipient

SPEC = "specs/contoso-to-fabrikam.yaml"
SUBSCRIPTION = "3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d"
VAULT = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/CrossTenantMoveRG/providers/"
    "Microsoft.KeyVault/vaults/fabrikam-t2t-kv"
)
APP = "/applications(appId='5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f')"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
TARGET = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
MARKER = "t2t:keyvault:fabrikam-t2t-kv/t2t-cert"
MOVED = {
    "debra@contoso.com": "debra@fabrikam.com",
    "alex@contoso.com": "alex.wilber@fabrikam.com",
    "megan@contoso.com": "megan@fabrikam.com",
    "lynne@contoso.com": "lynne.robbins@fabrikam.com",
    "nestor@contoso.com": "nestor@fabrikam.com",
}


def azure(profile: dict[str, Any], method: str, url: str, resource: str, body: Any = None) -> Any:
    """An admin's own ARM or Key Vault call (the sandbox's admin app of Fabrikam)."""
    response = httpx.request(
        method,
        url,
        json=body,
        headers={"Authorization": f"Bearer {token(profile, 'fabrikam', f'{resource}/.default')}"},
        verify=ssl.create_default_context(cafile=profile["caFile"]),
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def arm(profile: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    url = f"{profile['endpoints']['arm']}{path}?api-version=2026-05-15"
    return azure(profile, method, url, "https://management.azure.com", body)


def key_vault(profile: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    base = profile["endpoints"]["keyVault"].replace("{name}", "fabrikam-t2t-kv")
    return azure(profile, method, f"{base}{path}?api-version=7.6", "https://vault.azure.net", body)


def endpoint(profile: dict[str, Any]) -> dict[str, Any]:
    found = invoke(profile, "fabrikam", "Get-MigrationEndpoint", {"Identity": "contoso-t2t"})
    return dict(found["value"][0])


def current_version(state: Path) -> str:
    """The certificate's current version id, as t2t show reads it."""
    shown = json.loads(run("show", SPEC, "--format", "json", state=state).stdout)
    [cert] = shown["target"]["parts"]["vault_certificates"]["value"]
    return str(cert["current"]["id"])


def app_keys(profile: dict[str, Any]) -> list[dict[str, Any]]:
    app = graph(profile, "fabrikam", "GET", APP)
    return list(
        graph(profile, "fabrikam", "GET", f"/applications/{app['id']}?$select=keyCredentials")[
            "keyCredentials"
        ]
    )


def applied(state: Path) -> str:
    out = run("apply", SPEC, "--auto-approve", state=state)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr
    assert " 0 failed" in out.stdout and " 0 skipped" in out.stdout, out.stdout[-4000:]
    return out.stdout


def syncing(state: Path, profile: dict[str, Any]) -> None:
    """Fresh tenants to a syncing batch: apply, the licences provision, apply."""
    first = applied(state)
    for done in (
        "azure.resource_group.create:CrossTenantMoveRG: done",
        "keyvault.vault.create:fabrikam-t2t-kv: done",
        f"keyvault.access.grant:fabrikam-t2t-kv/{EXCHANGE_APP_ID}: done",
        "keyvault.certificate.create:fabrikam-t2t-kv/t2t-cert: done",
        "app.key_credential.add:5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f: done",
        "endpoint.create:contoso-t2t: done",
    ):
        assert done in first, first[-4000:]
    assert "batch.create:wave-1: blocked" in first  # the licences provision (T2T-E320)
    advance(profile, 121)
    second = applied(state)
    assert "batch.create:wave-1: done" in second, second[-3000:]


def test_the_walkthrough_spec_moves_its_mailboxes_on_a_key_vault_certificate(
    served: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    state, profile = served
    guids = {s: recipient(profile, "contoso", s)["ExchangeGuid"] for s in MOVED}
    first = run("plan", SPEC, "--detailed-exitcode", state=state)
    assert first.returncode == 2, first.stdout[-3000:] + first.stderr
    assert 'AppSecretKeyVaultUrl    = "(known after apply)"' in first.stdout
    syncing(state, profile)

    version = current_version(state)
    assert version.startswith("https://fabrikam-t2t-kv.vault.azure.net/certificates/t2t-cert/")
    assert endpoint(profile)["AppSecretKeyVaultUrl"] == version
    assert endpoint(profile)["Username"] is None  # no secret: the certificate only
    [key] = [k for k in app_keys(profile) if k["displayName"] == MARKER]
    assert key["type"] == "AsymmetricX509Cert" and key["usage"] == "Verify"

    advance(profile, 3600)  # the batch syncs, signing in with the vault's certificate
    assert batch(profile, "wave-1")["Status"].lower() == "synced"
    second = run("plan", SPEC, "--detailed-exitcode", state=state)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert "No changes:" in second.stdout

    cutover = tmp_path / "contoso-to-fabrikam.yaml"  # the spec's next revision: cut over
    text = Path(SPEC).read_text(encoding="utf-8")
    cutover.write_text(text.replace("    phase: sync", "    phase: complete"), encoding="utf-8")
    completed = run("apply", str(cutover), "--auto-approve", state=state)
    assert "batch.complete:wave-1: done" in completed.stdout, completed.stdout[-3000:]
    advance(profile, 3600)
    assert batch(profile, "wave-1")["Status"].lower() == "completed"
    for source, target in MOVED.items():
        assert recipient(profile, "contoso", source)["RecipientTypeDetails"] == "MailUser"
        moved = recipient(profile, "fabrikam", target)
        assert (moved["RecipientTypeDetails"], moved["ExchangeGuid"]) == (
            "UserMailbox",
            guids[source],
        )
    final = run("plan", str(cutover), "--detailed-exitcode", state=state)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr


def test_each_broken_link_is_named_before_a_batch_runs_and_repaired(
    served: tuple[Path, dict[str, Any]],
) -> None:
    state, profile = served
    syncing(state, profile)
    version = current_version(state)
    exo = graph(
        profile, "fabrikam", "GET", f"/servicePrincipals?$filter=appId eq '{EXCHANGE_APP_ID}'"
    )
    exo_id = exo["value"][0]["id"]

    # 1. Exchange's access policy removed
    grant = {"secrets": ["get", "list"], "certificates": ["get", "list"]}
    arm(
        profile,
        "PUT",
        f"{VAULT}/accessPolicies/remove",
        {
            "properties": {
                "accessPolicies": [{"tenantId": TARGET, "objectId": exo_id, "permissions": grant}]
            }
        },
    )
    # 2. the certificate's key removed from the app (every other key kept)
    app = graph(profile, "fabrikam", "GET", APP)
    others = [k for k in app_keys(profile) if k["displayName"] != MARKER]
    graph(profile, "fabrikam", "PATCH", f"/applications/{app['id']}", {"keyCredentials": others})
    # 3. the endpoint pointed at another version
    elsewhere = version.rsplit("/", 1)[0] + "/0123456789abcdef0123456789abcdef"
    invoke(
        profile,
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": "contoso-t2t", "AppSecretKeyVaultUrl": elsewhere, "SkipVerification": True},
    )

    plan = run("plan", SPEC, "--format", "json", state=state)
    found = json.loads(plan.stdout)
    codes = {f["code"]: f for f in found["findings"]}
    assert {"T2T-E238", "T2T-E242", "T2T-E243"} <= set(codes), plan.stdout[-3000:]
    assert all(codes[c]["fixed_by_plan"] for c in ("T2T-E238", "T2T-E242", "T2T-E243"))
    kinds = sorted(a["kind"] for a in found["actions"])
    assert kinds == ["app.key_credential.add", "endpoint.update", "keyvault.access.grant"], kinds
    update = next(a for a in found["actions"] if a["kind"] == "endpoint.update")
    assert update["parameters"]["AppSecretKeyVaultUrl"] == version
    assert set(update["depends_on"]) >= {
        a["id"] for a in found["actions"] if a["kind"] != "endpoint.update"
    }

    repaired = applied(state)
    assert "endpoint.update:contoso-t2t: done" in repaired, repaired[-3000:]
    assert endpoint(profile)["AppSecretKeyVaultUrl"] == version
    again = run("plan", SPEC, "--detailed-exitcode", state=state)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr

    # 4. the certificate's version disabled: a new version, its key on the app, the endpoint
    name, ver = version.rsplit("/", 2)[-2:]
    key_vault(profile, "PATCH", f"/certificates/{name}/{ver}", {"attributes": {"enabled": False}})
    plan = run("plan", SPEC, "--format", "json", state=state)
    found = json.loads(plan.stdout)
    assert "T2T-E240" in {f["code"] for f in found["findings"]}, plan.stdout[-3000:]
    renewed = applied(state)
    assert "keyvault.certificate.create:fabrikam-t2t-kv/t2t-cert: done" in renewed
    new = current_version(state)
    assert new != version and endpoint(profile)["AppSecretKeyVaultUrl"] == new
    # the disabled version's key goes once the endpoint names the new one (a rotation's end)
    assert "app.key_credential.remove:5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f: done" in renewed
    assert len([k for k in app_keys(profile) if k["displayName"] == MARKER]) == 1
    final = run("plan", SPEC, "--detailed-exitcode", state=state)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr
