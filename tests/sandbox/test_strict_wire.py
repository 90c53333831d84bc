"""The sandbox refuses what Microsoft refuses on InvokeCommand, and takes the module's forms.

Each rule, over real HTTPS: the wrong form gets Microsoft's status, envelope and text (or
the sandbox's stricter choice, README "Open questions"); the form the ExchangeOnlineManagement
module sends is accepted. Sources are cited where the sandbox implements each rule
(t2t/sandbox/exchange/wire_forms.py, confirm.py, paging.py, rbac.py, cmdlets/groups.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

from t2t.clients import wire
from t2t.sandbox.directory_roles import EXCHANGE_ADMINISTRATOR, GLOBAL_READER
from t2t.sandbox.generate import generate_seed_data
from t2t.sandbox.server import SandboxServer
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import (
    APP_ID,
    CONTOSO_ID,
    ENDPOINT,
    advance_clock,
    batch_status,
    consent,
    migration_secret,
    new_batch,
    ok,
    prepare_user,
    set_pace,
    setup_organizations,
)
from tests.sandbox.helpers import error_detail, values, warnings
from tests.sandbox.module_forms import credential, csv_data, module_key, secure, when

TRUNCATED = (
    "There are more results available than are currently displayed. To view them, increase the "
    "value for the ResultSize parameter."
)
HOST_PROMPT = (
    "A command that prompts the user failed because the host program or the command type does "
    "not support user interaction."
)
NO_EXCHANGE_ROLE = "998c92df-0521-4e3f-8f35-ff16f79a59ce"


def _err(r: httpx.Response) -> tuple[int, str, str, str]:
    """(status, error.code, exception type, text)."""
    _, exc, text = error_detail(r)
    return r.status_code, r.json()["error"]["code"], exc, text


def _endpoint(sandbox: SandboxHandle, creds: Any, name: str = ENDPOINT) -> httpx.Response:
    return sandbox.invoke(
        "fabrikam",
        "New-MigrationEndpoint",
        {
            "Name": name,
            "ExchangeRemoteMove": True,
            "RemoteServer": "outlook.office.com",
            "RemoteTenant": "contoso.onmicrosoft.com",
            "ApplicationId": APP_ID,
            "Credentials": creds,
        },
    )


def _foreign(value: wire.Sensitive) -> str:
    """Encrypted correctly, but under a key that is not this sandbox's."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return wire.encrypt(other, value)


def _mail_user(sandbox: SandboxHandle, password: Any) -> httpx.Response:
    return sandbox.invoke(
        "fabrikam",
        "New-MailUser",
        {
            "Name": "strict",
            "MicrosoftOnlineServicesID": "strict@fabrikam.com",
            "Password": password,
            "ExternalEmailAddress": "strict@contoso.com",
        },
    )


# ------------------------------------------------------------------ 1. PSCredential, SecureString


def test_credential_as_json_object_gets_the_jobject_cast_error(sandbox: SandboxHandle) -> None:
    consent(sandbox, "contoso")
    r = _endpoint(sandbox, {"UserName": APP_ID, "Password": "app-secret"})
    assert _err(r) == (
        500,
        "InternalServerError",
        "System.InvalidCastException",
        "Unable to cast object of type 'JObject' to type 'System.String'.",
    )
    ok(sandbox, "fabrikam", "New-MigrationEndpoint", {"Name": "kv", **_kv_endpoint()})
    r = sandbox.invoke(
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": "kv", "Credentials": {"UserName": APP_ID, "Password": "s"}},
    )
    assert _err(r)[0] == 500 and "'JObject'" in _err(r)[3]


def _kv_endpoint() -> dict[str, Any]:
    return {
        "ExchangeRemoteMove": True,
        "RemoteServer": "outlook.office.com",
        "RemoteTenant": "contoso.onmicrosoft.com",
        "ApplicationId": APP_ID,
        "AppSecretKeyVaultUrl": "https://fabrikam-kv.vault.azure.net/certificates/t2t/0123abcd",
        "SkipVerification": True,  # no such vault: the link is tested in test_azure_endpoint.py
    }


