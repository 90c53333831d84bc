"""Graph handlers: B2B invitations."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import TYPE_CHECKING

from t2t.sandbox.graph.errors import bad_request
from t2t.sandbox.graph.handlers._common import _NO_HEADERS, _body, _created, _ctx_url
from t2t.sandbox.model import (
    User,
)

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result


# -- invitations ---------------------------------------------------------------------------------


def invite(req: GReq) -> Result:
    """invitation-post.md (§2.3): 201, a Guest user ``local_domain#EXT#@<initial domain>``,
    status PendingAcceptance. Re-inviting the same address reuses the guest."""
    body = _body(req)
    email = body.get("invitedUserEmailAddress")
    redirect = body.get("inviteRedirectUrl")
    if not isinstance(email, str) or "@" not in email:
        raise bad_request(
            "The invitedUserEmailAddress must be a valid email address.", "BadRequest"
        )
    if not isinstance(redirect, str) or not redirect:
        raise bad_request("The inviteRedirectUrl is required.", "BadRequest")
    t = req.tenant
    local, _, domain = email.partition("@")
    upn = f"{local}_{domain}#EXT#@{t.initial_domain}"
    u = t.user(upn)
    if u is None:
        u = User(
            id=str(uuid.uuid4()),
            user_principal_name=upn,
            display_name=str(body.get("invitedUserDisplayName") or email),
            mail=email,
            user_type="Guest",
            created_date_time=req.ctx.clock.now().replace(microsecond=0),
        )
        t.users.append(u)
        _created(req, u.id)
    inv_id = str(uuid.uuid4())
    return (
        201,
        {
            "@odata.context": _ctx_url(req, "invitations/$entity"),
            "id": inv_id,
            "inviteRedeemUrl": f"https://login.microsoftonline.com/redeem?rd={urllib.parse.quote(inv_id)}",
            "invitedUserDisplayName": body.get("invitedUserDisplayName"),
            "invitedUserType": "Guest",
            "invitedUserEmailAddress": email,
            "sendInvitationMessage": bool(body.get("sendInvitationMessage", False)),
            "resetRedemption": False,
            "inviteRedirectUrl": redirect,
            "status": "PendingAcceptance",
            "invitedUserMessageInfo": body.get("invitedUserMessageInfo")
            or {"messageLanguage": None, "ccRecipients": [], "customizedMessageBody": None},
            "invitedUser": {"id": u.id},
        },
        _NO_HEADERS,
    )
