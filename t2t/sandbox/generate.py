"""Seeds with N mailboxes, for benchmarks: ``python -m t2t.sandbox.generate N > seed.yaml``.

The generated seed is the default seed (same tenants, apps, SKUs and awkward users)
plus ``N`` ordinary licensed Contoso mailboxes ``user00001@contoso.com`` …, each with a
usage location, so a 10,000-mailbox plan reads like a real merger. Everything is
deterministic: the same N gives the same seed, the same GUIDs and the same names.
Seats of the SKUs grow with N so licensing never runs out by accident.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from t2t.sandbox.seed import Seed, load_seed

_FIRST = [
    "Ada",
    "Ben",
    "Cleo",
    "Dan",
    "Eva",
    "Finn",
    "Gus",
    "Hana",
    "Ivo",
    "Jana",
    "Kai",
    "Lena",
    "Milo",
    "Nora",
    "Otto",
    "Pia",
    "Rui",
]
_LAST = [
    "Adams",
    "Berg",
    "Costa",
    "Dahl",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Moreau",
]


def generated_user(i: int, domain: str, initial_domain: str) -> dict[str, Any]:
    """The i-th generated mailbox (1-based); every 10th has an archive and x500 history."""
    first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST)) % len(_LAST)]
    alias = f"user{i:05d}"
    exchange: dict[str, Any] = {"recipientTypeDetails": "UserMailbox"}
    if i % 10 == 0:
        exchange["archive"] = True
        exchange["emailAddresses"] = [
            f"X500:/o=Contoso/ou=First Administrative Group/cn=Recipients/cn={alias}"
        ]
    return {
        "userPrincipalName": f"{alias}@{domain}",
        "displayName": f"{first} {last} {i:05d}",
        "givenName": first,
        "surname": last,
        "usageLocation": "US",
        "licenses": ["EXCHANGESTANDARD"],
        "exchange": exchange,
    }


def generated_mail_user(i: int, domain: str, source_domain: str) -> dict[str, Any]:
    """The i-th generated target MailUser: the Fabrikam side of user ``i``, not yet stamped
    (no ExchangeGuid, no licence), as a merger's HR-driven provisioning leaves it."""
    alias = f"user{i:05d}"
    return {
        "userPrincipalName": f"{alias}@{domain}",
        "displayName": f"User {i:05d}",
        "usageLocation": "US",
        "exchange": {
            "recipientTypeDetails": "MailUser",
            "externalEmailAddress": f"SMTP:{alias}@{source_domain}",
        },
    }


def generate_seed_data(n: int, *, target_mail_users: bool = False) -> dict[str, Any]:
    """The default seed plus ``n`` generated Contoso mailboxes, as YAML-ready data; with
    ``target_mail_users`` also ``n`` matching Fabrikam mail users (a tenant of each size)."""
    base = load_seed().model_dump(mode="json", exclude_defaults=True)
    for tenant in base["tenants"]:
        for sku in tenant.get("subscribedSkus", []):
            if sku["skuPartNumber"] in ("EXCHANGESTANDARD", "Cross_tenant_user_data_migration"):
                sku["seats"] = sku.get("seats", 0) + n
        if tenant["name"] == "contoso":
            domain = next(d for d in tenant["domains"] if not d.endswith(".onmicrosoft.com"))
            tenant.setdefault("users", []).extend(
                generated_user(i, domain, tenant["initialDomain"]) for i in range(1, n + 1)
            )
        if tenant["name"] == "fabrikam" and target_mail_users:
            domain = next(d for d in tenant["domains"] if not d.endswith(".onmicrosoft.com"))
            tenant.setdefault("users", []).extend(
                generated_mail_user(i, domain, "contoso.com") for i in range(1, n + 1)
            )
    return base


def generate_seed(n: int, *, target_mail_users: bool = False) -> Seed:
    return Seed.model_validate(generate_seed_data(n, target_mail_users=target_mail_users))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mailboxes", type=int, help="how many extra Contoso mailboxes")
    parser.add_argument(
        "--target-mail-users",
        action="store_true",
        help="also create that many Fabrikam mail users (both tenants of that size)",
    )
    args = parser.parse_args(argv)
    if args.mailboxes < 0:
        parser.error("mailboxes must be >= 0")
    yaml.safe_dump(
        generate_seed_data(args.mailboxes, target_mail_users=args.target_mail_users),
        sys.stdout,
        sort_keys=False,
        allow_unicode=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
