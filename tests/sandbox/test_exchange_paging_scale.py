"""Get-Mailbox over 10,000 seeded mailboxes pages at Microsoft's page size (1,000: the
ExchangeOnlineManagement module's constant, wire-protocols.md §1.4; README open question 2)
and the counters count each page as one Get-Mailbox call.

A separate sandbox seeded by ``generate_seed_data(10000)``, module-scoped; the seed is
written with libyaml's CSafeDumper (seconds faster than the pure-Python dumper).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from t2t.sandbox.generate import generate_seed_data
from t2t.sandbox.server import SandboxServer
from tests.conftest import SandboxHandle

N = 10_000
PAGE = 1000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    d = tmp_path_factory.mktemp("paging10k")
    seed = Path(d) / "seed.yaml"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    seed.write_text(yaml.dump(generate_seed_data(N), Dumper=dumper, allow_unicode=True))
    server = SandboxServer(d / "state", seed=seed).start()
    handle = SandboxHandle(server=server, profile=json.loads(server.profile_path.read_text()))
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


def test_get_mailbox_pages_10000_mailboxes_at_1000(
    big: SandboxHandle, sandbox: SandboxHandle
) -> None:
    # the default seed's Contoso mailboxes, counted on the session sandbox (no paging there)
    r = sandbox.invoke("contoso", "Get-Mailbox", {})
    assert r.status_code == 200 and "@odata.nextLink" not in r.json()
    expected = N + len(r.json()["value"])

    big.token("contoso")  # the token request is not a cmdlet; take it before counting
    big.http.delete(f"{big.base_url}/_sandbox/stats").raise_for_status()
    seen: list[str] = []
    sizes: list[int] = []
    url: str | None = None
    while True:
        r = big.invoke("contoso", "Get-Mailbox", {"ResultSize": "Unlimited"}, url=url)
        assert r.status_code == 200, r.text
        assert "Preference-Applied" not in r.headers  # no Prefer: the default page
        body = r.json()
        sizes.append(len(body["value"]))
        seen += [m["PrimarySmtpAddress"] for m in body["value"]]
        url = body.get("@odata.nextLink")
        if url is None:
            break
        assert "skiptoken=" in url
    pages = math.ceil(expected / PAGE)
    assert len(sizes) == pages == 11
    assert sizes[:-1] == [PAGE] * (pages - 1) and sizes[-1] == expected - PAGE * (pages - 1)
    assert len(seen) == len(set(seen)) == expected
    assert "user00001@contoso.com" in seen and f"user{N:05d}@contoso.com" in seen

    stats = big.stats()
    assert stats["byCmdlet"] == {"Get-Mailbox": pages}
    assert stats["byService"]["exchange"] == pages
    assert stats["reads"] == pages and stats["writes"] == 0


def test_smaller_pages_by_prefer_and_result_size(big: SandboxHandle) -> None:
    """``Prefer: odata.maxpagesize`` shrinks the page (echoed in Preference-Applied);
    ``-ResultSize`` caps the total, so the pages stop early."""
    big.http.delete(f"{big.base_url}/_sandbox/stats").raise_for_status()
    prefer = {"Prefer": "odata.maxpagesize=400"}
    url: str | None = None
    sizes: list[int] = []
    while True:
        r = big.invoke("contoso", "Get-Mailbox", {"ResultSize": 1000}, url=url, headers=prefer)
        assert r.status_code == 200, r.text
        assert r.headers["Preference-Applied"] == "odata.maxpagesize=400"
        sizes.append(len(r.json()["value"]))
        url = r.json().get("@odata.nextLink")
        if url is None:
            break
    assert sizes == [400, 400, 200]
    assert big.stats()["byCmdlet"] == {"Get-Mailbox": 3}


def test_get_user_pages_every_user_once_as_identity_shows_it(
    big: SandboxHandle, sandbox: SandboxHandle
) -> None:
    """Get-User lists users with and without a recipient, a page at a time (each page renders
    only its own records, issue 14): every user once, each record the one ``-Identity``
    returns."""
    r = sandbox.invoke("contoso", "Get-User", {})
    assert r.status_code == 200 and "@odata.nextLink" not in r.json()
    expected = N + len(r.json()["value"])
    seen: list[dict[str, object]] = []
    url: str | None = None
    while True:
        r = big.invoke("contoso", "Get-User", {"ResultSize": "Unlimited"}, url=url)
        assert r.status_code == 200, r.text
        seen += r.json()["value"]
        url = r.json().get("@odata.nextLink")
        if url is None:
            break
    assert len({u["UserPrincipalName"] for u in seen}) == len(seen) == expected
    for record in (seen[0], seen[PAGE + 1], seen[-1]):
        r = big.invoke("contoso", "Get-User", {"Identity": record["UserPrincipalName"]})
        assert r.status_code == 200, r.text
        assert r.json()["value"] == [record]
