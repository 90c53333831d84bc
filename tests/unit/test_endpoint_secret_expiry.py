"""T2T-E237's guards, one at a time (t2t/planner/endpoint.py `_expiring`): the secret the
endpoint holds is checked against the horizon only in clientSecret mode, only when no other
reason already gives the endpoint a new secret (a refused credential, two or more of t2t's
secrets), and a secret with no end never expires. `plan_endpoint` is called as apply calls it
(no reason for the date given: the message then names none)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from t2t.planner.endpoint import (
    ENDPOINT_TYPE,
    REMOTE_SERVER,
    EndpointDesire,
    plan_endpoint,
    secret_marker,
)
from t2t.planner.shared.app import AppDesire
from t2t.state.directory import PasswordCredential
from t2t.state.exchange import MigrationEndpoint

APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"
NAME = "contoso-t2t"
NOW = dt.datetime(2027, 2, 1, 9, 30, tzinfo=dt.UTC)
NEEDED = "2027-03-03T09:30:00Z"  # NOW + 30 days


def desire(
    credential: Literal["keyVaultCertificate", "clientSecret"] = "clientSecret",
) -> EndpointDesire:
    return EndpointDesire(
        name=NAME,
        remote_tenant="contoso.onmicrosoft.com",
        app=AppDesire(app_id=APP_ID, display_name=None, unique_name=None),
        app_id=APP_ID,
        credential=credential,
        max_concurrent_migrations=None,
        secret_needed_until=None,
    )


def endpoint(refused: str | None = None) -> MigrationEndpoint:
    return MigrationEndpoint(
        identity=NAME,
        endpoint_type=ENDPOINT_TYPE,
        remote_server=REMOTE_SERVER,
        remote_tenant="contoso.onmicrosoft.com",
        application_id=APP_ID,
        app_secret_key_vault_url=None,
        max_concurrent_migrations=None,
        tested=True,
        credential_refused=refused,
    )


def secret(key: str, end: str | None, mine: bool = True) -> PasswordCredential:
    return PasswordCredential(
        key_id=key, display_name=secret_marker(NAME) if mine else None, end=end
    )


def codes(
    secrets: tuple[PasswordCredential, ...],
    *,
    wanted: EndpointDesire | None = None,
    refused: str | None = None,
) -> list[str]:
    markers = tuple(s.key_id for s in secrets if s.display_name == secret_marker(NAME))
    out = plan_endpoint(wanted or desire(), (endpoint(refused),), markers, secrets, now=NOW)
    return [f.code for f in out.findings]


def test_a_secret_ending_before_the_horizon_is_found_with_no_reason_named() -> None:
    out = plan_endpoint(
        desire(), (endpoint(),), ("k1",), (secret("k1", "2027-02-20T00:00:00Z"),), now=NOW
    )
    [found] = out.findings
    assert found.code == "T2T-E237"
    assert found.message == (
        f"t2t's secret: k1 ends 2027-02-20T00:00:00Z; the endpoint needs one until {NEEDED}"
        " (today (2027-02-01T09:30:00Z) + 30 days)"
    )
    assert out.needs_secret


def test_the_horizon_itself_is_enough_and_a_secret_with_no_end_never_expires() -> None:
    assert codes((secret("k1", NEEDED),)) == []
    assert codes((secret("k1", None),)) == []
    assert codes((secret("k1", "2027-03-03T09:29:59Z"),)) == ["T2T-E237"]


def test_an_expired_secret_is_called_expired() -> None:
    out = plan_endpoint(
        desire(), (endpoint(),), ("k1",), (secret("k1", "2027-01-15T00:00:00Z"),), now=NOW
    )
    assert "k1 expired 2027-01-15T00:00:00Z" in out.findings[0].message


def test_only_in_client_secret_mode() -> None:
    """An endpoint on the vault certificate holds no secret: the app's secrets are not its."""
    url = "https://fabrikam-t2t-kv.vault.azure.net/certificates/t2t-cert/4f1c2a9b"
    on_vault = dataclasses.replace(endpoint(), app_secret_key_vault_url=url)
    out = plan_endpoint(
        desire("keyVaultCertificate"),
        (on_vault,),
        ("k1",),
        (secret("k1", "2027-02-20T00:00:00Z"),),
        now=NOW,
        certificate_url=url,
    )
    assert (out.findings, out.action) == ([], None)


def test_a_refused_credential_is_reported_once_by_its_own_check() -> None:
    got = codes((secret("k1", "2027-01-15T00:00:00Z"),), refused="AADSTS7000222")
    assert got == ["T2T-E236"]


def test_two_of_t2ts_secrets_get_a_new_one_anyway_without_t2t_e237() -> None:
    two = (secret("k1", "2027-02-20T00:00:00Z"), secret("k2", "2027-02-21T00:00:00Z"))
    assert "T2T-E237" not in codes(two)


def test_without_a_date_or_a_reading_time_nothing_is_checked() -> None:
    out = plan_endpoint(desire(), (endpoint(),), ("k1",), (secret("k1", "2000-01-01T00:00:00Z"),))
    assert out.findings == [] and out.action is None


def test_the_desires_date_when_later_and_no_reason_when_none_is_given() -> None:
    wanted = EndpointDesire.from_dict(
        {**desire().to_dict(), "secret_needed_until": "2027-06-01T00:00:00Z"}
    )
    out = plan_endpoint(
        wanted, (endpoint(),), ("k1",), (secret("k1", "2027-05-01T00:00:00Z"),), now=NOW
    )
    [found] = out.findings
    assert found.message == (
        "t2t's secret: k1 ends 2027-05-01T00:00:00Z; the endpoint needs one until "
        "2027-06-01T00:00:00Z"
    )