@pytest.mark.parametrize("form", ["plain", "foreign-key", "base64-plain"])
def test_credential_that_does_not_decrypt_is_refused(sandbox: SandboxHandle, form: str) -> None:
    consent(sandbox, "contoso")
    cred = wire.credential(APP_ID, "app-secret")
    value = {
        "plain": f"{APP_ID}:app-secret",
        "foreign-key": _foreign(cred),
        "base64-plain": base64.b64encode(cred.plain.encode()).decode(),
    }[form]
    status, code, exc, text = _err(_endpoint(sandbox, value))
    assert (status, code, exc) == (
        500,
        "InternalServerError",
        "System.Security.Cryptography.CryptographicException",
    )
    assert text.startswith("The value of parameter 'Credentials' can't be decrypted.")
    assert ok(sandbox, "fabrikam", "Get-MigrationEndpoint") == []


@pytest.mark.parametrize(
    "plain",
    [
        f"{APP_ID}:app-secret",
        json.dumps({"username": APP_ID, "password": "app-secret"}),
        json.dumps({"UserName": APP_ID, "Password": "app-secret", "Domain": "x"}),
        json.dumps({"UserName": APP_ID, "Password": ""}),
    ],
    ids=["not-json", "lowercase-keys", "extra-key", "empty-password"],
)
def test_credential_plain_text_must_be_the_modules_json(sandbox: SandboxHandle, plain: str) -> None:
    consent(sandbox, "contoso")
    value = wire.encrypt(module_key(sandbox), wire.Sensitive("PSCredential", plain))
    status, _, exc, text = _err(_endpoint(sandbox, value))
    assert (status, exc) == (
        400,
        "System.Management.Automation.ParameterBindingArgumentTransformationException",
    )
    assert 'to type "System.Management.Automation.PSCredential"' in text


def test_credential_encrypted_as_the_module_does_is_accepted(sandbox: SandboxHandle) -> None:
    consent(sandbox, "contoso")
    secret = migration_secret(sandbox)
    [ep] = values(_endpoint(sandbox, credential(sandbox, APP_ID, secret)))
    assert ep["ApplicationId"] == APP_ID and secret not in json.dumps(ep)
    rotated = migration_secret(sandbox)
    ok(
        sandbox,
        "fabrikam",
        "Set-MigrationEndpoint",
        {"Identity": ENDPOINT, "Credentials": credential(sandbox, APP_ID, rotated)},
    )


@pytest.mark.parametrize("form", ["plain", "object", "foreign-key"])
def test_secure_string_that_is_not_encrypted_is_refused(sandbox: SandboxHandle, form: str) -> None:
    password: Any = {
        "plain": "Pa55-word",
        "object": {"Password": "Pa55-word"},
        "foreign-key": _foreign(wire.secure_string("Pa55-word")),
    }[form]
    status, _, exc, _text = _err(_mail_user(sandbox, password))
    expected = "System.InvalidCastException" if form == "object" else "System.Security."
    assert status == 500 and exc.startswith(expected)
    r = sandbox.invoke("fabrikam", "Get-MailUser", {"Identity": "strict@fabrikam.com"})
    assert r.status_code == 404


def test_secure_string_encrypted_as_the_module_does_is_accepted(sandbox: SandboxHandle) -> None:
    [mu] = values(_mail_user(sandbox, secure(sandbox, "Pa55-word")))
    assert mu["RecipientTypeDetails"] == "MailUser" and "Pa55-word" not in json.dumps(mu)


# ------------------------------------------------------------------ 2. byte[]


@pytest.mark.parametrize(
    ("csv", "shown"),
    [
        (base64.b64encode(b"EmailAddress\r\nkai@fabrikam.com\r\n").decode(), "RW1haWxBZGRyZXNz"),
        (list(b"EmailAddress\r\nkai@fabrikam.com\r\n"), "System.Object[]"),
        ({"Data": list(b"EmailAddress\r\n")}, "System.Collections.Hashtable"),
    ],
    ids=["base64", "bare-array", "no-odata-type"],
)
def test_csvdata_in_another_form_is_a_transformation_error(
    sandbox: SandboxHandle, csv: Any, shown: str
) -> None:
    setup_organizations(sandbox)
    r = sandbox.invoke(
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "b", "SourceEndpoint": ENDPOINT, "CSVData": csv},
    )
    status, code, exc, text = _err(r)
    assert (status, code) == (400, "BadRequest")
    assert exc == "System.Management.Automation.ParameterBindingArgumentTransformationException"
    assert text.startswith("Cannot process argument transformation on parameter 'CSVData'.")
    assert shown in text and 'to type "System.Byte[]"' in text


