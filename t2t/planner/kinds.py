"""Every kind of action a plan can hold: one `ActionKind` each, named once.

From this registry come the apply half of the permission manifest (`needed_to_apply`), the
runner's per-service slots (`ActionKind.service`), the PowerShell rendering's split between
pasteable cmdlets and commented steps (`ActionKind.powershell`), the highest risk an action of
the kind may carry (checked by `build_plan`), and — in t2t/apply/executors — the executor
table, which is checked complete at import. A domain or executor naming a kind that does not
exist fails at import with an AttributeError on this module.

Why here and not beside the executors: a plan lists the permissions apply will need and its
risks without importing the applier (the planner is pure and sits below apply in the layers
contract); the executors register against these objects (`@executes(K.ORGREL_CREATE, ...)`).

Permission sources: Graph permission names from each API's reference page ("Permissions"
section); Exchange RBAC from microsoft-t2t.md §1 (only Organization Management may set
-MailboxMoveCapability) and wire-protocols.md §1.1 (Exchange.ManageAsApp for app-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from t2t.state.permissions import (
    EXCHANGE_WRITE,
    Permission,
    Service,
    arm,
    graph,
    key_vault,
    union,
)

Risk = Literal["safe", "disruptive", "destructive"]
RISK_ORDER: dict[Risk, int] = {"safe": 0, "disruptive": 1, "destructive": 2}


@dataclass(frozen=True)
class ActionKind:
    """One kind of step: what it is called, which API bounds it, how risky it may be, and
    what t2t's identity needs to run it (on top of the reads its executor re-does)."""

    name: str
    service: Service
    """The API whose write the step is (its runner slots are that tenant's for the API)."""
    risk: Risk
    """The highest risk the planner may give an action of this kind."""
    permissions: tuple[Permission, ...]
    powershell: bool = True
    """The plan's `cmdlet` is a cmdlet an administrator can paste (Exchange Online's or
    Microsoft Graph PowerShell's); otherwise the rendering writes it as a comment."""

    def __str__(self) -> str:
        return self.name


_APP_WRITE = graph("Application.ReadWrite.All")
_USER_WRITE = graph("User.ReadWrite.All")

