"""The sandbox's module key refuses every value made under another key — always, not most of
the time: OpenSSL's implicit rejection (3.2+) answers a wrong PKCS#1 v1.5 padding with a
synthetic message, which one time in a few hundred decoded as text and was taken for the
value (a flaky `foreign-key` case in test_strict_wire.py). .NET throws for each of them."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from t2t.clients import wire
from t2t.sandbox.exchange.module_key import ModuleKey


def test_values_encrypted_under_another_key_are_all_refused(tmp_path: Path) -> None:
    key = ModuleKey(tmp_path)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    values = [wire.encrypt(other, wire.secure_string(f"Pa55-word-{i}")) for i in range(1000)]
    assert [v for v in values if key.decrypt(v) is not None] == []


def test_values_encrypted_under_its_key_decrypt_whole(tmp_path: Path) -> None:
    key = ModuleKey(tmp_path)
    mine = wire.public_key_from_module(f"$PublicKey = '{key.rsa_key_value()}'")
    for text in ("", "a", "Pa55-word", "é" * 100, '{"UserName":"u","Password":"p"}'):
        assert key.decrypt(wire.encrypt(mine, wire.secure_string(text))) == text


def _raw(key: ModuleKey, encoded: bytes) -> str:
    """`encoded` (the whole block, RFC 8017's EM) encrypted without any padding of its own."""
    numbers = wire.public_key_from_module(f"$PublicKey = '{key.rsa_key_value()}'").public_numbers()
    c = pow(int.from_bytes(encoded, "big"), numbers.e, numbers.n)
    return base64.b64encode(c.to_bytes(256, "big")).decode()


def test_the_padding_is_checked_as_rfc_8017_says(tmp_path: Path) -> None:
    """EM = 0x00 || 0x02 || PS (at least 8 non-zero octets) || 0x00 || M; anything else is
    refused, whatever M is."""
    key = ModuleKey(tmp_path)
    message = b"Pa55-word"

    def block(head: bytes, ps_length: int) -> bytes:
        return head + b"\x07" * ps_length + b"\x00" + message.rjust(256 - 3 - ps_length, b"x")

    assert key.decrypt(_raw(key, block(b"\x00\x02", 8))) == "x" * 236 + "Pa55-word"
    assert key.decrypt(_raw(key, block(b"\x00\x02", 7))) is None  # PS too short
    assert key.decrypt(_raw(key, block(b"\x00\x01", 8))) is None  # a signature's block type
    assert key.decrypt(_raw(key, b"\x00\x02" + b"\x07" * 254)) is None  # no separator


def test_a_value_of_the_wrong_length_or_not_base64_is_refused(tmp_path: Path) -> None:
    key = ModuleKey(tmp_path)
    mine = wire.public_key_from_module(f"$PublicKey = '{key.rsa_key_value()}'")
    good = wire.encrypt(mine, wire.secure_string("Pa55-word"))
    assert key.decrypt(good[:-4]) is None and key.decrypt("not base64!") is None
