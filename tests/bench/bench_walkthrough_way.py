"""t2t's preparation of N mailboxes against the walkthrough's way (issue 14): one call after
another, per mailbox, by a script that speaks only Microsoft's protocols.

    .venv/bin/python tests/bench/bench_walkthrough_way.py [N] [--sample K] [--latency-ms 100]

The walkthrough (a widely read admin's guide to native cross-tenant moves, "Prepare Destination
User Accounts"; microsoft-t2t.md §4 gives the same steps) prepares each mailbox by hand:
``Get-Mailbox`` in the source (ExchangeGuid, ArchiveGuid, LegacyExchangeDN, the primary
address), ``New-MailUser`` in the target, ``Set-MailUser -ExchangeGuid -ArchiveGuid
-EmailAddresses @{Add="x500:<LegacyExchangeDN>"}``, then a usage location and "a valid Exchange
Online license". The script here does exactly that for each mailbox in turn, as an admin's
script would: msal tokens (client credentials, one per tenant and resource, reused), raw HTTPS
InvokeCommand (wire-protocols.md §1) and Graph (``PATCH /users/{upn}`` usageLocation, ``POST
/users/{upn}/assignLicense``, the SKU ids read once from ``GET /subscribedSkus``), no t2t client.
Its only politeness: a write refused because its new object has not replicated yet (404, the
strict sandbox refuses the first two to each new object, replication.py) is sent again after
t2t's own re-read delays (0.5 s, 1 s, 2 s, …: t2t/apply/context.py DEFAULT_VERIFY_DELAYS), so
both sides wait the same; a 429 waits its ``Retry-After``.

Then, on a fresh sandbox (same seed, same latency), the real ``t2t apply --auto-approve`` of
tests/e2e/apply_order.py's spec (all N mailboxes in ``phase: prepare``), whose wall time also
covers what the script does not do: its plan's reads, the org setup, each mailbox's scope-group
membership and target-delivery-domain proxy.

Both sandboxes hold the default seed plus N generated Contoso mailboxes, strict profile,
Microsoft's budgets, and a ``latency`` fault rule delaying every request by ``--latency-ms``.

``--sample K`` (default N): the script prepares only the first K mailboxes and its time per
mailbox is scaled by N ÷ K (its setup — tokens, the module key, the SKU ids — counted once).
It is sequential, so each mailbox costs the same on a sandbox of the same size (the result
gives the seconds per mailbox, and says ``extrapolated``). t2t always does all N.

Writes tests/bench/results/walkthrough_way.json: both wall times, the ratio, the requests each
sent (the sandbox's counters; ``total - batchItems`` is HTTP requests), the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from t2t.apply.context import DEFAULT_VERIFY_DELAYS  # noqa: E402
from t2t.clients import wire  # noqa: E402  (the module's parameter encodings, as tests use)
from tests.bench.results_file import write_results  # noqa: E402
from tests.e2e.apply_order import (  # noqa: E402
    apply,
    control,
    prepare_logs,
    served,
    source_address,
    target_upn,
    write_seed,
    write_spec,
)
from tests.e2e.helpers import EXCHANGE_SCOPE, GRAPH_SCOPE, token  # noqa: E402

OUT = ROOT / "tests" / "bench" / "results" / "walkthrough_way.json"
#: The spec's licences and usage location (tests/e2e/apply_order.py write_spec).
SKUS = ("EXCHANGESTANDARD", "Cross_tenant_user_data_migration")
USAGE_LOCATION = "NL"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def target_address(i: int) -> str:
    return f"user{i:05d}@fabrikam.com"  # the spec's rewrite contoso.com → fabrikam.com


class Admin:
    """An admin's script: one HTTPS connection per service, tokens fetched once."""

    def __init__(self, profile: dict[str, Any]) -> None:
        self.profile = profile
        self.tenants = {t["name"]: t for t in profile["tenants"]}
        self.http = httpx.Client(
            verify=ssl.create_default_context(cafile=profile["caFile"]), timeout=120
        )
        self.tokens = {
            (tenant, scope): token(profile, tenant, scope)
            for tenant in ("contoso", "fabrikam")
            for scope in (EXCHANGE_SCOPE, GRAPH_SCOPE)
        }
        module = self.http.get(
            f"{profile['endpoints']['exchange'].replace('/beta', '/v1.0')}"
            f"/{self.tenants['fabrikam']['tenantId']}/EXOModuleFile",
            params={"Version": wire.MODULE_VERSION},
            headers=self._auth("fabrikam", EXCHANGE_SCOPE),
        )
        module.raise_for_status()
        self.module_key = wire.public_key_from_module(module.json()["value"][0]["fileContent"])

    def _auth(self, tenant: str, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(tenant, scope)]}"}

    def _send(self, request: Callable[[], httpx.Response], retry_404: bool) -> httpx.Response:
        """One call; again after a 429's Retry-After, and (a write to a new object) after a
        404 on t2t's re-read delays."""
        delays = iter(DEFAULT_VERIFY_DELAYS[1:])
        while True:
            response = request()
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code == 404 and retry_404:
                time.sleep(next(delays, DEFAULT_VERIFY_DELAYS[-1]))
                continue
            if response.status_code >= 300:
                raise RuntimeError(
                    f"{response.request.url}: {response.status_code} {response.text}"
                )
            return response

    def invoke(
        self, tenant: str, cmdlet: str, params: dict[str, Any], *, retry_404: bool = False
    ) -> list[dict[str, Any]]:
        url = f"{self.profile['endpoints']['exchange']}/{self.tenants[tenant]['tenantId']}"
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}}
        response = self._send(
            lambda: self.http.post(
                f"{url}/InvokeCommand", json=body, headers=self._auth(tenant, EXCHANGE_SCOPE)
            ),
            retry_404,
        )
        return list(response.json().get("value") or [])

    def graph(
        self, method: str, path: str, body: Any = None, *, retry_404: bool = False
    ) -> dict[str, Any]:
        response = self._send(
            lambda: self.http.request(
                method,
                f"{self.profile['endpoints']['graph']}{path}",
                json=body,
                headers=self._auth("fabrikam", GRAPH_SCOPE),
            ),
            retry_404,
        )
        return dict(response.json()) if response.content else {}

    def prepare(self, i: int, sku_ids: list[str]) -> None:
        """The walkthrough's five steps for mailbox ``i``, one after another."""
        [mailbox] = self.invoke("contoso", "Get-Mailbox", {"Identity": source_address(i)})
        upn, address = target_upn(i), target_address(i)
        password = f"Wt-{uuid.uuid4().hex[:16]}-9a"
        self.invoke(
            "fabrikam",
            "New-MailUser",
            {
                "Name": mailbox["Alias"],
                "ExternalEmailAddress": mailbox["PrimarySmtpAddress"],
                "PrimarySmtpAddress": address,
                "MicrosoftOnlineServicesID": upn,
                "Password": wire.encrypt(self.module_key, wire.secure_string(password)),
            },
        )
        stamp: dict[str, Any] = {
            "Identity": address,
            "ExchangeGuid": mailbox["ExchangeGuid"],
            "EmailAddresses": wire.add_remove(add=[f"x500:{mailbox['LegacyExchangeDN']}"]),
        }
        if (mailbox.get("ArchiveGuid") or ZERO_GUID) != ZERO_GUID:
            stamp["ArchiveGuid"] = mailbox["ArchiveGuid"]
        self.invoke("fabrikam", "Set-MailUser", stamp, retry_404=True)
        self.graph("PATCH", f"/users/{upn}", {"usageLocation": USAGE_LOCATION}, retry_404=True)
        licences = {"addLicenses": [{"skuId": s} for s in sku_ids], "removeLicenses": []}
        self.graph("POST", f"/users/{upn}/assignLicense", licences, retry_404=True)


