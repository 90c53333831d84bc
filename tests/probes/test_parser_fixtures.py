"""Probe parsers as data (pyinfra's fact fixtures): recorded API JSON → the observed model.

Each file under fixtures/ names a parser, holds one record as Microsoft returns it, and the
expected parsed object (as plain JSON). Adding a case means adding a file. Key Vault's records go
through azure-keyvault-certificates' own models first, as t2t receives them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.keyvault.certificates import (
    CertificateOperation,
    CertificateProperties,
    KeyVaultCertificate,
)
from azure.keyvault.certificates._generated import models as kv

from t2t.probes import directory_objects as d
from t2t.probes import exchange_objects as x
from t2t.probes import key_vault as k
from t2t.probes import moves as mv
from t2t.probes.relationships import parse_relationship
from t2t.state.plain import as_plain

PARSERS = {
    "recipient": x.parse_recipient,
    "statistics": x.parse_statistics,
    "previous_mailbox": x.parse_previous_mailbox,
    "move_request": x.parse_move_request,
    "removed_mailbox": x.parse_removed_mailbox,
    "endpoint": x.parse_endpoint,
    "group": x.parse_group,
    "batch": x.parse_batch,
    "migration_user": x.parse_migration_user,
    "accepted_domain": x.parse_accepted_domain,
    "relationship": parse_relationship,
    "domain": d.parse_domain,
    "sku": d.parse_sku,
    "application": d.parse_application,
    "service_principal": d.parse_service_principal,
    "assignment": d.parse_assignment,
    "user": d.parse_user,
}


def _certificate(record: dict[str, Any]) -> Any:
    """A Key Vault certificate bundle as the SDK hands it to t2t (its own deserializer)."""
    bundle = kv.CertificateBundle(record)
    return k.parse_certificate(KeyVaultCertificate._from_certificate_bundle(bundle))


def _certificate_item(record: dict[str, Any]) -> Any:
    """One item of GET /certificates/{name}/versions, as the SDK's CertificateProperties."""
    item = kv.CertificateItem(record)
    return k.parse_certificate_properties(CertificateProperties._from_certificate_item(item))


def _certificate_operation(record: dict[str, Any]) -> Any:
    operation = kv.CertificateOperation(record)
    return k.parse_operation(CertificateOperation._from_certificate_operation_bundle(operation))


PARSERS.update(
    {
        "key_credential": d.parse_key_credential,
        "vault": k.parse_vault,
        "certificate": _certificate,
        "certificate_item": _certificate_item,
        "certificate_operation": _certificate_operation,
        "batch_progress": mv.parse_batch_progress,
        "user_progress": mv.parse_user_progress,
        "move_figures": mv.parse_figures,
    }
)
CASES = sorted((Path(__file__).parent / "fixtures").glob("*.json"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_parser_fixture(case: Path) -> None:
    data = json.loads(case.read_text(encoding="utf-8"))
    parsed = PARSERS[data["parser"]](data["record"])
    assert as_plain(parsed) == data["expected"]


def test_every_parser_has_a_fixture() -> None:
    used = {json.loads(c.read_text(encoding="utf-8"))["parser"] for c in CASES}
    assert used == set(PARSERS)
