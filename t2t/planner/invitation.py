"""The optional B2B invitation to the source admin, carrying the admin-consent link (§3.4).

Sent once, by t2t's own **target** identity (User.Invite.All) — never by the migration app,
which holds no Graph permission. An existing guest for that address (the invitation was sent
before, by t2t or by hand) means there is nothing to do: Graph would only re-send the mail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from t2t.planner import kinds as K
from t2t.planner.actions import Action, Change
from t2t.planner.context import APP, PlanContext
from t2t.planner.domain import Domain, DomainOutcome, action_id, present
from t2t.planner.shared.app import AppDesire
from t2t.planner.shared.consent import consent_url
from t2t.state import fingerprint
from t2t.state import parts as P
from t2t.state.directory import DirectoryUser

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class InvitationDesire:
    address: str
    source_domain: str
    app: AppDesire
    app_id: str | None  # None: resolved at apply time (the app is registered by this plan)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InvitationDesire:
        return cls(
            address=data["address"],
            source_domain=data["source_domain"],
            app=AppDesire.from_dict(data["app"]),
            app_id=data.get("app_id"),
        )


def guest_upn_prefix(address: str) -> str:
    """How the UPN of the guest an invitation to `address` made begins: `local_domain#EXT#@`
    (lower case; Entra compares UPNs case-insensitively)."""
    local, _, domain = address.lower().partition("@")
    return f"{local}_{domain}#ext#@"


def guest_for(address: str, users: tuple[DirectoryUser, ...]) -> DirectoryUser | None:
    """The guest an invitation to `address` made: `local_domain#EXT#@…`, mail = address."""
    prefix = guest_upn_prefix(address)
    return next(
        (
            u
            for u in users
            if (u.mail or "").lower() == address.lower()
            or u.user_principal_name.lower().startswith(prefix)
        ),
        None,
    )


def invitation_body(desire: InvitationDesire, app_id: str | None) -> dict[str, Any]:
    url = consent_url(desire.source_domain, app_id)
    return {
        "invitedUserEmailAddress": desire.address,
        "inviteRedirectUrl": url,
        "sendInvitationMessage": True,
        "invitedUserMessageInfo": {
            "customizedMessageBody": (
                "Please consent to the cross-tenant mailbox migration app "
                f"{app_id or ''} in your tenant (the link opens the admin-consent page), and "
                "put its application id into the source organization relationship's "
                "OAuthApplicationId."
            )
        },
    }


def plan_invitation(ctx: PlanContext) -> DomainOutcome:
    desired, app = ctx.desired, ctx.app
    out = DomainOutcome()
    address = desired.relationship.invite_source_admin
    if not address or guest_for(address, present(ctx.snapshot.target.users)) is not None:
        return out
    desire = InvitationDesire(address, desired.source.domain, app.desire, app.app_id)
    body = invitation_body(desire, app.app_id)
    out.actions.append(
        Action(
            id=action_id("target", K.INVITATION_SEND.name, address.lower()),
            tenant="target",
            kind=K.INVITATION_SEND.name,
            key=address,
            operation="create",
            cmdlet="Graph POST /invitations",
            parameters=body,
            changes=(
                Change(field="invitedUserEmailAddress", after=address),
                Change(field="inviteRedirectUrl", after=body["inviteRedirectUrl"]),
            ),
            desired=desire.to_dict(),
            observed=None,
            fingerprint=fingerprint(None),
            depends_on=app.depends_on,
            blocked_by=app.blocked_by,
            summary=f"invite {address} (B2B guest) with the admin-consent link",
        )
    )
    return out


INVITATION = Domain(
    name="invitation",
    source_needs=frozenset(),
    target_needs=frozenset({P.USERS}),
    uses=(APP,),
    emits=frozenset({K.INVITATION_SEND}),
    plan=plan_invitation,
)
