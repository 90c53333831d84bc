"""A Key Vault rotation's steps against the sandbox over HTTPS (the real Azure SDK clients, t2t's
Graph and Exchange clients), for the walkthrough's spec: the chain and the endpoint set up, then
a plan with --rotate-credential — a new certificate version, its key beside the old one, the
endpoint moved to it, and last `app.key_credential.remove` of the old version's key.

The removal is the one step that can break the endpoint, so it is run on its own at the worst
moments: before the endpoint was moved (it refuses, removing nothing, and reports blocked), and
with its PATCH's answer lost (the re-read shows the key gone: converged, sent once)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from t2t.cli.app import probe_request
from t2t.planner import Plan, build_plan
from t2t.probes import read_snapshot
from tests.apply.test_key_vault_executors import (
    APP_ID,
    CERT,
    ENDPOINT,
    KEY,
    KV,
    SPEC,
    World,
    statuses,
)
from tests.conftest import SandboxHandle

MARKER = f"t2t:keyvault:{KV.name}/{KV.certificate_name}"
UPDATE = f"target:endpoint.update:{SPEC.relationship.endpoint.name}"
REMOVE = f"target:app.key_credential.remove:{APP_ID}"


@pytest.fixture
def world(sandbox: SandboxHandle) -> World:
    return World(sandbox)


def rotating_plan(world: World) -> Plan:
    """A plan made as `t2t plan --rotate-credential` makes it."""

    async def run() -> Plan:
        async with world._clients() as (_, src, tgt, azure):
            snapshot = await read_snapshot(
                probe_request(SPEC),
                (src.exchange, src.graph),
                (tgt.exchange, tgt.graph),
                azure=azure,
            )
            return build_plan(SPEC, snapshot, rotate_credential=True)

    return asyncio.run(run())


def closure(plan: Plan, aid: str) -> list[str]:
    """`aid` and every action it depends on, in plan order."""
    by_id = {a.id: a for a in plan.actions}
    todo, seen = [aid], set()
    while todo:
        one = todo.pop()
        if one not in seen:
            seen.add(one)
            todo.extend(by_id[one].depends_on)
    return [a.id for a in plan.actions if a.id in seen]


def set_up(world: World) -> None:
    """The chain and the endpoint on its certificate (nothing of the mailboxes)."""
    plan = world.plan()
    report = world.apply(plan, closure(plan, ENDPOINT))
    assert set(statuses(report).values()) == {"done"}, report.results


def marker_keys(world: World) -> list[str]:
    """The keyIds of t2t's keys on the app."""
    return sorted(k["keyId"] for k in world.app_keys() if k["displayName"] == MARKER)


def endpoint_url(world: World) -> str:
    async def run() -> str:
        async with world._clients() as (_, _src, tgt, _azure):
            out = await tgt.exchange.invoke(
                "Get-MigrationEndpoint", {"Identity": SPEC.relationship.endpoint.name}
            )
            return str(out.values[0]["AppSecretKeyVaultUrl"])

    return asyncio.run(run())


def graph_patches(world: World) -> dict[str, int]:
    return {k: v for k, v in world.writes("graph").items() if k.startswith("PATCH")}


def test_the_old_key_stays_while_the_endpoint_names_its_version(world: World) -> None:
    """The new version and its key exist, the endpoint was not moved yet (its step not run,
    as after an interrupted apply): the removal re-reads the endpoint, finds the old version
    named, and removes nothing — blocked, not failed. Once the endpoint is moved, the same
    reviewed action removes the old key and only it."""
    set_up(world)
    old_url = endpoint_url(world)
    rotating = rotating_plan(world)
    assert [a.id for a in rotating.actions if a.id in (CERT, KEY, UPDATE, REMOVE)] == [
        CERT,
        KEY,
        UPDATE,
        REMOVE,
    ]
    remove = next(a for a in rotating.actions if a.id == REMOVE)
    assert remove.risk == "destructive" and set(remove.depends_on) >= {CERT, KEY, UPDATE}
    [planned] = remove.parameters["remove"]
    assert old_url.endswith(planned["version"])

    report = world.apply(rotating, (CERT, KEY))
    assert statuses(report) == {CERT: "done", KEY: "done"}, report.results
    assert len(marker_keys(world)) == 2  # the new key beside the old one
    before = graph_patches(world)
    report = world.apply(rotating, (REMOVE,))
    [result] = report.results
    assert result.status == "blocked", result
    assert old_url in result.message and planned["keyId"] in result.message
    assert graph_patches(world) == before  # nothing sent
    assert len(marker_keys(world)) == 2
    assert endpoint_url(world) == old_url
    # an apply stopped here: the next plan (no flag) moves the endpoint (E243), then removes
    # the old key after it, and makes no other version
    resumed = world.plan()
    steps = {a.id: a for a in resumed.actions if a.id in (CERT, KEY, UPDATE, REMOVE)}
    assert sorted(steps) == sorted((UPDATE, REMOVE)), sorted(steps)
    assert "T2T-E243" in {f.code for f in resumed.findings}
    assert UPDATE in steps[REMOVE].depends_on
    assert steps[REMOVE].parameters["remove"] == [planned]

    report = world.apply(rotating, (UPDATE,))
    assert statuses(report) == {UPDATE: "done"}, report.results
    new_url = endpoint_url(world)
    assert new_url != old_url
    report = world.apply(rotating, (REMOVE,))
    assert statuses(report) == {REMOVE: "done"}, report.results
    app = world.graph("GET", f"/applications?$filter=appId eq '{APP_ID}'")["value"][0]
    assert report.results[0].message == (
        f"Graph PATCH /applications/{app['id']} keyCredentials (removing 1) verified"
    )
    keys = [k for k in world.app_keys() if k["displayName"] == MARKER]
    assert [k["keyId"] for k in keys] != [planned["keyId"]] and len(keys) == 1
    assert planned["keyId"] not in {k["keyId"] for k in world.app_keys()}

    again = world.plan()  # converged: nothing for the chain, the endpoint or the keys
    assert [a.id for a in again.actions if a.id in (CERT, KEY, UPDATE, REMOVE, ENDPOINT)] == []


