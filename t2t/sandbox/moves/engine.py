"""The emulated Mailbox Replication Service: statuses on the sandbox clock, failures, effects.

Driven lazily: ``advance(state, now)`` runs every transition that is due at ``now``
(each at its own scheduled time, so a clock jumped forward by an hour runs a whole
migration), and is called before every InvokeCommand. Nothing runs in the background.

Statuses are Microsoft's (microsoft-t2t.md §7, PSDOC-GB/PSDOC-GU):

- migration user: ``Queued`` → ``Syncing`` → ``Synced`` → ``Completing`` → ``Completed``;
  ``Failed`` when a prerequisite is wrong (checked when the sync starts, §9);
  ``Stopping`` → ``Stopped``; ``Removing``.
- batch: ``Created`` → ``Syncing`` → ``Synced`` | ``SyncedWithErrors`` → ``Completing``
  → ``Completed`` | ``CompletedWithErrors``; ``Failed`` when every user failed;
  ``Stopping`` → ``Stopped``; ``Removing`` (then gone).

One step = ``Tenant.move_service.seconds_per_step`` seconds of sandbox clock.
``-AutoComplete`` completes each user after its initial sync; ``CompleteAfter`` (also set
to "now" by Complete-MigrationBatch in EXO, PSDOC-CB) completes synced users at that time.
"""

from __future__ import annotations

import datetime as dt

from t2t.sandbox.exchange.directory import (
    capabilities,
    find_recipient,
    recipients,
)
from t2t.sandbox.exchange.licensing import provision_due, provision_licensed_mail_users
from t2t.sandbox.model import SandboxState, Tenant, User
from t2t.sandbox.moves import conditions
from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.moves.consent import app_consented
from t2t.sandbox.moves.credentials import endpoint_of, sign_in_failure
from t2t.sandbox.moves.model import MigrationBatch, MigrationFailure, MigrationUser
from t2t.sandbox.moves.progress import awaits_approval, source_recipient, source_totals
from t2t.sandbox.recipients import ZERO_GUID, Recipient, size_text

MAX_AUX_ARCHIVES = 12
T2T_CAPABILITY = "ExchangeT2TMbxMove"
INBOUND, REMOTE_OUTBOUND = 1, 8  # MailboxMoveCapability bits (model.MAILBOX_MOVE_CAPABILITY_BITS)

TERMINAL_USER = frozenset({"Completed", "Failed", "Stopped"})
ACTIVE_USER = frozenset({"Queued", "Syncing", "Completing", "Stopping", "Removing"})


def failure(name: str, **fields: str) -> MigrationFailure:
    s = spec(name)
    return MigrationFailure(
        exception=s.full_type.rsplit(".", 1)[1], full_type=s.full_type, message=s.render(**fields)
    )


def error_text(f: MigrationFailure) -> str:
    """How the failure reads in Get-MigrationUser's ErrorSummary (``Type: message``)."""
    return f"{f.exception}: {f.message}"


# ---------------------------------------------------------------- prerequisites (§4, §9)


def source_tenant_of(state: SandboxState, target: Tenant, batch: MigrationBatch) -> Tenant | None:
    ep = next(
        (e for e in target.migration_endpoints if e.name.lower() == batch.source_endpoint.lower()),
        None,
    )
    if ep is None or not ep.remote_tenant:
        return None
    return reachable_tenant(state, target, ep.remote_tenant)


def reachable_tenant(state: SandboxState, target: Tenant, remote: str) -> Tenant | None:
    """The remote tenant an endpoint of ``target`` names, as the target's cloud sees it.

    By one of its domains only: -RemoteTenant is "the source tenant domain, e.g.
    contoso.onmicrosoft.com (not the GUID)" (microsoft-t2t.md §3.6; Learn's New-MigrationEndpoint
    example; VerifySetup.ps1 checks RemoteTenant = PartnerTenantDomain, §10.1). Whether the
    service would resolve a tenant id anyway is documented nowhere, so the sandbox takes the
    stricter reading: a GUID finds no tenant, as a typo does (README, open questions).
    A tenant of another cloud is not there ("Cross cloud tenant to tenant migration is not
    supported", Learn, Cross-tenant mailbox migration, FAQ; the answer is the one for a tenant
    that does not exist — Microsoft documents none of its own, an assumption). GCC runs in the
    worldwide cloud (the Microsoft 365 endpoints page, "Worldwide (including GCC)")."""
    found = state.tenant_by_domain(remote)
    if found is None or _cloud(found) != _cloud(target):
        return None
    return found


