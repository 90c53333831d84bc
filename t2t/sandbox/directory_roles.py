"""Entra directory roles the sandbox knows, by name and template id.

Why: app-only Exchange administration takes its RBAC from the directory roles in the token
("The session's RBAC is configured using the directory role information that's available in
the token", MicrosoftDocs/office-docs-powershell
``exchange/docs-conceptual/app-only-auth-powershell-v2.md``), and Entra carries a principal's
directory roles as their template ids in the ``wids`` claim
(https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference). Template
ids are Microsoft's fixed values
(https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
"""

from __future__ import annotations

EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"

TEMPLATE_IDS: dict[str, str] = {
    "Exchange Administrator": EXCHANGE_ADMINISTRATOR,
    "Global Administrator": GLOBAL_ADMINISTRATOR,
    "Global Reader": GLOBAL_READER,
}
"""Role display name → role template id."""


def template_id(role: str) -> str | None:
    """A known role's template id, given its display name (any case) or its template id."""
    low = role.strip().lower()
    for name, tid in TEMPLATE_IDS.items():
        if low in (name.lower(), tid):
            return tid
    return None