def _walkthrough(n: int, sample: int, latency_ms: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.yaml"
        write_seed(seed, n)
        with served(Path(tmp) / "state", seed) as profile:
            prepare_logs(profile, n)
            control(profile, "POST", "faults", {"kind": "latency", "ms": latency_ms, "match": {}})
            load = os.getloadavg()[0]
            started = time.perf_counter()
            admin = Admin(profile)
            skus = admin.graph("GET", "/subscribedSkus")["value"]
            sku_ids = [s["skuId"] for s in skus if s["skuPartNumber"] in SKUS]
            assert len(sku_ids) == len(SKUS), skus
            setup = time.perf_counter() - started
            for i in range(1, sample + 1):
                admin.prepare(i, sku_ids)
            wall = time.perf_counter() - started
            stats = control(profile, "GET", "stats")
    return {
        "mailboxesPrepared": sample,
        "wallSeconds": round(wall, 1),
        "setupSeconds": round(setup, 1),
        "secondsPerMailbox": round((wall - setup) / sample, 3),
        "wallSecondsForN": round(setup + (wall - setup) * n / sample, 1),
        "extrapolated": sample != n,
        "httpRequests": stats["total"] - stats["batchItems"],
        "byCmdlet": stats["byCmdlet"],
        "loadAverage": round(load, 2),
    }


def _t2t(n: int, latency_ms: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seed, spec, state = Path(tmp) / "seed.yaml", Path(tmp) / "spec.yaml", Path(tmp) / "state"
        write_seed(seed, n)
        write_spec(spec, n)
        with served(state, seed) as profile:
            prepare_logs(profile, n)
            control(profile, "POST", "faults", {"kind": "latency", "ms": latency_ms, "match": {}})
            load = os.getloadavg()[0]
            done, wall = apply(state, spec, timeout=7200)
            stats = control(profile, "GET", "stats")
    lines = [x for x in done.stdout.splitlines() if x.startswith("Apply ")]
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-2000:], file=sys.stderr)
    return {
        "mailboxes": n,
        "exitCode": done.returncode,
        "summary": lines[-1] if lines else None,
        "wallSeconds": round(wall, 1),
        "httpRequests": stats["total"] - stats["batchItems"],
        "loadAverage": round(load, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="t2t against the walkthrough's way (issue 14)")
    parser.add_argument("mailboxes", type=int, nargs="?", default=1000)
    parser.add_argument("--sample", type=int, default=None, metavar="K")
    parser.add_argument("--latency-ms", type=int, default=100)
    args = parser.parse_args()
    n = args.mailboxes
    sample = min(args.sample or n, n)
    walkthrough = _walkthrough(n, sample, args.latency_ms)
    print(json.dumps(walkthrough, indent=2), flush=True)
    t2t = _t2t(n, args.latency_ms)
    print(json.dumps(t2t, indent=2), flush=True)
    result = {
        "mailboxes": n,
        "latencyMs": args.latency_ms,
        "walkthrough": walkthrough,
        "t2t": t2t,
        "ratio": round(walkthrough["wallSecondsForN"] / t2t["wallSeconds"], 2),
    }
    write_results(OUT, "t2t apply against the walkthrough's way, per mailbox (issue 14)", [result])
    print(json.dumps({"ratio": result["ratio"]}))


if __name__ == "__main__":
    main()