def _cloud(tenant: Tenant) -> str:
    return "worldwide" if tenant.cloud == "gcc" else tenant.cloud


def _relationship_allows(tenant: Tenant, partner_id: str, bit: int) -> tuple[bool, str | None]:
    """(allowed, OAuthApplicationId) for the relationship keyed on ``partner_id`` (§3.5)."""
    for rel in tenant.organization_relationships:
        if partner_id.lower() not in (d.lower() for d in rel.domain_names):
            continue
        if rel.enabled and rel.mailbox_move_enabled and rel.mailbox_move_capability & bit:
            return True, rel.oauth_application_id
    return False, None


def _source_scopes(source: Tenant, target_id: str) -> list[str]:
    for rel in source.organization_relationships:
        if (
            target_id.lower() in (d.lower() for d in rel.domain_names)
            and rel.mailbox_move_capability & REMOTE_OUTBOUND
        ):
            return list(rel.mailbox_move_published_scopes)
    return []


def find_source_mailbox(source: Tenant, target_r: Recipient) -> tuple[User, Recipient] | None:
    """MRS finds the source mailbox by the target MailUser's ExchangeGuid (§4)."""
    if target_r.exchange_guid != ZERO_GUID:
        for u, r in recipients(source):
            if r.is_mailbox and r.exchange_guid == target_r.exchange_guid:
                return u, r
    return None


def _source_by_address(source: Tenant, target_r: Recipient) -> tuple[User, Recipient] | None:
    ext = (target_r.external_email_address or "").split(":", 1)[-1]
    if not ext:
        return None
    found = find_recipient(source, ext, lambda r: r.is_mailbox, unique=False)
    return found