def test_a_lost_answer_to_the_removal_removes_the_old_key_only(world: World) -> None:
    """The PATCH is handled and its answer lost: t2t's client sends the identical PATCH again
    (HTTP-idempotent: t2t/clients/http.py), which removes nothing more — the new key and every
    other key stay, and the endpoint keeps signing in with the new version."""
    set_up(world)
    rotating = rotating_plan(world)
    report = world.apply(rotating, (CERT, KEY, UPDATE))
    assert set(statuses(report).values()) == {"done"}, report.results
    [planned] = next(a for a in rotating.actions if a.id == REMOVE).parameters["remove"]
    kept = [k for k in marker_keys(world) if k != planned["keyId"]]
    rule: dict[str, Any] = {
        "kind": "drop",
        "afterHandling": True,
        "count": 1,
        "match": {"service": "graph", "method": "PATCH", "path": "/applications/"},
    }
    world.fault(rule)
    before = sum(graph_patches(world).values())
    report = world.apply(rotating, (REMOVE,))
    assert statuses(report) == {REMOVE: "done"}, report.results
    assert sum(graph_patches(world).values()) == before + 2  # handled, lost, sent again
    assert marker_keys(world) == kept and len(kept) == 1
    again = world.plan()
    assert [a.id for a in again.actions if a.id in (CERT, KEY, UPDATE, REMOVE, ENDPOINT)] == []


def test_the_removal_keeps_every_key_it_cannot_prove_unused(world: World) -> None:
    """An action naming no app (the planner always names it) fails at once. The removal re-reads the
    endpoints before it PATCHes: when they cannot be read it
    fails; a key the endpoint's version does not make older (here the new one, named by hand
    in the action) is kept, and so is every key while no endpoint of the spec's name exists —
    blocked, each key named, no PATCH sent."""
    set_up(world)
    old_url = endpoint_url(world)
    rotating = rotating_plan(world)
    report = world.apply(rotating, (CERT, KEY))
    assert statuses(report) == {CERT: "done", KEY: "done"}, report.results
    remove = next(a for a in rotating.actions if a.id == REMOVE)
    [planned] = remove.parameters["remove"]
    old_key = planned["keyId"]
    [new_key] = [k for k in marker_keys(world) if k != old_key]
    before, keys = graph_patches(world), marker_keys(world)
    name = SPEC.relationship.endpoint.name
    tail = "may still be in use and are kept until it names a newer version"

    world.fault(
        {
            "kind": "error",
            "status": 400,
            "count": 1,
            "match": {"service": "exchange", "cmdlet": "Get-MigrationEndpoint"},
        }
    )
    [result] = world.apply(rotating, (REMOVE,)).results
    assert (result.status, result.message) == (
        "failed",
        "cannot read the endpoints: Get-MigrationEndpoint failed: Get-MigrationEndpoint: "
        "ServiceUnavailable: Injected fault.",
    )

    appless = remove.model_copy(update={"desired": {**remove.desired, "app": None}})
    edited = rotating.model_copy(
        update={"actions": tuple(appless if a.id == REMOVE else a for a in rotating.actions)}
    )
    [result] = world.apply(edited, (REMOVE,)).results
    assert (result.status, result.message) == ("failed", "the action names no migration app")

    both = remove.model_copy(update={"desired": {**remove.desired, "remove": [old_key, new_key]}})
    edited = rotating.model_copy(
        update={"actions": tuple(both if a.id == REMOVE else a for a in rotating.actions)}
    )
    order = [k["keyId"] for k in world.app_keys() if k["keyId"] in (old_key, new_key)]
    [result] = world.apply(edited, (REMOVE,)).results
    assert (result.status, result.message) == (
        "blocked",
        f"the endpoint {name!r} names {old_url}: the key(s) {', '.join(order)} {tail}",
    )

    gone = world.sandbox.invoke(
        "fabrikam", "Remove-MigrationEndpoint", {"Identity": name, "Confirm": False}
    )
    assert gone.status_code == 200, gone.text
    assert world.sandbox.invoke("fabrikam", "Get-MigrationEndpoint", {}).json()["value"] == []
    [result] = world.apply(rotating, (REMOVE,)).results
    assert (result.status, result.message) == (
        "blocked",
        f"the endpoint {name!r} names nothing (no such endpoint): the key(s) {old_key} {tail}",
    )
    assert graph_patches(world) == before and marker_keys(world) == keys
