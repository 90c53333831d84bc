"""Seed users, SKUs and domains: validation, deterministic conversion, default seed, generator."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from t2t.sandbox.generate import generate_seed, main
from t2t.sandbox.model import state_from_seed
from t2t.sandbox.recipients import ZERO_GUID
from t2t.sandbox.seed import Seed, load_seed

REPO = Path(__file__).resolve().parents[2]


def _spec_source_addresses() -> set[str]:
    """Every Contoso address the two example specs (and their CSV waves) name."""
    out = {"debra", "alex", "megan", "lynne", "nestor", "ceo", "j.doe"}
    waves = REPO / "specs" / "waves"
    for row in csv.DictReader((waves / "wave-1-finance.csv").open()):
        out.add(row["SourceEmail"].split("@")[0])
    for name in ("wave-2-sales.csv", "wave-3-operations.csv"):
        for row in csv.DictReader((waves / name).open()):
            out.add(row["EmailAddress"].split("@")[0])
    return out


def test_default_seed_has_every_spec_mailbox_with_exchange_identity() -> None:
    state = state_from_seed(load_seed())
    contoso = state.tenant_by_name("contoso")
    assert contoso is not None
    for local in _spec_source_addresses():
        user = contoso.user(f"{local}@contoso.com")
        assert user is not None, local
        r = user.recipient
        assert r is not None and r.recipient_type_details == "UserMailbox"
        assert r.exchange_guid != ZERO_GUID
        assert r.legacy_exchange_dn.startswith("/o=ExchangeLabs/ou=Exchange Administrative Group")
        assert f"smtp:{local}@contoso.onmicrosoft.com" in r.email_addresses
        assert r.email_addresses[0] == f"SMTP:{local}@contoso.com"


def test_default_seed_awkward_mailboxes() -> None:
    state = state_from_seed(load_seed())
    contoso, fabrikam = state.tenants
    assert 30 <= len(contoso.users) <= 60
    archive = contoso.user("adele@contoso.com")
    assert archive and archive.recipient and archive.recipient.archive_guid != ZERO_GUID
    allan = contoso.user("allan@contoso.com")
    assert allan and allan.recipient
    assert sum(a.startswith("X500:") for a in allan.recipient.email_addresses) == 2
    assert contoso.user("shaun.o'neil@contoso.com") is not None
    zoe = contoso.user("zoe@contoso.com")
    assert zoe and not zoe.display_name.isascii()
    miriam = fabrikam.user("miriam@fabrikam.com")
    assert miriam and miriam.recipient and miriam.recipient.recipient_type_details == "UserMailbox"
    johanna = fabrikam.user("johanna@fabrikam.com")
    assert johanna and johanna.on_premises_sync_enabled
    kai = fabrikam.user("kai@fabrikam.com")
    assert kai and kai.usage_location is None and kai.recipient
    assert kai.recipient.exchange_guid == ZERO_GUID


def test_conversion_is_deterministic() -> None:
    a, b = state_from_seed(load_seed()), state_from_seed(load_seed())
    assert a.model_dump() == b.model_dump()
    # ids derive from tenant + UPN: the same user in another seed keeps its GUIDs
    c = state_from_seed(generate_seed(3))
    assert c.tenants[0].user("debra@contoso.com") == a.tenants[0].user("debra@contoso.com")


def test_seats_and_domains() -> None:
    state = state_from_seed(load_seed())
    fabrikam = state.tenant_by_name("fabrikam")
    assert fabrikam is not None
    e3 = fabrikam.sku("EXCHANGEENTERPRISE")
    assert e3 is not None and fabrikam.consumed_units(e3.sku_id) == e3.prepaid_enabled == 2
    assert fabrikam.default_domain == "fabrikam.com"
    assert fabrikam.accepts_domain("fabrikam.mail.onmicrosoft.com")
    assert not fabrikam.accepts_domain("fabrikam.local")


def _seed_data() -> dict[str, Any]:
    return copy.deepcopy(load_seed().model_dump(mode="json", exclude_defaults=True))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t["users"].append(dict(t["users"][0])), "duplicate userPrincipalName"),
        (
            lambda t: t["users"].append({"userPrincipalName": "x@no.test", "displayName": "X"}),
            "UPN domain is not a tenant domain",
        ),
        (
            lambda t: t["users"].append(
                {"userPrincipalName": "x@contoso.com", "displayName": "X", "licenses": ["E99"]}
            ),
            "unknown licence",
        ),
        (lambda t: t.update(defaultDomain="example.org"), "not one of the tenant's domains"),
        (
            lambda t: t["users"].append(
                {"userPrincipalName": "x@contoso.com", "displayName": "X", "usageLocation": "usa"}
            ),
            "usageLocation",
        ),
    ],
)
def test_seed_refuses_inconsistent_users(mutate: Any, message: str) -> None:
    data = _seed_data()
    mutate(data["tenants"][0])
    with pytest.raises(ValidationError, match=message):
        Seed.model_validate(data)


def test_generator(capsys: pytest.CaptureFixture[str]) -> None:
    seed = generate_seed(250)
    state = state_from_seed(seed)
    contoso = state.tenants[0]
    assert len(contoso.users) == len(load_seed().tenants[0].users) + 250
    ids = {u.recipient.exchange_guid for u in contoso.users if u.recipient}
    assert len(ids) == sum(1 for u in contoso.users if u.recipient)  # all distinct
    sku = contoso.sku("EXCHANGESTANDARD")
    assert sku is not None and contoso.consumed_units(sku.sku_id) <= sku.prepaid_enabled
    assert main(["5"]) == 0
    assert Seed.model_validate(yaml.safe_load(capsys.readouterr().out)) == generate_seed(5)
