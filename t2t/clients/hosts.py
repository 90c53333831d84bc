"""Where each Microsoft service lives, per cloud, and the one sandbox profile.

The sandbox differs from production only by host names, the CA and instance discovery
(DESIGN.md, "The sandbox"); which CAs each host set trusts is trust.py's decision. Token
audiences stay Microsoft's resource identifiers in every case, as azure-mgmt does for ARM
(wire-protocols.md §4).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from t2t.clients.errors import ProfileError
from t2t.clients.trust import Trust, trust_for

EXCHANGE_RESOURCE = "https://outlook.office365.com"
GRAPH_RESOURCE = "https://graph.microsoft.com"
#: ARM's token audience in the worldwide cloud: azure-mgmt's default `credential_scopes`, which
#: do not follow `base_url` (wire-protocols.md §4), so the sandbox keeps it too.
ARM_RESOURCE = "https://management.azure.com"

#: A vault URI as ARM's `properties.vaultUri` gives it: https://{name}.vault.azure.net/ (or a
#: national cloud's vault suffix). Vault names: 3-24 letters, digits and hyphens ("Key Vault
#: naming", learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates).
_VAULT_HOST = re.compile(r"^([a-z0-9-]{3,24})\.vault\.", re.IGNORECASE)


@dataclass(frozen=True)
class HostSet:
    """Base URLs of the services t2t talks to, and how to trust them."""

    name: str
    login: str
    graph: str
    exchange: str
    arm: str
    """Azure Resource Manager (keyVaultCertificate mode): azure-mgmt's `base_url`."""
    exchange_resource: str = EXCHANGE_RESOURCE
    graph_resource: str = GRAPH_RESOURCE
    arm_resource: str = ARM_RESOURCE
    key_vault: str | None = None
    """The sandbox only: where it serves a vault's data plane, a template with `{name}`
    (profile.json `endpoints.keyVault`). None: connect to the vault URI itself."""
    ca_file: Path | None = None
    """The sandbox's CA: trusted alone, instead of the public roots."""
    ca_bundle: Path | None = None
    """An operator's CA bundle (`--ca-bundle`): trusted beside the public roots."""
    instance_discovery: bool = True

    @property
    def is_sandbox(self) -> bool:
        return self.name == "sandbox"

    @property
    def trust(self) -> Trust:
        return trust_for(self.ca_file, self.ca_bundle)

    def vault_endpoint(self, vault_uri: str) -> str:
        """Where t2t connects to the vault whose URI ARM gives (`properties.vaultUri`):
        Microsoft's cloud, the URI itself; the sandbox, its `keyVault` template for that
        vault's name (the data it returns keeps Microsoft's URIs)."""
        if self.key_vault is None:
            return vault_uri
        parts = urlsplit(vault_uri)
        found = _VAULT_HOST.match(parts.hostname or "")
        if parts.scheme != "https" or found is None:
            raise ProfileError(f"{vault_uri!r} is not a Key Vault URI (https://NAME.vault.…/)")
        return self.key_vault.replace("{name}", found.group(1).lower()).rstrip("/")


#: Microsoft's worldwide cloud (wire-protocols.md §1.2, §2, §3). ARM per cloud: "Compare Azure
#: Government and global Azure", Guidance for developers, endpoint mapping (Azure Resource
#: Manager management.azure.com → management.usgovcloudapi.net;
#: learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure), as the
#: Azure SDKs' cloud settings hold it (azure-sdk-for-js cloudSettingHelpers.ts `getArmEndpoint`).
GLOBAL = HostSet(
    name="global",
    login="https://login.microsoftonline.com",
    graph="https://graph.microsoft.com/v1.0",
    exchange="https://outlook.office365.com/adminapi/beta",
    arm="https://management.azure.com",
)

#: GCC High (microsoft-t2t.md §2; wire-protocols.md §1.6).
USGOV = HostSet(
    name="usgov",
    login="https://login.microsoftonline.us",
    graph="https://graph.microsoft.us/v1.0",
    exchange="https://outlook.office365.us/adminapi/beta",
    arm="https://management.usgovcloudapi.net",
    exchange_resource="https://outlook.office365.us",
    graph_resource="https://graph.microsoft.us",
    arm_resource="https://management.usgovcloudapi.net",
)

#: DoD. The admin API host is outlook-dod.office365.us per ScubaGear; the migration scripts use
#: dod-outlook.office365.us as RemoteServer (open question, wire-protocols.md §7.7).
DOD = HostSet(
    name="dod",
    login="https://login.microsoftonline.us",
    graph="https://dod-graph.microsoft.us/v1.0",
    exchange="https://outlook-dod.office365.us/adminapi/beta",
    arm="https://management.usgovcloudapi.net",
    exchange_resource="https://outlook-dod.office365.us",
    graph_resource="https://dod-graph.microsoft.us",
    arm_resource="https://management.usgovcloudapi.net",
)

CLOUDS = {h.name: h for h in (GLOBAL, USGOV, DOD)}


def sandbox_hosts(profile: dict[str, Any]) -> HostSet:
    """The host set of a running sandbox, from its profile.json."""
    try:
        endpoints = profile["endpoints"]
        return HostSet(
            name="sandbox",
            login=str(endpoints["login"]).rstrip("/"),
            graph=str(endpoints["graph"]).rstrip("/"),
            exchange=str(endpoints["exchange"]).rstrip("/"),
            arm=str(endpoints.get("arm") or profile["baseUrl"]).rstrip("/"),
            key_vault=str(
                endpoints.get("keyVault")
                or f"{str(profile['baseUrl']).rstrip('/')}/keyvault/{{name}}"
            ),
            ca_file=Path(profile["caFile"]),
            instance_discovery=False,
        )
    except (KeyError, TypeError) as exc:
        raise ProfileError(f"sandbox profile lacks {exc}") from exc


def load_profile(path: Path) -> dict[str, Any]:
    """Read a sandbox profile.json, with a clear error when it is missing or malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(
            f"{path}: no sandbox profile here (start one: t2t sandbox serve)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{path}: unreadable sandbox profile: {exc}") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a sandbox profile is a JSON object")
    return data
