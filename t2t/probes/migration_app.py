"""The migration app and its consent, read in bulk (one filtered collection per object type).

Shared by the snapshot and by the executors that must learn, at apply time, the appId of an
app t2t registered earlier in the same run ("known after apply").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from t2t.clients import ClientError, GraphClient
from t2t.clients.graph import segment
from t2t.clients.odata import any_in, eq
from t2t.probes import directory_objects as d
from t2t.probes.readers import graph_fact
from t2t.state import Fact
from t2t.state.directory import Application

#: Office 365 Exchange Online, the resource that owns Mailbox.Migration (microsoft-t2t.md §2).
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"


def app_filter(app_id: str | None, display_name: str | None, unique_name: str | None) -> str | None:
    """By appId when adopting; otherwise t2t's own marker (uniqueName) or the display name, in
    one request (Graph's `$filter` takes `or` on both properties)."""
    if app_id:
        return eq("appId", app_id)
    parts = []
    if unique_name:
        parts.append(eq("uniqueName", unique_name))
    if display_name:
        parts.append(eq("displayName", display_name))
    return " or ".join(parts) or None


async def read_applications(
    graph: GraphClient,
    *,
    app_id: str | None,
    display_name: str | None,
    unique_name: str | None,
    with_keys: bool = False,
) -> Fact[tuple[Application, ...]]:
    """The spec's app (by appId, t2t's marker or its name); `with_keys`: each one's
    keyCredentials again with their `key` (keyVaultCertificate mode), which Graph returns only
    for a single object's `$select=keyCredentials` (keyCredential resource type,
    learn.microsoft.com/graph/api/resources/keycredential): one request per app found."""
    flt = app_filter(app_id, display_name, unique_name)
    if flt is None:
        return Fact.present(())
    fact = await graph_fact(
        graph,
        "/applications",
        {"$filter": flt, "$select": d.APPLICATION_SELECT},
        d.parse_application,
    )
    if not with_keys or fact.status != "present":
        return fact
    apps: list[Application] = []
    for app in fact.get():
        path = f"/applications/{segment(app.object_id)}"
        try:
            one = await graph.get(path, {"$select": "keyCredentials"})
            keys = tuple(d.parse_key_credential(k) for k in one.get("keyCredentials") or [])
        except ClientError as exc:
            return Fact.unknown(f"GET {path}?$select=keyCredentials failed: {exc}")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return Fact.unknown(f"GET {path}?$select=keyCredentials: an unreadable answer: {exc}")
        apps.append(replace(app, key_credentials=keys, key_credential_count=len(keys)))
    return Fact.present(tuple(apps))


def pick_app(
    apps: Iterable[Application],
    *,
    app_id: str | None,
    display_name: str | None,
    unique_name: str | None,
) -> Application | None:
    """The one app the spec means: by appId when adopting, else by t2t's marker only (an app
    of the same name that t2t did not register is not the spec's; the planner says so)."""
    del display_name
    apps = list(apps)
    if app_id:
        return next((a for a in apps if a.app_id == app_id.lower()), None)
    if unique_name:
        return next((a for a in apps if (a.unique_name or "").lower() == unique_name.lower()), None)
    return None


async def read_service_principals(graph: GraphClient, app_ids: list[str]) -> Fact[Any]:
    """The app's and Exchange Online's service principals (Exchange's carries the appRoles
    that name Mailbox.Migration's id)."""
    return await graph_fact(
        graph,
        "/servicePrincipals",
        {"$filter": any_in("appId", app_ids), "$select": d.SERVICE_PRINCIPAL_SELECT},
        d.parse_service_principal,
    )


async def read_assignments(graph: GraphClient, sps: Fact[Any], app_id: str | None) -> Fact[Any]:
    """Consent: the app role assignments the migration app's service principal holds."""
    if sps.status != "present":
        return Fact.unknown(f"service principals unreadable: {sps.reason}")
    mine = [sp for sp in sps.get() if app_id and sp.app_id == app_id.lower()]
    out: list[Any] = []
    for sp in mine:
        fact = await graph_fact(
            graph, f"/servicePrincipals/{sp.id}/appRoleAssignments", {}, d.parse_assignment
        )
        if fact.status != "present":
            return fact
        out.extend(fact.get())
    return Fact.present(tuple(out))
