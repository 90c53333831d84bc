"""One-off: the old JSON planner cases (tests/planner/{relationships,orgsetup,mailboxes,
batches}/*.json) to case folders (tests/planner/cases/<domain>/<case>/), checked.

Run from the repository root: ``.venv/bin/python -m tests.planner.tools.convert_cases``.

Each case's spec and snapshot come from the old test modules' own builders (desired_from,
snapshot_from, prior_from; the relationships cases' one-side desire becomes a whole spec whose
side resolves to exactly that desire, the other side's relationship already converged). Then:

- spec.yaml is written from the builder's `Desired` and loaded back: it must resolve to the
  same `Desired` (origins and path aside), or the case cannot be expressed as a spec and is
  reported and left as it is;
- observed.json is the builder's snapshot in `t2t show --format json` form, without the parts
  that hold what the harness assumes for a part not listed; loaded back (and made whole) it
  must equal the builder's snapshot made whole;
- plan.json is what the current planner plans for the folder, and every expectation the old
  file stated (finding codes, action kind/key/blocked_by/depends_on/parameters/risk, sizes,
  notices) is checked against it. Any disagreement is reported and fails the run.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from t2t.planner.context import PlanContext
from t2t.planner.domain import DomainOutcome
from t2t.planner.relationships import SideDesire, plan_side, relationship_desires
from t2t.probes import exchange_objects as x
from t2t.probes import parse_relationship
from t2t.render.snapshot import render_snapshot_json
from t2t.spec import Desired
from t2t.state import Snapshot, TenantState
from t2t.state import parts as P
from tests.planner import test_batch_cases as batch_cases
from tests.planner import test_mailbox_cases as mailbox_cases
from tests.planner import test_orgsetup_cases as orgsetup_cases
from tests.planner.cases import ROOT, Case, default_fact, plan_json, render_plan, whole
from tests.planner.observed import whole_tenant

OLD = Path(__file__).resolve().parents[1]
BASE = mailbox_cases.BASE


# --- spec.yaml ----------------------------------------------------------------------------


def _secret(ref: Any) -> str | None:
    return None if ref is None else f"{ref.scheme}:{ref.value}"


def _tenant_doc(t: Any) -> dict[str, Any]:
    auth = {
        "clientId": t.auth.client_id,
        "secret": _secret(t.auth.secret),
        "certificate": _secret(t.auth.certificate),
        "interactive": t.auth.interactive,
        "azureIdentity": t.auth.azure_identity,
    }
    return {
        "tenantId": t.tenant_id,
        "domain": t.domain,
        "auth": {k: v for k, v in auth.items() if v is not None},
    }


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def spec_document(d: Desired) -> dict[str, Any]:
    rel = d.relationship
    kv = rel.key_vault
    relationship = _drop_none(
        {
            "name": rel.name,
            "app": _drop_none({"appId": rel.app.app_id, "displayName": rel.app.display_name}),
            "credential": rel.credential,
            "keyVault": None
            if kv is None
            else {
                "subscriptionId": kv.subscription_id,
                "resourceGroup": kv.resource_group,
                "name": kv.name,
                "location": kv.location,
                "certificate": {"name": kv.certificate_name, "subject": kv.certificate_subject},
            },
            "inviteSourceAdmin": rel.invite_source_admin,
            "scopeGroup": list(rel.scope_groups)
            if len(rel.scope_groups) != 1
            else rel.scope_groups[0],
            "endpoint": _drop_none(
                {
                    "name": rel.endpoint.name,
                    "maxConcurrentMigrations": rel.endpoint.max_concurrent_migrations,
                }
            ),
        }
    )
    identities = _drop_none(
        {
            "rewrite": [{"from": r.from_domain, "to": r.to_domain} for r in d.rewrite],
            "upnDomain": d.upn_domain,
            "usageLocation": d.usage_location,
            "licenses": list(d.licenses),
            "mailboxes": [{"source": m.source, "target": m.target} for m in d.mailboxes],
        }
    )
    batches = [
        _drop_none(
            {
                "name": b.name,
                "mailboxes": list(b.mailboxes),
                "targetDeliveryDomain": b.target_delivery_domain,
                "phase": b.phase,
                "completeAfter": None
                if b.complete_after is None
                else b.complete_after.isoformat().replace("+00:00", "Z"),
            }
        )
        for b in d.batches
    ]
    return {
        "version": 1,
        "name": d.name,
        "source": _tenant_doc(d.source),
        "target": _tenant_doc(d.target),
        "relationship": relationship,
        "identities": identities,
        "batches": batches,
    }


def spec_yaml(d: Desired, description: str | None) -> str:
    head = ""
    if description:
        head = "".join(f"# {line}\n" if line else "#\n" for line in description.splitlines())
    body = yaml.safe_dump(spec_document(d), sort_keys=False, allow_unicode=True, width=100)
    return head + body


def _comparable(d: Desired) -> Any:
    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in ("origin", "spec_path")}
        if isinstance(v, list | tuple):
            return [strip(x) for x in v]
        return v

    return strip(d.model_dump())  # datetimes compare as instants


# --- observed.json ------------------------------------------------------------------------


def observed_json(snapshot: Snapshot) -> str:
    """Show form, without the parts the harness assumes when a part is not listed."""

    def trim(t: TenantState) -> TenantState:
        drop: dict[str, Any] = {}
        for part in P.PARTS:
            fact = P.fact_of(t, part)
            if part.name in ("organization", "relationships") or fact is None:
                continue
            if fact == default_fact(t.role, part):
                drop[part.name] = None
        return replace(t, **drop)

    return render_snapshot_json(Snapshot(trim(snapshot.source), trim(snapshot.target)))


# --- the old cases, per kind ----------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


class Unexpressible(Exception):
    pass


def _rel_spec(desire: SideDesire) -> Desired:
    rel = BASE.relationship
    update: dict[str, Any] = {"name": desire.name}
    tenants: dict[str, Any] = {}
    partner = "source" if desire.role == "target" else "target"
    if len(desire.partner_domains) != 1:
        raise Unexpressible(f"partner domains {desire.partner_domains}: a spec names one")
    tenants[partner] = getattr(BASE, partner).model_copy(
        update={"tenant_id": desire.partner_tenant_id, "domain": desire.partner_domains[0]}
    )
    if desire.role == "source":
        if not desire.oauth_application_id:
            raise Unexpressible(
                "a source desire without an appId that no app registration resolves: a spec "
                "names the app by appId or by a displayName t2t registers (known after apply)"
            )
        update["app"] = rel.app.model_copy(
            update={"app_id": desire.oauth_application_id, "display_name": None}
        )
        update["scope_groups"] = desire.scopes
    return BASE.model_copy(
        update={"relationship": rel.model_copy(update=update), **tenants, "name": "t2t-cases"}
    )


def _converged(desire: SideDesire) -> Any:
    created = plan_side(desire, ()).action
    assert created is not None
    params = dict(created.parameters)
    return parse_relationship({"Identity": params["Name"], **params})


def _security_group(name: str) -> Any:
    return x.parse_group(
        {
            "Identity": name,
            "Name": name,
            "PrimarySmtpAddress": f"{name}@contoso.com",
            "RecipientTypeDetails": "MailUniversalSecurityGroup",
        }
    )


def relationship_case(data: dict[str, Any]) -> tuple[Desired, Snapshot, None]:
    want = SideDesire.from_dict(data["desire"])
    spec = _rel_spec(want)
    base = Snapshot(whole_tenant("source"), whole_tenant("target"))
    desires = {d.role: d for d in relationship_desires(spec, PlanContext(spec, base).app)}
    if desires[want.role] != want:
        raise Unexpressible(f"the spec resolves to {desires[want.role]}, not {want}")
    other = "source" if want.role == "target" else "target"
    observed = {
        want.role: [parse_relationship(r) for r in data["observed"]],
        other: [_converged(desires[other])],
    }
    source = whole_tenant(
        "source",
        relationships=observed["source"],
        groups=[_security_group(g) for g in spec.relationship.scope_groups],
    )
    return spec, Snapshot(source, whole_tenant("target", relationships=observed["target"])), None


def orgsetup_case(data: dict[str, Any]) -> tuple[Desired, Snapshot, None]:
    spec = orgsetup_cases.SPECS[data["spec"]]
    snapshot = Snapshot(
        orgsetup_cases._tenant("source", data["source"]),
        orgsetup_cases._tenant("target", data["target"]),
    )
    return spec, snapshot, None


def mailbox_case(data: dict[str, Any]) -> tuple[Desired, Snapshot, None]:
    return mailbox_cases.desired_from(data), mailbox_cases.snapshot_from(data), None


def batch_case(data: dict[str, Any]) -> tuple[Desired, Snapshot, dict[str, Any] | None]:
    desired = batch_cases.desired_from(data)
    return desired, batch_cases.snapshot_from(data, desired), data.get("prior")


# --- the old expectations -----------------------------------------------------------------


def check_relationship(data: dict[str, Any], out: DomainOutcome) -> list[str]:
    role = data["desire"]["role"]
    exp = data["expected"]
    errors: list[str] = []
    mine = [f for f in out.findings if f.tenant == role]
    if [f.code for f in mine] != exp["findings"]:
        errors.append(f"findings {[f.code for f in mine]} != {exp['findings']}")
    if [f.code for f in mine if f.blocking] != exp.get("blocking", []):
        errors.append(f"blocking {[f.code for f in mine if f.blocking]}")
    others = [a.id for a in out.actions if a.tenant != role]
    others += [f.code for f in out.findings if f.tenant != role]
    if others:
        errors.append(f"the converged other side planned {others}")
    actions = [a for a in out.actions if a.tenant == role]
    want = exp["action"]
    if want is None:
        if actions:
            errors.append(f"actions {[a.id for a in actions]}, expected none")
        return errors
    if len(actions) != 1:
        return [*errors, f"actions {[a.id for a in actions]}, expected one"]
    a = actions[0]
    got = (a.kind, a.parameters, list(a.blocked_by), a.risk)
    expected = (
        want["kind"],
        want["parameters"],
        want.get("blocked_by", []),
        want.get("risk", "safe"),
    )
    if got != expected:
        errors.append(f"action {got} != {expected}")
    return errors


def check_orgsetup(data: dict[str, Any], out: DomainOutcome) -> list[str]:
    exp = data["expected"]
    errors: list[str] = []
    if sorted(f.code for f in out.findings) != sorted(exp["findings"]):
        errors.append(f"findings {sorted(f.code for f in out.findings)} != {exp['findings']}")
    if len(out.actions) != len(exp["actions"]):
        return [*errors, f"actions {[a.id for a in out.actions]}"]
    for a, e in zip(out.actions, exp["actions"], strict=True):
        want = {"blocked_by": [], "depends_on": [], **e}
        got = {
            "id": a.id,
            "blocked_by": list(a.blocked_by),
            "depends_on": list(a.depends_on),
            **({"parameters": a.parameters} if "parameters" in e else {}),
        }
        if got != want:
            errors.append(f"action {got} != {want}")
    return errors


def _kind_key_blocked(data: dict[str, Any], out: DomainOutcome) -> list[str]:
    exp = data["expected"]
    errors: list[str] = []
    if sorted(f.code for f in out.findings) != sorted(exp["findings"]):
        errors.append(f"findings {sorted(f.code for f in out.findings)} != {exp['findings']}")
    got = [[a.kind, a.key, list(a.blocked_by)] for a in out.actions]
    if got != exp["actions"]:
        errors.append(f"actions {got} != {exp['actions']}")
    by_id = {a.id: a for a in out.actions}
    for aid, params in exp.get("parameters", {}).items():
        if aid not in by_id or by_id[aid].parameters != params:
            errors.append(f"parameters of {aid}")
    for aid, risk in exp.get("risk", {}).items():
        if aid not in by_id or by_id[aid].risk != risk:
            errors.append(f"risk of {aid}")
    for aid, deps in exp.get("depends_on", {}).items():
        if aid not in by_id or list(by_id[aid].depends_on) != deps:
            errors.append(f"depends_on of {aid}")
    for aid, n in exp.get("sizes", {}).items():
        if aid not in by_id or len(by_id[aid].desired["mailboxes"]) != n:
            errors.append(f"size of {aid}")
    for text in exp.get("notices", []):
        if not any(text in n for n in out.notices):
            errors.append(f"notice {text!r} not in {out.notices}")
    return errors


def check_mailbox(data: dict[str, Any], out: DomainOutcome) -> list[str]:
    errors = _kind_key_blocked(data, out)
    for a in out.actions:
        earlier = [b.id for b in out.actions[: out.actions.index(a)]]
        if not all(dep in earlier for dep in a.depends_on):
            errors.append(f"{a.id} depends on a later action")
    if "Password" in json.dumps([a.parameters for a in out.actions]):
        errors.append("a Password parameter")
    return errors


def check_batch(data: dict[str, Any], out: DomainOutcome) -> list[str]:
    errors = _kind_key_blocked(data, out)
    errors += [f"{a.id} is {a.risk}" for a in out.actions if a.risk != "disruptive"]
    return errors


KINDS = {
    # old folder: (new domain, builder, check)
    "relationships": (lambda d: "relationships", relationship_case, check_relationship),
    "orgsetup": (lambda d: d["domain"], orgsetup_case, check_orgsetup),
    "mailboxes": (lambda d: "mailboxes", mailbox_case, check_mailbox),
    "batches": (lambda d: "batches", batch_case, check_batch),
}


def convert(kind: str, path: Path) -> tuple[str, list[str]]:
    """(new case name, problems) for one old case file; writes the folder when expressible."""
    domain_of, build, check = KINDS[kind]
    data = _load(path)
    folder = ROOT / domain_of(data) / path.stem
    try:
        desired, snapshot, prior = build(data)
    except Unexpressible as e:
        return f"{folder.parent.name}/{folder.name}", [f"UNEXPRESSIBLE: {e}"]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "spec.yaml").write_text(spec_yaml(desired, data.get("description")), encoding="utf-8")
    (folder / "observed.json").write_text(observed_json(snapshot), encoding="utf-8")
    if prior:
        (folder / "prior.json").write_text(
            json.dumps(prior, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    case = Case(folder)
    problems: list[str] = []
    if _comparable(case.spec()) != _comparable(desired):
        shutil.rmtree(folder)
        return case.name, ["UNEXPRESSIBLE: spec.yaml does not load to the case's desire"]
    if case.snapshot() != whole(snapshot):
        problems.append("observed.json does not load to the case's snapshot")
    outcome = case.outcome()
    (folder / "plan.json").write_text(
        render_plan(plan_json(outcome, case.snapshot())), encoding="utf-8"
    )
    problems += check(data, outcome)
    return case.name, problems


def main() -> int:
    bad = 0
    counts: dict[str, int] = {}
    for kind in KINDS:
        for path in sorted((OLD / kind).glob("*.json")):
            name, problems = convert(kind, path)
            if problems:
                bad += 1
                print(f"{kind}/{path.name} -> {name}:")
                for p in problems:
                    print(f"    {p}")
            else:
                counts[kind] = counts.get(kind, 0) + 1
    print("converted and checked:", counts, "problems:", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