def test_csvdata_as_byte_array_type_is_accepted(sandbox: SandboxHandle) -> None:
    setup_organizations(sandbox)
    csv = csv_data("kai@fabrikam.com")
    assert csv["@odata.type"] == "#Exchange.ByteArrayType"
    [b] = ok(
        sandbox,
        "fabrikam",
        "New-MigrationBatch",
        {"Name": "b", "SourceEndpoint": ENDPOINT, "CSVData": csv},
    )
    assert b["TotalCount"] == 1


# ------------------------------------------------------------------ 3. DateTime


@pytest.mark.parametrize(
    "value",
    [
        "2030-01-01T00:00:00Z",
        "2030-01-01T00:00:00.0000000Z",
        "2030-01-01T00:00:00+01:00",
        "2030-01-01 00:00:00",
        "2030-01-01",
        "2030-02-30T00:00:00",
    ],
)
def test_datetime_not_in_the_sortable_pattern_is_refused(
    sandbox: SandboxHandle, value: str
) -> None:
    setup_organizations(sandbox)
    params = {"Name": "b", "SourceEndpoint": ENDPOINT, "CSVData": csv_data("kai@fabrikam.com")}
    r = sandbox.invoke("fabrikam", "New-MigrationBatch", {**params, "CompleteAfter": value})
    status, _, exc, text = _err(r)
    assert (status, exc) == (
        400,
        "System.Management.Automation.ParameterBindingArgumentTransformationException",
    )
    assert text == (
        "Cannot process argument transformation on parameter 'CompleteAfter'. Cannot convert "
        f'value "{value}" to type "System.DateTime". Error: "String \'{value}\' was not '
        'recognized as a valid DateTime."'
    )


