"""`t2t show`: what t2t sees in both tenants, as text or JSON."""

from __future__ import annotations

import json
from typing import Any

from t2t.render.text import tenant_label
from t2t.state import Fact, Snapshot, TenantState
from t2t.state.plain import as_plain

#: Objects listed per part in text output before "… and N more".
TEXT_LIMIT = 20


def _fact_json(fact: Fact[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"status": fact.status}
    if fact.status == "present":
        out["value"] = as_plain(fact.value)
    if fact.reason:
        out["reason"] = fact.reason
    return out


def _tenant_json(t: TenantState) -> dict[str, Any]:
    return {
        "tenantId": t.tenant_id,
        "parts": {name: _fact_json(fact) for name, fact in t.parts().items()},
    }


def render_snapshot_json(snapshot: Snapshot) -> str:
    data: dict[str, Any] = {
        "source": _tenant_json(snapshot.source),
        "target": _tenant_json(snapshot.target),
    }
    if snapshot.read_at is not None:
        data["readAt"] = snapshot.read_at
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _summary(obj: Any) -> str:
    for attr in (
        "primary_smtp_address",
        "user_principal_name",
        "name",
        "identity",
        "display_name",
        "domain_name",
        "sku_part_number",
        "app_role_id",
    ):
        value = getattr(obj, attr, None)
        if value:
            return str(value)
    if isinstance(obj, tuple) and obj:
        return f"{obj[0]}: {len(obj[1]) if len(obj) > 1 else 0} members"
    return str(obj)


def tenant_names(snapshot: Snapshot) -> dict[str, str]:
    """Each tenant's id -> its organization's display name, for the tenants whose
    Get-OrganizationConfig was read and named one."""
    names: dict[str, str] = {}
    for t in (snapshot.source, snapshot.target):
        org = t.organization
        if org.status == "present" and org.get().display_name:
            names[t.tenant_id] = org.get().display_name
    return names


def render_snapshot(snapshot: Snapshot) -> str:
    lines: list[str] = []
    names = tenant_names(snapshot)
    for t in (snapshot.source, snapshot.target):
        lines.append(f"{t.role} tenant {tenant_label(t.tenant_id, names)}")
        for name, fact in t.parts().items():
            if fact.status == "unknown":
                lines.append(f"  ? {name}: could not read ({fact.reason})")
                continue
            if fact.status == "absent":
                lines.append(f"  - {name}: absent")
                continue
            value = fact.value
            if isinstance(value, tuple):
                lines.append(f"  {name}: {len(value)}")
                for obj in value[:TEXT_LIMIT]:
                    lines.append(f"      {_summary(obj)}")
                if len(value) > TEXT_LIMIT:
                    lines.append(f"      … and {len(value) - TEXT_LIMIT} more")
            else:
                lines.append(f"  {name}: {_summary(value)}")
        lines.append("")
    return "\n".join(lines)