def preflight(
    state: SandboxState,
    target: Tenant,
    batch: MigrationBatch,
    mu: MigrationUser,
    at: dt.datetime | None = None,
) -> MigrationFailure | None:
    """The first failing prerequisite of ``mu`` at ``at`` (default: the batch's start), in
    the order the sandbox checks them.

    Order (an assumption; Microsoft documents no order): target recipient, target
    relationship, endpoint/source tenant, source relationship and consent, sign-in with the
    endpoint's credential, the relationship's app (Access is denied), target recipient
    type, ExchangeGuid, scope, licence, accepted domains, TargetDeliveryDomain proxy, holds,
    archive state, auxiliary archives, recoverable items.
    """
    found_t = find_recipient(target, mu.identity, unique=False)
    if found_t is None:
        return failure("MigrationRecipientNotFoundException", user=mu.identity)
    t_user, t_r = found_t
    mu.target_user_id = t_user.id
    source = source_tenant_of(state, target, batch)
    ep = next(
        e for e in target.migration_endpoints if e.name.lower() == batch.source_endpoint.lower()
    )
    if source is not None:
        inbound, _ = _relationship_allows(target, source.tenant_id, INBOUND)
    else:
        inbound = False
    if not inbound:
        return failure("InboundMailboxMoveCapabilityMissingException")
    if source is not None and (
        dup := conditions.partner_relationship_problem(target, source, INBOUND)
    ):
        return dup
    if source is None:
        return failure(
            "MigrationServerConnectionFailedException",
            inner=f"MRSRemotePermanentException: The remote tenant '{ep.remote_tenant}' "
            "couldn't be found.",
        )
    mu.source_tenant_id = source.tenant_id
    outbound, app = _relationship_allows(source, target.tenant_id, REMOTE_OUTBOUND)
    if (
        not outbound
        or not app
        or not ep.application_id
        or not app_consented(source, ep.application_id)
    ):
        return failure(
            "MigrationServerConnectionFailedException",
            inner="MRSRemotePermanentException: The source tenant does not authorize mailbox "
            "moves to your organization. Check the source organization relationship and the "
            "migration application's consent.",
        )
    # The move signs in to the source with the endpoint's credential (moves/credentials.py);
    # a signed-in app other than the relationship's is denied by the source.
    when = at or batch.started_at or mu.when_created
    signed_out = sign_in_failure(state, source, ep, when)
    if signed_out is not None:
        return signed_out
    if app.lower() != ep.application_id.lower():
        return failure("SourceAccessDenied")
    if dup := conditions.partner_relationship_problem(source, target, REMOTE_OUTBOUND):
        return dup
    if t_r.is_mailbox:
        return failure("TargetUserAlreadyHasPrimaryMailbox", user=mu.identity)
    found_s = find_source_mailbox(source, t_r)
    if found_s is None:
        by_address = _source_by_address(source, t_r)
        guid = by_address[1].exchange_guid if by_address else ZERO_GUID
        return failure("MissingExchangeGuidException", user=mu.identity, guid=guid)
    s_user, s_r = found_s
    mu.source_user_id = s_user.id
    scopes = _source_scopes(source, target.tenant_id)
    in_scope = False
    # Direct membership only: a member of a group nested in the scope group is out of scope.
    # LEARN-24 now says "While nested groups are supported, they are not recommended"; its
    # earlier revisions said nested groups are not supported, and CSS-VAL
    # (CrossTenantMailboxMigrationValidation.ps1; microsoft-t2t.md object check 6) checks
    # the mailbox's direct membership of MailboxMovePublishedScopes — the stricter reading of
    # an open question (microsoft-t2t.md §12 q3 "Nested scope groups: supported or not?";
    # README E5 "scope (direct membership)").
    for g in source.groups:
        if g.name in scopes and s_user.id in g.members:
            in_scope = True
            added = g.members_added_at.get(s_user.id)
            if (
                s_r.auxiliary_archives
                and added is not None
                and batch.started_at is not None
                and added > batch.started_at
            ):
                return failure("AuxArchiveNotFoundInTargetRecipientException", user=mu.identity)
    if not in_scope:
        return failure(
            "MailboxNotInCrossTenantMigrationScopeException", user=s_r.primary_smtp_address
        )
    if T2T_CAPABILITY not in capabilities(source, s_user) + capabilities(target, t_user):
        return failure(
            "CrossTenantMigrationWithoutLicensePermanentException",
            source_guid=s_user.id,
            target_guid=t_user.id,
        )
    for address in t_r.smtp_addresses():
        domain = address.rsplit("@", 1)[-1].lower()
        if domain not in target.accepted_domains:
            return failure("NotAcceptedDomainException", domain=domain)
    tdd = batch.target_delivery_domain
    if tdd and not any(a.lower().endswith("@" + tdd.lower()) for a in t_r.smtp_addresses()):
        return failure("NoProxyInTargetDeliveryDomain", domain=tdd)
    if holds := conditions.source_holds(source, s_r):  # the organization's too
        return failure("SourceMailboxOnHold", user=s_r.primary_smtp_address, holds=", ".join(holds))
    if s_r.archive_disabled:
        return failure("UserAlreadyHasDemotedArchiveException", user=s_r.primary_smtp_address)
    source_archive = s_r.archive_guid if s_r.has_archive else ZERO_GUID
    if source_archive != t_r.archive_guid:
        return failure(
            "ArchiveGuidMismatch", user=mu.identity, target=t_r.archive_guid, source=source_archive
        )
    if s_r.auxiliary_archives > MAX_AUX_ARCHIVES:
        return failure(
            "TooManyAuxArchives", user=s_r.primary_smtp_address, count=str(s_r.auxiliary_archives)
        )
    if s_r.total_deleted_item_size > t_r.recoverable_items_quota:
        return failure(
            "RecoverableItemsOverTargetQuota",
            user=s_r.primary_smtp_address,
            size=size_text(s_r.total_deleted_item_size),
            quota=size_text(t_r.recoverable_items_quota),
        )
    return conditions.after_prerequisites(mu, s_r, t_r, s_r.primary_smtp_address)


# ---------------------------------------------------------------- effects of completion (§1)