ORGREL_CREATE = ActionKind("orgrel.create", "exchange", "safe", EXCHANGE_WRITE)
#: Disruptive when it removes a value (a wrong tenant id in DomainNames, another app's id).
ORGREL_UPDATE = ActionKind("orgrel.update", "exchange", "disruptive", EXCHANGE_WRITE)
ORG_ENABLE_CUSTOMIZATION = ActionKind(
    "org.enable_customization", "exchange", "safe", EXCHANGE_WRITE
)
# Organization-level setup. Graph: application-upsert.md / application-update.md and
# addPassword/removePassword (Application.ReadWrite.OwnedBy suffices for apps t2t owns; All is
# listed because adopting needs it), serviceprincipal-post-serviceprincipals.md,
# serviceprincipal-post-approleassignedto.md, invitation-post.md. Exchange: the Organization
# Management role group holds Distribution Groups, Migration and Enable-OrganizationCustomization.
APP_CREATE = ActionKind("app.create", "graph", "safe", (_APP_WRITE,), powershell=False)
APP_UPDATE = ActionKind("app.update", "graph", "safe", (_APP_WRITE,), powershell=False)
CONSENT_GRANT = ActionKind(
    "consent.grant",
    "graph",
    "safe",
    (_APP_WRITE, graph("AppRoleAssignment.ReadWrite.All")),
    powershell=False,
)
#: A person consents in the source (the admin-consent URL); t2t only waits for the grant.
CONSENT_AWAIT = ActionKind("consent.await", "graph", "safe", (), powershell=False)
INVITATION_SEND = ActionKind(
    "invitation.send", "graph", "safe", (graph("User.Invite.All"),), powershell=False
)
GROUP_CREATE = ActionKind("group.create", "exchange", "safe", EXCHANGE_WRITE)
GROUP_ADD_MEMBERS = ActionKind("group.add_members", "exchange", "safe", EXCHANGE_WRITE)
#: The endpoint's secret is made in Graph (addPassword) and handed to Exchange.
ENDPOINT_CREATE = ActionKind(
    "endpoint.create", "exchange", "safe", union(EXCHANGE_WRITE, (_APP_WRITE,))
)
ENDPOINT_UPDATE = ActionKind(
    "endpoint.update", "exchange", "disruptive", union(EXCHANGE_WRITE, (_APP_WRITE,))
)
# New-/Set-MailUser: Mail Recipient Creation / Mail Recipients roles, both in Organization
# Management (Set-MailUser -ExchangeGuid may be trimmed by RBAC: microsoft-t2t.md §12.5).
MAILUSER_CREATE = ActionKind("mailuser.create", "exchange", "safe", EXCHANGE_WRITE)
#: Disruptive when it replaces an ExchangeGuid or ArchiveGuid already stamped.
MAILUSER_SET_IDENTITY = ActionKind(
    "mailuser.set_identity", "exchange", "disruptive", EXCHANGE_WRITE
)
#: Set-MailUser -EnableLitigationHoldForMigration: the target's Recoverable Items quota to
#: 100 GB for a move (T2T-E306); it also puts the MailUser on Litigation Hold (reference).
MAILUSER_HOLD_FOR_MIGRATION = ActionKind(
    "mailuser.hold_for_migration", "exchange", "safe", EXCHANGE_WRITE
)
# Graph user-update.md and user-assignlicense.md: User.ReadWrite.All (application).
USER_USAGE_LOCATION = ActionKind("user.usage_location", "graph", "safe", (_USER_WRITE,))
LICENSE_ASSIGN = ActionKind("license.assign", "graph", "safe", (_USER_WRITE,))
# New-/Start-/Complete-/Set-MigrationBatch and Remove-MigrationUser: the Migration role, in
# Organization Management. Every batch step moves or cuts over mailboxes: disruptive.
BATCH_CREATE = ActionKind("batch.create", "exchange", "disruptive", EXCHANGE_WRITE)
BATCH_START = ActionKind("batch.start", "exchange", "disruptive", EXCHANGE_WRITE)
BATCH_COMPLETE = ActionKind("batch.complete", "exchange", "disruptive", EXCHANGE_WRITE)
BATCH_SET_COMPLETE_AFTER = ActionKind(
    "batch.set_complete_after", "exchange", "disruptive", EXCHANGE_WRITE
)
BATCH_REMOVE_USER = ActionKind("batch.remove_user", "exchange", "disruptive", EXCHANGE_WRITE)
#: Remove-MigrationBatch: a wave's batch on an endpoint that points at the wrong tenant, none of
#: whose users completed, removed so its users move to a batch on the replacement (T2T-E232).
#: Disruptive, not destructive: the move is started again, nothing is deleted from a mailbox.
BATCH_REMOVE = ActionKind("batch.remove", "exchange", "disruptive", EXCHANGE_WRITE)
#: Remove-MigrationEndpoint: the replaced endpoint, once no batch uses it, only with
#: --allow-destroy (Migration role, in Organization Management).
ENDPOINT_REMOVE = ActionKind("endpoint.remove", "exchange", "destructive", EXCHANGE_WRITE)

