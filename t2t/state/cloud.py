"""Which Microsoft cloud a tenant lives in, as its identity platform metadata says.

Why: "Cross cloud tenant to tenant migration is not supported. An example scenario would be
moving from Office 365 Worldwide to Office 365 Government Cloud." (Learn, Cross-tenant mailbox
migration, FAQ "Can I perform a cross cloud tenant to tenant migration?"), and the migration
endpoint's RemoteServer is the Exchange Online host of the source's cloud ("Depending on the
Microsoft 365 cloud instance you use, your endpoint may be different", the same page's NOTE
under "Prepare the target tenant by creating the Exchange Online migration endpoint").

The tenant's OpenID configuration (`GET {login}/{tenant}/v2.0/.well-known/openid-configuration`,
the document MSAL reads at sign-in) carries `cloud_instance_name` (`microsoftonline.com`,
`microsoftonline.us`, `partner.microsoftonline.cn`), `tenant_region_scope` and, for government
tenants, `tenant_region_sub_scope` (`GCC` in the worldwide cloud, `DODCON` for GCC High, `DOD`
for DoD). Microsoft documents the fields' names in its discovery document but not their
values; the values are those public lookups of known tenants report (wire-protocols.md §3.1
lists the fields; the names of the clouds below are t2t's).
"""

from __future__ import annotations

from dataclasses import dataclass

WORLDWIDE = "worldwide"
GCC_HIGH = "usgov-gcchigh"
DOD = "usgov-dod"
CHINA = "china-21vianet"


@dataclass(frozen=True)
class TenantCloud:
    """A tenant's cloud, from its OpenID configuration."""

    instance: str
    """cloud_instance_name."""
    region_scope: str | None = None
    """tenant_region_scope (NA, EU, USGov, …)."""
    region_sub_scope: str | None = None
    """tenant_region_sub_scope (GCC, DODCON, DOD), when the document has one."""

    @property
    def name(self) -> str:
        """worldwide (GCC included: it runs in the worldwide cloud, the Microsoft 365 endpoints
        page "Worldwide (including GCC)"), usgov-gcchigh, usgov-dod, china-21vianet, or the
        instance name itself when t2t knows no other."""
        instance = self.instance.lower()
        if instance == "microsoftonline.com":
            return WORLDWIDE
        if instance == "microsoftonline.us":
            return DOD if (self.region_sub_scope or "").upper() == "DOD" else GCC_HIGH
        if instance == "partner.microsoftonline.cn":
            return CHINA
        return instance