def _complete_move(
    state: SandboxState, target: Tenant, batch: MigrationBatch, mu: MigrationUser
) -> None:
    """The source mailbox becomes a MailUser routing to the target; the target MailUser
    becomes a mailbox with the same ExchangeGuid, its x500s, and the source's sizes
    (LEARN-24; microsoft-t2t.md §1). Permissions and send-on-behalf don't move (§8)."""
    source = state.resolve_tenant(mu.source_tenant_id) if mu.source_tenant_id else None
    t_user = target.user_by_id(mu.target_user_id) if mu.target_user_id else None
    s_user = source.user_by_id(mu.source_user_id) if source and mu.source_user_id else None
    if source is None or t_user is None or s_user is None:
        return
    t_r, s_r = t_user.recipient, s_user.recipient
    if t_r is None or s_r is None:
        return
    tdd = (batch.target_delivery_domain or "").lower()
    routing = next(
        (a for a in t_r.smtp_addresses() if tdd and a.lower().endswith("@" + tdd)),
        t_r.primary_smtp_address,
    )
    t_r.recipient_type_details = "UserMailbox"
    t_r.external_email_address = None
    t_r.archive_guid = s_r.archive_guid if s_r.has_archive else ZERO_GUID
    t_r.auxiliary_archives = s_r.auxiliary_archives
    t_r.total_item_size = s_r.total_item_size
    t_r.item_count = s_r.item_count
    t_r.total_deleted_item_size = s_r.total_deleted_item_size
    t_r.deleted_item_count = s_r.deleted_item_count
    t_r.archive_total_item_size = s_r.archive_total_item_size
    t_r.archive_item_count = s_r.archive_item_count
    t_r.moved_from_tenant_id = source.tenant_id
    s_r.recipient_type_details = "MailUser"
    s_r.external_email_address = f"SMTP:{routing}"
    s_r.total_item_size = s_r.item_count = 0
    s_r.total_deleted_item_size = s_r.deleted_item_count = 0
    s_r.archive_total_item_size = s_r.archive_item_count = 0
    s_r.auxiliary_archives = 0
    s_r.permissions = []
    s_r.grant_send_on_behalf_to = []
    s_r.moved_to_tenant_id = target.tenant_id


# ---------------------------------------------------------------- the clock


def _pace(target: Tenant) -> dt.timedelta:
    return dt.timedelta(seconds=target.move_service.seconds_per_step)


def _should_complete(batch: MigrationBatch, at: dt.datetime) -> bool:
    return batch.auto_complete or (batch.complete_after is not None and batch.complete_after <= at)


def _signed_out(
    state: SandboxState, target: Tenant, batch: MigrationBatch, mu: MigrationUser, at: dt.datetime
) -> bool:
    """Each sync and completion step signs in to the source again with the endpoint's
    credential (moves/credentials.py); a refusal fails the user at that step. True if so."""
    ep = endpoint_of(target, batch.source_endpoint)
    source = source_tenant_of(state, target, batch)
    problem = sign_in_failure(state, source, ep, at) if ep and source else None
    if problem is None:
        return False
    mu.status, mu.failure, mu.next_step_at = "Failed", problem, None
    mu.move_request_status = "Failed" if mu.move_request_status else None
    return True


