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

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.asymmetric import padding

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
        """The plain text of a value ``Encrypt-Value`` produced under this key, else None."""
        try:
            cipher = base64.b64decode(value, validate=True)
            plain = self._key.decrypt(cipher, padding.PKCS1v15())
            return plain.decode("utf-8")
        except (binascii.Error, ValueError, InvalidKey, UnicodeDecodeError):
            return None