def test_datetime_in_the_modules_form_is_utc(sandbox: SandboxHandle) -> None:
    import datetime as dt

    setup_organizations(sandbox)
    local = dt.datetime(2030, 1, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert when(local) == "2030-01-01T00:30:00"
    [b] = ok(
        sandbox,
        "fabrikam",
        "New-MigrationBatch",
        {
            "Name": "b",
            "SourceEndpoint": ENDPOINT,
            "CSVData": csv_data("kai@fabrikam.com"),
            "CompleteAfter": when(local),
        },
    )
    assert b["CompleteAfter"] == "2030-01-01T00:30:00.0000000Z"


# ------------------------------------------------------------------ 4. Confirm


def _relationship(sandbox: SandboxHandle) -> None:
    ok(sandbox, "contoso", "New-OrganizationRelationship", {"Name": "x", "DomainNames": ["a.ex"]})


def _relationships(sandbox: SandboxHandle) -> list[str]:
    return [r["Name"] for r in ok(sandbox, "contoso", "Get-OrganizationRelationship")]


def test_high_impact_without_confirm_is_refused_like_a_prompt(sandbox: SandboxHandle) -> None:
    _relationship(sandbox)
    r = sandbox.invoke("contoso", "Remove-OrganizationRelationship", {"Identity": "x"})
    status, code, exc, text = _err(r)
    assert (status, code, exc) == (
        400,
        "BadRequest",
        "System.Management.Automation.Host.HostException",
    )
    assert text.startswith(HOST_PROMPT)
    assert _relationships(sandbox) == ["x"]
    # Exchange validates before it would prompt: an unknown identity is still a 404.
    r = sandbox.invoke("contoso", "Remove-OrganizationRelationship", {"Identity": "ghost"})
    assert r.status_code == 404


def test_confirm_true_is_the_validation_call(sandbox: SandboxHandle) -> None:
    _relationship(sandbox)
    r = sandbox.invoke(
        "contoso", "Remove-OrganizationRelationship", {"Identity": "x", "Confirm": True}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["value"] == [] and "@odata.nextLink" not in body
    assert body["@adminapi.confirmationmessage"] == (
        'Performing the operation "Remove-OrganizationRelationship" on target "x".'
    )
    assert _relationships(sandbox) == ["x"]
    r = sandbox.invoke(
        "contoso", "Remove-OrganizationRelationship", {"Identity": "ghost", "Confirm": True}
    )
    assert r.status_code == 404
    # -WhatIf answers without prompting; Confirm: false acts.
    ok(sandbox, "contoso", "Remove-OrganizationRelationship", {"Identity": "x", "WhatIf": True})
    assert _relationships(sandbox) == ["x"]
    r = sandbox.invoke(
        "contoso", "Remove-OrganizationRelationship", {"Identity": "x", "Confirm": False}
    )
    assert values(r) == [] and "@adminapi.confirmationmessage" not in r.json()
    assert _relationships(sandbox) == []


def test_confirm_true_on_a_medium_impact_cmdlet_is_a_validation_call_too(
    sandbox: SandboxHandle,
) -> None:
    params = {"Name": "x", "DomainNames": ["a.ex"]}
    r = sandbox.invoke("contoso", "New-OrganizationRelationship", {**params, "Confirm": True})
    assert values(r) == [] and "@adminapi.confirmationmessage" in r.json()
    assert _relationships(sandbox) == []
    ok(sandbox, "contoso", "New-OrganizationRelationship", params)  # no prompt unasked
    assert _relationships(sandbox) == ["x"]


def test_complete_migration_batch_acts_only_on_confirm_false(sandbox: SandboxHandle) -> None:
    set_pace(sandbox, 60)
    setup_organizations(sandbox)
    prepare_user(sandbox, "debra@contoso.com", "debra.berger@fabrikam.com")
    new_batch(sandbox, "wave", "debra.berger@fabrikam.com", AutoStart=True)
    advance_clock(sandbox, 120)
    assert batch_status(sandbox, "wave") == "Synced"
    r = sandbox.invoke("fabrikam", "Complete-MigrationBatch", {"Identity": "wave"})
    assert _err(r)[2] == "System.Management.Automation.Host.HostException"
    r = sandbox.invoke("fabrikam", "Complete-MigrationBatch", {"Identity": "wave", "Confirm": True})
    assert (
        values(r) == [] and "Complete-MigrationBatch" in r.json()["@adminapi.confirmationmessage"]
    )
    assert batch_status(sandbox, "wave") == "Synced"
    ok(sandbox, "fabrikam", "Complete-MigrationBatch", {"Identity": "wave", "Confirm": False})
    assert batch_status(sandbox, "wave") == "Completing"


def test_every_emulated_high_impact_cmdlet_is_known() -> None:
    from t2t.sandbox.exchange.confirm import HIGH_IMPACT
    from t2t.sandbox.exchange.service import REGISTRY

    emulated = {n for n in REGISTRY.names() if n.lower() in HIGH_IMPACT}
    assert emulated == {
        "Complete-MigrationBatch",
        "Remove-DistributionGroupMember",
        "Remove-MailContact",
        "Remove-MigrationBatch",
        "Remove-MigrationEndpoint",
        "Remove-MigrationUser",
        "Remove-MoveRequest",
        "Remove-OrganizationRelationship",
        "Set-User",
        "Stop-MigrationBatch",
    }


# ------------------------------------------------------------------ 6. group managers


def test_app_changes_membership_only_with_the_bypass_switch(sandbox: SandboxHandle) -> None:
    member = {"Identity": "t2tmigrationscope", "Member": "alex@contoso.com"}
    r = sandbox.invoke("contoso", "Add-DistributionGroupMember", member)
    assert _err(r) == (
        400,
        "BadRequest",
        "Microsoft.Exchange.Configuration.Tasks.OperationRequiresGroupManagerException",
        "You don't have sufficient permissions. This operation can only be performed by a "
        "manager of the group.",
    )
    r = sandbox.invoke(
        "contoso",
        "Add-DistributionGroupMember",
        {**member, "BypassSecurityGroupManagerCheck": False},
    )
    assert _err(r)[2].endswith("OperationRequiresGroupManagerException")
    r = sandbox.invoke("contoso", "Get-DistributionGroupMember", {"Identity": "t2tmigrationscope"})
    assert values(r) == []
    bypass = {**member, "BypassSecurityGroupManagerCheck": True}
    ok(sandbox, "contoso", "Add-DistributionGroupMember", bypass)
    r = sandbox.invoke("contoso", "Remove-DistributionGroupMember", {**member, "Confirm": False})
    assert _err(r)[2].endswith("OperationRequiresGroupManagerException")
    ok(sandbox, "contoso", "Remove-DistributionGroupMember", {**bypass, "Confirm": False})
    r = sandbox.invoke("contoso", "Get-DistributionGroupMember", {"Identity": "t2tmigrationscope"})
    assert values(r) == []


# ------------------------------------------------------------------ 7. RBAC


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def _client_token(h: SandboxHandle, tenant: str, client_id: str) -> str:
    client = next(c for c in h.tenant(tenant)["clients"] if c["clientId"] == client_id)
    result = h.msal_app(
        tenant, client_id=client_id, secret=client["clientSecret"]
    ).acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])
    assert "access_token" in result, result
    token: str = result["access_token"]
    return token


