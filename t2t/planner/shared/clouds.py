"""The Microsoft cloud of each tenant, and the RemoteServer a migration endpoint names in it.

The endpoint's RemoteServer is the source's Exchange Online host: Learn's example names
`outlook.office.com` and adds "Depending on the Microsoft 365 cloud instance you use, your
endpoint may be different. See the Microsoft 365 endpoints page; select the correct instance for
your tenant; then review the Exchange Online Optimize/Required address" (Cross-tenant mailbox
migration, the NOTE under "Prepare the target tenant by creating the Exchange Online migration
endpoint"). Those pages' Exchange Online row 1 (Optimize, Required): worldwide "including GCC"
`outlook.office.com, outlook.office365.com` (Learn's example takes the first), GCC High
`outlook.office365.us` (microsoft-365-u-s-government-gcc-high-endpoints), DoD
`outlook-dod.office365.us, webmail.apps.mil` (microsoft-365-u-s-government-dod-endpoints).
Microsoft's older cross-tenant scripts named `dod-outlook.office365.us` for DoD (microsoft-t2t.md
§2); the endpoints page is the one Learn points to, so t2t follows it (README, open questions).
Used by the clouds domain (T2T-E113) and the endpoint domain (its RemoteServer).
"""

from __future__ import annotations

from t2t.state import Fact
from t2t.state.cloud import DOD, GCC_HIGH, WORLDWIDE, TenantCloud

#: The Exchange Online host a migration endpoint names as RemoteServer, per cloud (above).
REMOTE_SERVERS = {
    WORLDWIDE: "outlook.office.com",
    GCC_HIGH: "outlook.office365.us",
    DOD: "outlook-dod.office365.us",
}


def cloud_of(fact: Fact[tuple[TenantCloud, ...]] | None) -> TenantCloud | None:
    """The tenant's cloud, when its part was read and named one."""
    if fact is None or fact.status != "present":
        return None
    return next(iter(fact.get()), None)


def remote_server(source: TenantCloud | None) -> str:
    """The RemoteServer of the endpoint that reaches this source (worldwide when the source's
    cloud is not known: the default t2t always had; T2T-E113 blocks a cloud without a host)."""
    return REMOTE_SERVERS.get(source.name if source else WORLDWIDE, REMOTE_SERVERS[WORLDWIDE])
