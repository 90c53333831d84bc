"""With any one part of either tenant unreadable, nothing that needs it is planned.

One case per part of each tenant it is read from (t2t/state/parts.py). The gate is
`plan_domain`'s, and each domain's view raises on a part it does not name (context.py), so a
domain's declared needs are the whole truth: the domains needing the part plan nothing and
say why; every other domain plans exactly what it plans when the part is readable.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from t2t.planner import EXIT_UNKNOWN, Plan, build_plan
from t2t.planner.plan import DOMAINS
from t2t.probes import exchange_objects as x
from t2t.spec import load_spec
from t2t.state import Fact, Snapshot
from t2t.state import parts as P
from t2t.state.exchange import MailboxGrants
from tests.planner.observed import whole_tenant

ROOT = Path(__file__).resolve().parents[2]
SPECS = {
    name: load_spec(ROOT / "specs" / f"{name}.yaml")
    for name in ("contoso-to-fabrikam", "quickstart")
}
ROLES = ("exchange:Exchange.ManageAsApp", "exchange-wid:29232cdf-9323-42fd-ade2-1d097af3e4de")
CASES = [(role, part) for part in P.PARTS for role in ("source", "target") if role in part.roles]


def source_mailbox(n: int, address: str) -> dict[str, object]:
    local = address.split("@")[0]
    guid = f"00000000-0000-4000-8000-{n:012d}"
    return {
        "Identity": local,
        "Guid": f"10000000-0000-4000-8000-{n:012d}",
        "DisplayName": local,
        "UserPrincipalName": address,
        "PrimarySmtpAddress": address,
        "RecipientTypeDetails": "UserMailbox",
        "ExchangeGuid": guid,
        "ArchiveGuid": "00000000-0000-0000-0000-000000000000",
        "LegacyExchangeDN": f"/o=ExchangeLabs/ou=Exchange Administrative Group "
        f"(FYDIBOHF23SPDLT)/cn=Recipients/cn={n:032d}-{local}",
        "EmailAddresses": [f"SMTP:{address}"],
    }


#: The spec's source mailboxes exist, small: the mailboxes domain plans their MailUsers.
SOURCE_MAILBOXES = [
    source_mailbox(n, m.source) for n, m in enumerate(SPECS["quickstart"].mailboxes, 1)
]


def snapshot(unreadable: tuple[str, P.Part] | None = None) -> Snapshot:
    tenants = {}
    for role in ("source", "target"):
        given: dict[str, object] = {"identity_roles": ROLES}
        if role == "source":
            given["recipients"] = [x.parse_recipient(r) for r in SOURCE_MAILBOXES]
            given["statistics"] = [
                x.parse_statistics(
                    {"MailboxGuid": r["ExchangeGuid"], "TotalItemSize": "1 MB (1,048,576 bytes)"}
                )
                for r in SOURCE_MAILBOXES
            ]
            # every wave mailbox's permissions read, none granted (no "not read" notice)
            given["mailbox_permissions"] = [
                MailboxGrants(str(r["PrimarySmtpAddress"]), ()) for r in SOURCE_MAILBOXES
            ]
        if unreadable is not None and unreadable[0] == role:
            given[unreadable[1].name] = Fact.unknown("HTTP 503")
        tenants[role] = whole_tenant(role, role, **given)
    return Snapshot(source=tenants["source"], target=tenants["target"])


def outline(plan: Plan) -> list[tuple[str, tuple[str, ...], tuple[str, ...], str]]:
    return [(a.id, a.depends_on, a.blocked_by, a.fingerprint) for a in plan.actions]


@pytest.mark.parametrize("spec_name", sorted(SPECS))
@pytest.mark.parametrize(("role", "part"), CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_nothing_needing_an_unreadable_part_is_planned(
    spec_name: str, role: str, part: P.Part
) -> None:
    spec = SPECS[spec_name]
    readable = build_plan(spec, snapshot())
    plan = build_plan(spec, snapshot((role, part)))
    blind = [d for d in DOMAINS if part in (d.source_needs if role == "source" else d.target_needs)]
    assert blind, f"no domain needs the {role} {part}: it should not be read"
    skipped = {k.name for d in blind for k in d.emits}
    assert outline(plan) == [a for a in outline(readable) if a[0].split(":")[1] not in skipped]
    assert list(plan.notices) == [
        f"{d.name}: nothing planned, because t2t could not read {role} {part}" for d in blind
    ]
    assert [(u.tenant, u.what) for u in plan.unknowns] == [(role, part.name)]
    assert plan.exit_code(detailed=True) == EXIT_UNKNOWN


def test_the_readable_baseline_plans_in_every_org_domain() -> None:
    """The cases above compare against this plan: it must hold actions to lose."""
    kinds = {a.kind for a in build_plan(SPECS["quickstart"], snapshot()).actions}
    assert kinds == {
        "invitation.send",
        "mailuser.create",
        "mailuser.set_identity",
        "license.assign",
        "consent.grant",
        "consent.await",
        "group.create",
        "orgrel.create",
        "endpoint.create",
    }


def test_the_key_vault_baseline_plans_the_azure_chain() -> None:
    """The Key Vault parts' cases above compare against this plan (the walkthrough's spec,
    keyVaultCertificate mode): it must hold the chain's actions to lose."""
    kinds = {a.kind for a in build_plan(SPECS["contoso-to-fabrikam"], snapshot()).actions}
    assert {
        "azure.resource_group.create",
        "keyvault.vault.create",
        "keyvault.certificate.create",
        "app.key_credential.add",
        "endpoint.create",
    } <= kinds