def test_admin_exchange_token_carries_the_exchange_administrator_wid(
    sandbox: SandboxHandle,
) -> None:
    assert _claims(sandbox.token("fabrikam"))["wids"] == [EXCHANGE_ADMINISTRATOR]
    graph = _claims(sandbox.token("fabrikam", "https://graph.microsoft.com/.default"))
    assert "wids" not in graph


def test_manage_as_app_without_any_exchange_role_is_403_access_denied(
    sandbox: SandboxHandle,
) -> None:
    token = _client_token(sandbox, "fabrikam", NO_EXCHANGE_ROLE)
    claims = _claims(token)
    assert claims["roles"] == ["Exchange.ManageAsApp"] and "wids" not in claims
    status, headers, body = sandbox.invoke_raw("fabrikam", "Get-OrganizationConfig", token=token)
    assert status == 403
    assert body == b"\x00" * 985 and headers["content-encoding"] == "gzip"
    assert headers["x-ExceptionType"] == "CmdletAccessDeniedException"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """1,100 extra Contoso mailboxes, and Contoso apps whose only Exchange RBAC is a
    directory role."""
    seed = generate_seed_data(1100)
    contoso = next(t for t in seed["tenants"] if t["name"] == "contoso")
    manage = {"https://outlook.office365.com": ["Exchange.ManageAsApp"]}
    contoso["clients"] = [
        *contoso.get("clients", []),
        {
            "clientId": "7b000000-0000-4000-8000-000000000001",
            "displayName": "reader by wids",
            "appRoles": manage,
            "directoryRoles": ["Global Reader"],
        },
        {
            "clientId": "7b000000-0000-4000-8000-000000000002",
            "displayName": "admin by wids",
            "appRoles": manage,
            "directoryRoles": [EXCHANGE_ADMINISTRATOR],
        },
    ]
    folder = tmp_path_factory.mktemp("strict-big")
    seed_file: Path = folder / "seed.yaml"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    seed_file.write_text(yaml.dump(seed, Dumper=dumper))
    server = SandboxServer(folder / "state", seed=seed_file).start()
    handle = SandboxHandle(server=server, profile=json.loads(server.profile_path.read_text()))
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


def test_directory_roles_in_wids_alone_grant_exchange_rbac(big: SandboxHandle) -> None:
    reader = _client_token(big, "contoso", "7b000000-0000-4000-8000-000000000001")
    admin = _client_token(big, "contoso", "7b000000-0000-4000-8000-000000000002")
    assert _claims(reader)["wids"] == [GLOBAL_READER]
    assert big.invoke("contoso", "Get-OrganizationConfig", token=reader).status_code == 200
    write = {"Name": "x", "DomainNames": ["a.example"]}
    status, headers, _ = big.invoke_raw(
        "contoso", "New-OrganizationRelationship", write, token=reader
    )
    assert (status, headers["x-ExceptionType"]) == (403, "CmdletAccessDeniedException")
    r = big.invoke("contoso", "New-OrganizationRelationship", write, token=admin)
    assert r.status_code == 200, r.text
    r = big.invoke(
        "contoso",
        "Remove-OrganizationRelationship",
        {"Identity": "x", "Confirm": False},
        token=admin,
    )
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------ 5. ResultSize


