"""The seed's ``azure:`` block (issue 12): the default seed's subscription and roles, and a bad
block refused with the file's line and column (t2t/sandbox/seed_errors.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from t2t.sandbox.azure.roles import role_by_id
from t2t.sandbox.model import derived_guid, state_from_seed
from t2t.sandbox.seed import load_seed
from t2t.sandbox.seed_errors import SeedError
from t2t.sandbox.server import SandboxServer
from t2t.sandbox.state import StateDirError

SUBSCRIPTION = "3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d"
FABRIKAM = "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
FABRIKAM_ADMIN = "1d6f2b3c-4d5e-4f60-9b7c-8d9e0f1a2b3c"
FABRIKAM_READER = "4a9c5e6f-7b8c-4d9e-8f01-2b3c4d5e6f70"


def test_default_seed_gives_fabrikams_admin_contributor_and_contoso_no_azure() -> None:
    contoso, fabrikam = state_from_seed(load_seed()).tenants
    assert contoso.azure.subscriptions == [] and contoso.azure.role_assignments == []
    assert [s.subscription_id for s in fabrikam.azure.subscriptions] == [SUBSCRIPTION]
    held = {
        (a.principal_id, getattr(role_by_id(a.role_definition_id), "name", None), a.scope)
        for a in fabrikam.azure.role_assignments
    }
    assert held == {
        (
            derived_guid(FABRIKAM, "sp", FABRIKAM_ADMIN),
            "Contributor",
            f"/subscriptions/{SUBSCRIPTION}",
        ),
        (derived_guid(FABRIKAM, "sp", FABRIKAM_READER), "Reader", f"/subscriptions/{SUBSCRIPTION}"),
    }
    # the principal is the app's service principal in Fabrikam: the token's oid
    assert fabrikam.service_principal(FABRIKAM_ADMIN).id == derived_guid(  # type: ignore[union-attr]
        FABRIKAM, "sp", FABRIKAM_ADMIN
    )


_TENANT = """\
version: 1
tenants:
  - name: x
    tenantId: 11111111-2222-4333-8444-555555555555
    displayName: X
    initialDomain: x.onmicrosoft.com
    adminApp:
      clientId: 0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e
    azure:
"""


@pytest.mark.parametrize(
    ("azure", "expected"),
    [
        (
            """\
            subscriptions:
              - subscriptionId: 3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d
            roleAssignments:
              - principal: 0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e
                role: Wizard
                scope: /subscriptions/3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d
            """,
            ":14:17: tenants[0].azure.roleAssignments[0].role: unknown role 'Wizard'",
        ),
        (
            """\
            subscriptions:
              - subscriptionId: 3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d
            roleAssignments:
              - principal: 0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e
                role: Reader
                scope: /subscriptions/ffffffff-1d2f-4a6b-8c0d-2e4f6a8b0c1d
            """,
            ":15:18: tenants[0].azure.roleAssignments[0].scope: subscription "
            "ffffffff-1d2f-4a6b-8c0d-2e4f6a8b0c1d is not one of this tenant's subscriptions",
        ),
        (
            """\
            subscriptions:
              - subscriptionId: 3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d
            roleAssignments:
              - principal: 99999999-1b1b-4c2c-8d3d-4e4e4e4e4e4e
                role: Owner
                scope: /subscriptions/3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d/resourceGroups/rg
            """,
            ":13:22: tenants[0].azure.roleAssignments[0].principal: "
            "99999999-1b1b-4c2c-8d3d-4e4e4e4e4e4e is not the adminApp or a client of tenant x",
        ),
        (
            """\
            subscriptions:
              - subscriptionId: 3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d
              - subscriptionId: 3E5A7C9B-1d2f-4a6b-8c0d-2e4f6a8b0c1d
            """,
            ":12:11: tenants[0].azure.subscriptions[1]: duplicate subscriptionId",
        ),
        ("subscriptions: [\n", ":11:1: not valid YAML"),
    ],
)
def test_a_bad_azure_block_is_refused_with_its_position(
    tmp_path: Path, azure: str, expected: str
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(_TENANT + textwrap.indent(textwrap.dedent(azure), "      "))
    with pytest.raises(SeedError) as caught:
        load_seed(seed)
    assert str(caught.value).startswith(f"{seed}{expected}"), str(caught.value)


def test_the_sandbox_refuses_a_bad_seed_without_a_traceback(tmp_path: Path) -> None:
    """The CLI prints StateDirError as it is (t2t sandbox serve)."""
    seed = tmp_path / "seed.yaml"
    seed.write_text(_TENANT + "      subscriptions: [{subscriptionId: nope}]\n")
    with pytest.raises(StateDirError) as caught:
        SandboxServer(tmp_path / "state", seed=seed)
    assert f"{seed}:10:40: tenants[0].azure.subscriptions[0].subscriptionId:" in str(caught.value)
