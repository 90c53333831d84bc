"""The sandbox's strictness profile: strict by default, changed only on purpose, reset back."""

from __future__ import annotations

import pytest

from t2t.sandbox.strictness import KIND, STRICT
from tests.conftest import SandboxHandle


def _url(sandbox: SandboxHandle) -> str:
    return f"{sandbox.base_url}/_sandbox/strictness"


def test_strict_is_the_default_and_reset_restores_it(sandbox: SandboxHandle) -> None:
    assert sandbox.http.get(_url(sandbox)).json() == STRICT.snapshot()
    assert sandbox.profile["strictness"] == "strict"
    r = sandbox.http.post(_url(sandbox), json={"secret_delay_seconds": 30})
    assert r.status_code == 200 and r.json() == {**STRICT.snapshot(), "secret_delay_seconds": 30}
    sandbox.reset()
    assert sandbox.http.get(_url(sandbox)).json() == STRICT.snapshot()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"nope": 1}, "unknown strictness field 'nope'"),
        ({"replication": 1}, "replication must be true or false"),
        ({"secret_delay_seconds": -1}, "secret_delay_seconds must be a number >= 0"),
        ({"secret_delay_seconds": True}, "secret_delay_seconds must be a number >= 0"),
        ([1], "send a JSON object"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    sandbox: SandboxHandle, body: object, error: str
) -> None:
    r = sandbox.http.post(_url(sandbox), json=body)
    assert r.status_code == 400 and error in r.json()["error"]
    assert sandbox.http.get(_url(sandbox)).json() == STRICT.snapshot()


def test_kind_turns_every_unkindness_off() -> None:
    assert KIND.snapshot() == {
        "secret_delay_seconds": 0.0,
        "replication": False,
        "throttling": False,
        "licensing_seconds": 0.0,
    }
    assert all(v for v in STRICT.snapshot().values())
