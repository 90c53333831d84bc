"""Which AppSecretKeyVaultUrl names the certificate version the spec wants
(t2t/planner/endpoint.py `same_vault_url`): Exchange's form may carry `:443` and a trailing
slash, case does not count — and otherwise the whole URL does; and which vault it names
(`vault_of`), with or without its scheme and port."""

from __future__ import annotations

from t2t.planner.endpoint import same_vault_url, vault_of

KV = "https://kv-t2t.vault.azure.net/certificates/t2t-endpoint/0123456789abcdef0123456789abcdef"


def test_exchange_form_names_the_same_version() -> None:
    exchange = (
        " https://KV-T2T.vault.azure.net:443/certificates/T2T-endpoint/"
        "0123456789abcdef0123456789abcdef/ "
    )
    assert same_vault_url(exchange, KV)
    assert same_vault_url(KV + "/", KV)


def test_another_certificate_or_version_is_not_the_same() -> None:
    assert not same_vault_url(KV[:-1] + "e", KV)
    assert not same_vault_url(KV.replace("0123456789abcdef", "", 1), KV)
    # the name is compared whole: a certificate whose name only adds a trailing X is another
    assert not same_vault_url(
        "https://kv-t2t.vault.azure.net/certificates/T2TX",
        "https://kv-t2t.vault.azure.net/certificates/T2T",
    )


def test_vault_of_names_the_host() -> None:
    assert (
        vault_of("https://KV-T2T.vault.azure.net:443/certificates/c/v") == "kv-t2t.vault.azure.net"
    )
    assert vault_of(KV) == "kv-t2t.vault.azure.net"
    assert vault_of("kv-t2t.vault.azure.net/certificates/c") == "kv-t2t.vault.azure.net"
