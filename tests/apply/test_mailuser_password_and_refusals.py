"""`mailuser.create`'s generated password and the MailUser executors' refusals on the re-read,
against the sandbox over HTTPS (issue 11's survivors of t2t/apply/executors/mailuser.py).

The password must pass Entra's rule for a cloud user (Learn, "Microsoft Entra password
policies": 8-256 characters, three of four classes, no Unicode); the executor promises more
(24 characters, every class), sends it as the module does (an encrypted SecureString under
-Password) and registers it with the log scrubber before sending."""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from t2t.apply import ApplyContext
from t2t.apply.executors.mailuser import (
    generate_password,
    run_mailuser_create,
    run_mailuser_identity,
)
from t2t.apply.result import ActionResult
from t2t.logs import REDACTED, scrub
from t2t.planner import Action
from t2t.sandbox.exchange.module_key import ModuleKey
from tests.apply.test_mailuser_create_bulk_rereads import _create, _desire, _run_all
from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import ok
from tests.sandbox.module_forms import secure

SYMBOLS = set("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")
"""The symbols Entra allows in a password (Learn, "Microsoft Entra password policies")."""

DRAWS = 1000
"""Each draw lacks some class with probability ~7 %: a check that let one class go would
return such a password within a thousand draws all but surely (1 - 0.93**1000)."""


def _classes(value: str) -> set[str]:
    return {
        name
        for name, test in (
            ("lower", str.islower),
            ("upper", str.isupper),
            ("digit", str.isdigit),
            ("symbol", SYMBOLS.__contains__),
        )
        if any(test(c) for c in value)
    }


def _meets_the_promise(value: str) -> bool:
    """24 characters Entra allows, of every class (the docstring's promise)."""
    allowed = set(string.ascii_letters + string.digits) | SYMBOLS
    return len(value) == 24 and set(value) <= allowed and len(_classes(value)) == 4


def test_every_generated_password_has_24_allowed_characters_of_every_class() -> None:
    drawn = [generate_password() for _ in range(DRAWS)]
    assert [p for p in drawn if not _meets_the_promise(p)] == []
    assert len(set(drawn)) == DRAWS  # random: no two alike


def test_generated_password_characters_are_equally_likely() -> None:
    """The password's strength is 24 uniform draws from its alphabet: no character is drawn
    twice as often as a fair share (over 7,200 characters each gets ~100 ± 10; a character
    listed three times would get ~290)."""
    counts = Counter("".join(generate_password() for _ in range(300)))
    fair = sum(counts.values()) / len(counts)
    assert len(counts) == 71
    assert {c: n for c, n in counts.items() if n > 2 * fair} == {}


def _run(
    sandbox: SandboxHandle,
    executor: Callable[[Action, ApplyContext], Awaitable[ActionResult]],
    action: Action,
) -> ActionResult:
    [result] = _run_all(sandbox, [action], executor)
    return result


def _requests(sandbox: SandboxHandle, cmdlet: str) -> list[dict[str, Any]]:
    r = sandbox.http.get(f"{sandbox.base_url}/_sandbox/exchange/requests?cmdlet={cmdlet}")
    r.raise_for_status()
    out: list[dict[str, Any]] = r.json()["requests"]
    return out


def test_new_mailuser_sends_its_password_encrypted_as_password_and_masks_it(
    sandbox: SandboxHandle,
) -> None:
    """Exactly what the module's New-MailUser proxy sends: -Password (its declared name) as a
    SecureString encrypted under the module key; the plain text, registered before sending,
    is masked in every log line and report message."""
    d = _desire("nora")
    result = _run(sandbox, run_mailuser_create, _create(d))
    assert (result.status, result.message) == ("done", "New-MailUser verified")
    [sent] = _requests(sandbox, "New-MailUser")
    params = sent["cmdletInput"]["Parameters"]
    assert "Password" in params
    plain = ModuleKey(sandbox.server.state_dir).decrypt(params["Password"])
    assert plain is not None and _meets_the_promise(plain)
    assert plain not in str(sent)
    assert scrub(f"New-MailUser -Password {plain}") == f"New-MailUser -Password {REDACTED}"


def test_a_dir_synced_object_missing_the_move_attributes_found_at_create_fails_blocked(
    sandbox: SandboxHandle,
) -> None:
    """The plan saw Johanna's target absent; the re-read finds the seeded on-premises-synced
    MailUser without the source's ExchangeGuid (T2T-E311): nothing is written, and the
    action fails naming the block, not 'already as desired'."""
    d = _desire("johanna")
    result = _run(sandbox, run_mailuser_create, _create(d))
    assert (result.status, result.message) == (
        "failed",
        "blocked by T2T-E311 (re-read just now)",
    )
    assert _requests(sandbox, "New-MailUser") == []
    assert _requests(sandbox, "Set-MailUser") == []


def test_an_identity_blocked_twice_on_the_re_read_names_both_codes(
    sandbox: SandboxHandle,
) -> None:
    """Since the plan, Pia's MailUser got another ExternalEmailAddress (T2T-E313) and an
    archive the source lacks (T2T-E316): the set-identity re-read refuses, naming both."""
    d = _desire("pia")
    ok(
        sandbox,
        "fabrikam",
        "New-MailUser",
        {
            "Name": "pia",
            "MicrosoftOnlineServicesID": d.upn,
            "Password": secure(sandbox, "Pa55word!x"),
            "PrimarySmtpAddress": d.target,
            "ExternalEmailAddress": "pia@elsewhere.example",
        },
    )
    archive = "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    ok(sandbox, "fabrikam", "Set-MailUser", {"Identity": d.target, "ArchiveGuid": archive})
    sandbox.http.delete(f"{sandbox.base_url}/_sandbox/exchange/requests").raise_for_status()
    action = Action(
        id=f"target:mailuser.set_identity:{d.key}",
        tenant="target",
        kind="mailuser.set_identity",
        key=d.key,
        operation="update",
        cmdlet="Set-MailUser",
        parameters={},
        desired=d.to_dict(),
        observed={"PrimarySmtpAddress": d.target},
        fingerprint="x",
    )
    result = _run(sandbox, run_mailuser_identity, action)
    assert (result.status, result.message) == (
        "failed",
        "blocked by T2T-E313, T2T-E316 (re-read just now)",
    )
    assert _requests(sandbox, "Set-MailUser") == []