# keyVaultCertificate mode (the target's Azure subscription; t2t/planner/key_vault.py). ARM
# actions from "Azure resource provider operations" (Microsoft.Resources: "resourceGroups/write:
# Creates or updates a resource group"; Microsoft.KeyVault: "vaults/write: Create a new key vault
# or update the properties of an existing key vault", "vaults/accessPolicies/write: Update an
# existing access policy by merging or replacing, or add a new access policy to the key vault");
# all three are in the Contributor role. The data-plane step is the vault access policy t2t gives
# itself when it creates the vault (certificates create). None has a PowerShell cmdlet in the
# plan: they are Azure calls (Az PowerShell: New-AzResourceGroup, New-AzKeyVault,
# Set-AzKeyVaultAccessPolicy, Add-AzKeyVaultCertificate — the walkthrough script's).
RESOURCE_GROUP_CREATE = ActionKind(
    "azure.resource_group.create",
    "azure",
    "safe",
    (arm("Microsoft.Resources/subscriptions/resourceGroups/write"),),
    powershell=False,
)
VAULT_CREATE = ActionKind(
    "keyvault.vault.create",
    "azure",
    "safe",
    (arm("Microsoft.KeyVault/vaults/write"),),
    powershell=False,
)
VAULT_ACCESS_GRANT = ActionKind(
    "keyvault.access.grant",
    "azure",
    "safe",
    (arm("Microsoft.KeyVault/vaults/accessPolicies/write"),),
    powershell=False,
)
CERTIFICATE_CREATE = ActionKind(
    "keyvault.certificate.create",
    "azure",
    "safe",
    (key_vault("certificates", "create"),),
    powershell=False,
)
#: The vault certificate's public key on the migration app (Graph application-update.md:
#: PATCH keyCredentials, Application.ReadWrite.All).
KEY_CREDENTIAL_ADD = ActionKind(
    "app.key_credential.add", "graph", "safe", (_APP_WRITE,), powershell=False
)
#: The last step of a rotation: the keys of t2t's certificate's older versions removed from the
#: app once the endpoint names a newer one. The same PATCH of keyCredentials, every other key
#: sent back: Graph's removeKey needs a proof of possession signed with one of the app's
#: private keys, which t2t never holds (Exchange reads it from the vault), and "Create
#: application and Update application operations can continue to be used to add and update
#: key credentials" (application: addKey, application: removeKey). Destructive: it removes a
#: credential — only ever one t2t made.
KEY_CREDENTIAL_REMOVE = ActionKind(
    "app.key_credential.remove", "graph", "destructive", (_APP_WRITE,), powershell=False
)

KINDS: tuple[ActionKind, ...] = (
    ORGREL_CREATE,
    ORGREL_UPDATE,
    ORG_ENABLE_CUSTOMIZATION,
    APP_CREATE,
    APP_UPDATE,
    CONSENT_GRANT,
    CONSENT_AWAIT,
    INVITATION_SEND,
    GROUP_CREATE,
    GROUP_ADD_MEMBERS,
    ENDPOINT_CREATE,
    ENDPOINT_UPDATE,
    MAILUSER_CREATE,
    MAILUSER_SET_IDENTITY,
    MAILUSER_HOLD_FOR_MIGRATION,
    USER_USAGE_LOCATION,
    LICENSE_ASSIGN,
    BATCH_CREATE,
    BATCH_START,
    BATCH_COMPLETE,
    BATCH_SET_COMPLETE_AFTER,
    BATCH_REMOVE_USER,
    BATCH_REMOVE,
    ENDPOINT_REMOVE,
    RESOURCE_GROUP_CREATE,
    VAULT_CREATE,
    VAULT_ACCESS_GRANT,
    CERTIFICATE_CREATE,
    KEY_CREDENTIAL_ADD,
    KEY_CREDENTIAL_REMOVE,
)
BY_NAME: dict[str, ActionKind] = {k.name: k for k in KINDS}
if len(BY_NAME) != len(KINDS):  # pragma: no cover - caught at import by every test
    raise ImportError("two action kinds share a name in t2t/planner/kinds.py")


def kind_of(name: str) -> ActionKind:
    """The registered kind of an action (a saved plan names it by string)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise LookupError(f"no action kind {name!r} (t2t/planner/kinds.py)") from None


#: What apply's lease needs in the target tenant whenever a plan has something to run
#: (t2t/apply/lease.py: Get-/New-/Set-/Remove-MailContact): what every Exchange write needs.
LEASE_PERMISSIONS = EXCHANGE_WRITE


def needed_to_apply(kinds: set[str]) -> tuple[Permission, ...]:
    """The apply half of the permission manifest: what these kinds need, sorted."""
    return union(*(kind_of(k).permissions for k in kinds))


def within_risk(kind: ActionKind, risk: Risk) -> bool:
    """Whether an action's risk is one its kind may carry."""
    return RISK_ORDER[risk] <= RISK_ORDER[kind.risk]