def _pages(
    h: SandboxHandle, params: dict[str, Any], prefer: int | None = None
) -> tuple[list[int], list[str], list[list[str]]]:
    headers = {"Prefer": f"odata.maxpagesize={prefer}"} if prefer else None
    url: str | None = None
    sizes: list[int] = []
    seen: list[str] = []
    warned: list[list[str]] = []
    while True:
        r = h.invoke("contoso", "Get-Mailbox", params, url=url, headers=headers)
        assert r.status_code == 200, r.text
        sizes.append(len(r.json()["value"]))
        seen += [m["PrimarySmtpAddress"] for m in r.json()["value"]]
        warned.append(warnings(r))
        url = r.json().get("@odata.nextLink")
        if url is None:
            return sizes, seen, warned


def test_list_without_result_size_stops_at_1000_and_says_so(big: SandboxHandle) -> None:
    sizes, seen, warned = _pages(big, {})
    assert sizes == [1000] and len(set(seen)) == 1000
    assert warned == [[TRUNCATED]]
    sizes, seen, warned = _pages(big, {}, prefer=300)
    assert sizes == [300, 300, 300, 100] and len(set(seen)) == 1000
    assert warned == [[], [], [], [TRUNCATED]]


def test_result_size_unlimited_pages_through_everything(big: SandboxHandle) -> None:
    sizes, seen, warned = _pages(big, {"ResultSize": "Unlimited"})
    total = len(seen)
    assert total > 1100 and len(set(seen)) == total
    assert sizes[0] == 1000 and sum(sizes) == total
    assert all(w == [] for w in warned)
    sizes, _, warned = _pages(big, {"ResultSize": 1050}, prefer=500)
    assert sizes == [500, 500, 50] and warned[-1] == [TRUNCATED]


# ------------------------------------------------------------------ 8. request log


def _log(sandbox: SandboxHandle, **query: str) -> list[dict[str, Any]]:
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests", params=query)
    assert r.status_code == 200
    entries: list[dict[str, Any]] = r.json()["requests"]
    return entries


def test_request_log_shows_the_secret_travelled_only_encrypted(sandbox: SandboxHandle) -> None:
    assert _log(sandbox) == []
    consent(sandbox, "contoso")
    secret = migration_secret(sandbox)
    encrypted = credential(sandbox, APP_ID, secret)
    values(_endpoint(sandbox, encrypted))
    [entry] = _log(sandbox, cmdlet="New-MigrationEndpoint")
    assert entry["status"] == 200 and entry["tenant"] == sandbox.tenant("fabrikam")["tenantId"]
    assert entry["appId"] == sandbox.tenant("fabrikam")["adminApp"]["clientId"]
    assert entry["cmdletInput"]["Parameters"]["Credentials"] == encrypted
    assert json.loads(entry["body"])["CmdletInput"] == entry["cmdletInput"]
    assert all(secret not in e["body"] for e in _log(sandbox))
    # A refused request is recorded too, exactly as sent.
    _endpoint(sandbox, {"UserName": APP_ID, "Password": secret}, name="plain")
    last = _log(sandbox)[-1]
    assert last["status"] == 500 and secret in last["body"]


def test_request_log_is_cleared_by_reset_and_delete(sandbox: SandboxHandle) -> None:
    ok(sandbox, "contoso", "Get-OrganizationConfig")
    unauthenticated = sandbox.http.post(
        f"{sandbox.base_url}/adminapi/beta/{CONTOSO_ID}/InvokeCommand",
        json={"CmdletInput": {"CmdletName": "Get-User", "Parameters": {}}},
    )
    assert unauthenticated.status_code == 401
    entries = _log(sandbox)
    assert [(e["cmdlet"], e["status"], e["appId"] is None) for e in entries] == [
        ("Get-OrganizationConfig", 200, False),
        ("Get-User", 401, True),
    ]
    assert sandbox.http.delete(f"{sandbox.base_url}/_sandbox/exchange/requests").status_code == 204
    assert _log(sandbox) == []
    ok(sandbox, "contoso", "Get-OrganizationConfig")
    sandbox.reset()
    assert _log(sandbox) == []


def test_request_log_keeps_only_the_last_entries() -> None:
    from t2t.sandbox.exchange.request_log import CAPACITY, RequestLog

    assert CAPACITY == 2000
    log = RequestLog(capacity=3)
    for i in range(5):
        log.record(
            tenant="t",
            app_id=None,
            path="/p",
            anchor=None,
            body=f'{{"n":{i}}}'.encode(),
            status=200,
        )
    assert [e["body"] for e in log.snapshot()] == ['{"n":2}', '{"n":3}', '{"n":4}']
