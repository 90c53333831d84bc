"""The sandbox's own key for the Exchange module's sensitive-parameter encryption.

Why: Microsoft's ExchangeOnlineManagement module never sends a ``PSCredential`` or a
``SecureString`` in plain text. The proxy module it downloads at connect time (``GET
/adminapi/v1.0/{tenant}/EXOModuleFile``) ends with ``$PublicKey = '<RSAKeyValue>…'``, and
its ``Encrypt-Value`` encrypts the UTF-8 text with ``RSACryptoServiceProvider.Encrypt(bytes,
$false)`` — RSA with PKCS#1 v1.5 padding — and sends the base64 of the ciphertext as the
parameter's string value (module dump in ``Calvindd2f/EXO_PROJECT``,
``.idea/full_modoule_dump.ps1``: ``Encrypt-Value``, the last lines for ``$PublicKey``, the
proxies of ``New-MigrationEndpoint`` and ``New-MailUser``). A credential is the compact JSON
``{"UserName":…,"Password":…}`` (``select UserName, @{Name='Password';…} | ConvertTo-Json
-Compress``). The sandbox hands out a key of its own the same way and decrypts with it.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from t2t.sandbox.ca import persistent_rsa_key

KEY_FILE = "exo-module-key.pem"


def _b64_uint(value: int) -> str:
    return base64.b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode("ascii")


class ModuleKey:
    """One RSA key per sandbox state directory (Microsoft's is one per module build)."""

    def __init__(self, state_dir: Path) -> None:
        path = state_dir / KEY_FILE
        self._key = persistent_rsa_key(path)

    def rsa_key_value(self) -> str:
        """The public key as .NET's ``RSA.ToXmlString($false)`` writes it (what the module
        embeds and ``RSA.FromXmlString`` reads)."""
        numbers = self._key.public_key().public_numbers()
        return (
            f"<RSAKeyValue><Modulus>{_b64_uint(numbers.n)}</Modulus>"
            f"<Exponent>{_b64_uint(numbers.e)}</Exponent></RSAKeyValue>"
        )

    def decrypt(self, value: str) -> str | None:
        """The plain text of a value ``Encrypt-Value`` produced under this key, else None.

        The padding is checked here, by RFC 8017 §7.2.2 (EM = 0x00 || 0x02 || PS of at least
        eight non-zero octets || 0x00 || M), not left to OpenSSL: since 3.2 OpenSSL answers a
        PKCS#1 v1.5 ciphertext whose padding is wrong — one made under another key — with a
        synthetic message instead of an error (implicit rejection, the Marvin attack
        mitigation), which now and then decodes as text. .NET's ``RSA.Decrypt(…,
        RSAEncryptionPadding.Pkcs1)`` throws ``CryptographicException`` for it: so does the
        sandbox, always."""
        try:
            cipher = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        private = self._key.private_numbers()
        n = private.public_numbers.n
        size = (n.bit_length() + 7) // 8
        c = int.from_bytes(cipher, "big")
        if len(cipher) != size or c >= n:
            return None
        # RSA decryption by the Chinese remainder theorem (RFC 8017 §5.1.2, second form)
        m1 = pow(c, private.dmp1, private.p)
        m2 = pow(c, private.dmq1, private.q)
        m = m2 + private.q * ((private.iqmp * (m1 - m2)) % private.p)
        encoded = m.to_bytes(size, "big")
        separator = encoded.find(b"\x00", 2)
        if encoded[:2] != b"\x00\x02" or separator < 10:
            return None
        try:
            return encoded[separator + 1 :].decode("utf-8")
        except UnicodeDecodeError:
            return None
