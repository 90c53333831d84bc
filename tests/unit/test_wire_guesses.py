"""Every wire guess the planner flags is listed in clients/wire.py, and the confirmed encodings
are exactly the module's (sources in wire.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from t2t.clients import wire
from t2t.planner import relationships


def test_planner_flags_refer_to_listed_guesses() -> None:
    from t2t.planner import endpoint
    from t2t.planner.batches import domain as batches
    from t2t.planner.mailboxes import domain as mailboxes

    assert relationships.WIRE_CAPABILITY in wire.GUESSES
    assert mailboxes.WIRE_STAMP in wire.GUESSES
    assert set(endpoint.WIRE) <= set(wire.GUESSES)
    assert set(batches.WIRE_CREATE) <= set(wire.GUESSES)


def test_every_guess_says_what_it_assumes_and_why() -> None:
    for guess in wire.GUESSES.values():
        assert guess.what and guess.assumption and guess.why


def test_no_confirmed_encoding_is_still_listed_as_a_guess() -> None:
    guessed = " ".join(g.what for g in wire.GUESSES.values())
    for confirmed in ("PSCredential", "SecureString", "byte[]"):
        assert confirmed not in guessed


def test_encodings() -> None:
    assert wire.capability(["Inbound", "RemoteOutbound"]) == "Inbound, RemoteOutbound"
    assert wire.csv_data("EmailAddress\nA@x.com\n") == {
        "@odata.type": "#Exchange.ByteArrayType",
        "Data": list(b"EmailAddress\nA@x.com\n"),
    }
    when = dt.datetime(2026, 12, 5, 23, 0, 7, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert wire.datetime_value(when) == "2026-12-05T22:00:07"
    assert wire.add_remove(add=["x500:/o=a"]) == {
        "@odata.type": "#Exchange.GenericHashTable",
        "add": ["x500:/o=a"],
    }


def test_prepare_adds_what_the_module_would_and_keeps_what_is_given() -> None:
    assert wire.prepare("Complete-MigrationBatch", {"Identity": "w"}) == {
        "Identity": "w",
        "Confirm": False,
    }
    assert wire.prepare("Get-Mailbox", {}) == {"ResultSize": "Unlimited"}
    assert wire.prepare("get-mailbox", {"ResultSize": 5}) == {"ResultSize": 5}
    assert wire.prepare("Get-MigrationEndpoint", {}) == {}  # declares no ResultSize
    assert wire.prepare("New-MailUser", {"Name": "n"}) == {"Name": "n"}
    assert wire.prepare("Stop-MigrationBatch", {"Identity": "w"})["Confirm"] is False


def test_high_impact_cmdlets_are_the_ones_the_sandbox_would_prompt_for() -> None:
    """Both lists come from the module's ConfirmImpact='High' declarations; a cmdlet missing
    from the client's would be refused by the strict sandbox (and prompt in real PowerShell)."""
    from t2t.sandbox.exchange.confirm import HIGH_IMPACT as sandbox_high

    assert set(sandbox_high) >= wire.HIGH_IMPACT


def _xml(key: rsa.RSAPrivateKey) -> str:
    n = key.public_key().public_numbers()

    def b64(v: int) -> str:
        return base64.b64encode(v.to_bytes((v.bit_length() + 7) // 8, "big")).decode()

    return (
        f"<RSAKeyValue><Modulus>{b64(n.n)}</Modulus><Exponent>{b64(n.e)}</Exponent></RSAKeyValue>"
    )


def test_credential_is_the_modules_compact_json_encrypted_with_pkcs1_v15() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    module = f"$HelpFileNames = @()\n$PublicKey = '{_xml(key)}'\nExport-ModuleMember\n"
    public = wire.public_key_from_module(module)
    value = wire.credential("app-id", "s3cr~t")
    assert "s3cr~t" not in repr(value)
    sent = wire.encrypt(public, value)
    assert "s3cr~t" not in sent
    plain = key.decrypt(base64.b64decode(sent), padding.PKCS1v15())
    assert plain == b'{"UserName":"app-id","Password":"s3cr~t"}'
    assert json.loads(plain) == {"UserName": "app-id", "Password": "s3cr~t"}
    password = wire.encrypt(public, wire.secure_string("Pa55!word"))
    assert key.decrypt(base64.b64decode(password), padding.PKCS1v15()) == b"Pa55!word"


def test_a_module_without_a_key_or_with_a_weak_one_is_refused() -> None:
    with pytest.raises(wire.NoModuleKey, match="no <RSAKeyValue>"):
        wire.public_key_from_module("Export-ModuleMember -Function @()")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(wire.NoModuleKey, match="too weak"):
        wire.public_key_from_module(_xml(weak))
