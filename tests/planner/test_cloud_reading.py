"""How the planner reads a tenant's cloud (t2t/planner/shared/clouds.py): a cloud part that is
missing, unreadable or empty names no cloud — never a crash, never a guess — and a source whose
cloud t2t knows no Exchange Online host for still gets the worldwide host (T2T-E113 blocks it)."""

from __future__ import annotations

import pytest

from t2t.planner.shared.clouds import cloud_of, remote_server
from t2t.state import Fact
from t2t.state.cloud import TenantCloud

GCC_HIGH = TenantCloud(instance="microsoftonline.us", region_scope="USGov")


@pytest.mark.parametrize(
    "fact",
    [None, Fact.unknown("GET /.well-known/openid-configuration: 503"), Fact.absent()],
    ids=["not-read", "unknown", "absent"],
)
def test_a_cloud_not_read_names_none(fact: Fact[tuple[TenantCloud, ...]] | None) -> None:
    assert cloud_of(fact) is None


def test_a_cloud_read_names_it() -> None:
    assert cloud_of(Fact.present((GCC_HIGH,))) == GCC_HIGH
    assert cloud_of(Fact.present(())) is None


def test_remote_server_per_cloud() -> None:
    assert remote_server(None) == "outlook.office.com"
    assert remote_server(GCC_HIGH) == "outlook.office365.us"
    china = TenantCloud(instance="partner.microsoftonline.cn")
    assert remote_server(china) == "outlook.office.com"
