"""Which of Entra's refusals, as Exchange reports them, mean "the new key is still propagating"
(wait) and which never get better (fail at once): t2t/apply/executors/propagation.py."""

from __future__ import annotations

import pytest

from t2t.apply.executors.propagation import KEY_PROPAGATING

NOT_FOUND = (
    "MigrationServerConnectionFailedException: … AADSTS700027: The certificate with identifier "
    "used to sign the client assertion is not registered on application. [Reason - The key was "
    "not found., Thumbprint of key used by client: 'AB12…']"
)
NOT_YET = "… AADSTS700024: Client assertion is not within its valid time range."
EXPIRED = (
    "… AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is "
    "expired., Thumbprint of key used by client: 'AB12…', Found key 'Start=…, End=…']"
)
OTHER = "… AADSTS7000215: Invalid client secret provided."


@pytest.mark.parametrize(
    ("answer", "waits"),
    [(NOT_FOUND, True), (NOT_YET, True), (EXPIRED, False), (OTHER, False)],
    ids=["key not found yet", "key not valid yet", "key expired", "another refusal"],
)
def test_only_a_key_not_found_or_not_yet_valid_is_waited_for(answer: str, waits: bool) -> None:
    assert (KEY_PROPAGATING.search(answer) is not None) is waits
