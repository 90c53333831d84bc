"""What the app.* actions carry to apply (t2t/planner/shared/app.py): the desire survives its
JSON round trip (the executor plans again from it), and the fingerprint of the target's apps —
which tells a saved plan that the apps changed — follows their content, not Graph's order."""

from __future__ import annotations

import json
from pathlib import Path

from t2t.planner.shared.app import (
    MAILBOX_MIGRATION_ROLE_ID,
    AppDesire,
    app_desire,
    app_fingerprint,
)
from t2t.spec import load_spec
from t2t.state.directory import Application, ResourceAccess

ADOPTED = Path(__file__).parent / "cases" / "migration_app" / "app-adopted-converged" / "spec.yaml"
APP_ID = "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"


def _app(app_id: str, *, audience: str = "AzureADMultipleOrgs") -> Application:
    return Application(
        object_id=f"obj-{app_id}",
        app_id=app_id,
        display_name="T2T mailbox migration",
        sign_in_audience=audience,
        required_resource_access=(
            ResourceAccess("00000002-0000-0ff1-ce00-000000000000", "role", "Role"),
        ),
        redirect_uris=("https://office.com",),
        password_credentials=(),
        key_credential_count=0,
    )


def test_the_desire_comes_back_from_the_action_as_it_was_planned() -> None:
    desire = AppDesire(
        app_id=None,
        display_name="T2T mailbox migration",
        unique_name="t2t-migration-0123456789abcdef",
        role_id="11111111-1111-4111-8111-111111111111",
    )
    assert AppDesire.from_dict(json.loads(json.dumps(desire.to_dict()))) == desire


def test_a_desire_saved_without_a_role_id_uses_the_published_one() -> None:
    desire = AppDesire.from_dict({"app_id": "5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f"})
    assert desire == AppDesire(
        app_id="5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f",
        display_name=None,
        unique_name=None,
        role_id=MAILBOX_MIGRATION_ROLE_ID,
    )


def test_the_apps_fingerprint_ignores_their_order_and_sees_a_change() -> None:
    a, b = _app("aaaa"), _app("bbbb")
    assert app_fingerprint((a, b)) == app_fingerprint((b, a))
    assert app_fingerprint((a, b)) != app_fingerprint((a, _app("bbbb", audience="AzureADMyOrg")))


def test_an_app_named_by_its_id_is_adopted_with_no_unique_name_even_beside_a_display_name(
    tmp_path: Path,
) -> None:
    """uniqueName marks an app t2t registers (by displayName alone); an appId adopts one."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        ADOPTED.read_text().replace(
            f"    appId: {APP_ID}\n",
            f"    appId: {APP_ID}\n    displayName: T2T mailbox migration\n",
        )
    )
    assert app_desire(load_spec(spec, check_git=False)) == AppDesire(
        app_id=APP_ID,
        display_name="T2T mailbox migration",
        unique_name=None,
        role_id=MAILBOX_MIGRATION_ROLE_ID,
    )