def _step_user(
    state: SandboxState, target: Tenant, batch: MigrationBatch, mu: MigrationUser, now: dt.datetime
) -> bool:
    """Run one due transition of ``mu``; True when something changed."""
    pace = _pace(target)
    if mu.status == "Synced" and mu.next_step_at is None:
        when = batch.complete_after or mu.last_successful_sync or now
        if batch.auto_complete:
            when = mu.last_successful_sync or now
        if _should_complete(batch, now):
            if awaits_approval(mu):  # Investigate: stays Synced until approved (progress.py)
                return False
            if _signed_out(state, target, batch, mu, now):
                return True
            mu.status = "Completing"
            mu.move_request_status = "CompletionInProgress"
            mu.next_step_at = max(when, mu.last_successful_sync or when) + pace
            return True
        return False
    if mu.next_step_at is None or mu.next_step_at > now:
        return False
    at = mu.next_step_at
    if mu.status == "Queued":
        # A remove-and-re-add failure replays on every retry (moves/conditions.py).
        problem = mu.sticky_failure or preflight(state, target, batch, mu, at)
        if problem is not None:
            if conditions.readd_failure(problem):
                mu.sticky_failure = problem
            mu.status, mu.failure, mu.next_step_at = "Failed", problem, None
            mu.move_request_status = "Failed" if mu.move_request_status else None
            return True
        mu.status, mu.move_request_status, mu.next_step_at = "Syncing", "InProgress", at + pace
    elif mu.status == "Syncing":
        if _signed_out(state, target, batch, mu, at):
            return True
        s_r = source_recipient(state, mu)
        source = state.resolve_tenant(mu.source_tenant_id) if mu.source_tenant_id else None
        expands = source is not None and source.organization_config.auto_expanding_archive_enabled
        if s_r is not None and (problem := conditions.during_sync(mu, s_r, expands)):
            mu.status, mu.failure, mu.sticky_failure = "Failed", problem, problem
            mu.next_step_at, mu.move_request_status = None, "Failed"
            return True
        totals = source_totals(state, mu)  # read before the status leaves Syncing
        mu.status, mu.next_step_at, mu.last_successful_sync = "Synced", None, at
        mu.move_request_status = "Synced"
        if totals is not None:
            mu.bytes_transferred = totals.bytes
            mu.items_synced = totals.items - totals.skipped
            mu.items_skipped = totals.skipped
        if batch.initial_sync_at is None:
            batch.initial_sync_at = at
        batch.last_synced_at = at
    elif mu.status == "Completing":
        if _signed_out(state, target, batch, mu, at):
            return True
        _complete_move(state, target, batch, mu)
        mu.status, mu.next_step_at, mu.move_request_status = "Completed", None, "Completed"
    elif mu.status == "Stopping":
        mu.status, mu.next_step_at = "Stopped", None
        mu.move_request_status = "Suspended" if mu.move_request_status else None
    elif mu.status == "Removing":
        batch.users.remove(mu)
    else:
        mu.next_step_at = None
    return True


def batch_status(batch: MigrationBatch) -> str:
    """The batch's status from its users' (§7)."""
    if batch.status in ("Created", "Removing", "Stopped"):
        return batch.status
    statuses = [u.status for u in batch.users]
    if batch.status == "Stopping":
        return "Stopped" if all(s in TERMINAL_USER for s in statuses) else "Stopping"
    if not statuses:
        return batch.status
    if any(s in ("Queued", "Syncing") for s in statuses):
        return "Syncing"
    if any(s == "Completing" for s in statuses):
        return "Completing"
    failed = statuses.count("Failed")
    completed = statuses.count("Completed")
    synced = statuses.count("Synced")
    if failed == len(statuses):
        return "Failed"
    if completed and not synced:
        return "CompletedWithErrors" if failed else "Completed"
    if synced and completed:
        return "Completing"
    return "SyncedWithErrors" if failed else "Synced"


def advance(state: SandboxState, now: dt.datetime) -> bool:
    """Run every transition due at ``now`` across all tenants (idempotent); True when
    anything changed."""
    # Licences whose provisioning is due first (exchange/licensing.py): Exchange's reaction
    # and the licence's capabilities are part of the directory the moves then read.
    any_change = provision_due(state, now)
    for target in state.tenants:
        for batch in list(target.migration_batches):
            if batch.status == "Removing":
                if batch.next_step_at is not None and batch.next_step_at <= now:
                    target.migration_batches.remove(batch)
                    any_change = True
                continue
            if batch.status == "Created":
                continue
            for _ in range(10_000):  # bounded: each pass runs at least one due transition
                changed = False
                for mu in list(batch.users):
                    changed |= _step_user(state, target, batch, mu, now)
                any_change |= changed
                if not changed:
                    break
            status = batch_status(batch)
            if status != batch.status:
                any_change = True
                batch.status = status
                if status in ("Completed", "CompletedWithErrors"):
                    batch.finalized_at = now
    if any_change:
        # Moves change recipients; writes and Graph licensing provision on their own, so the
        # whole-directory sweep runs only here, not on every request (O(users) each time).
        provision_licensed_mail_users(state)
    return any_change
