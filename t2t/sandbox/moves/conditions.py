"""Move failures Microsoft documents beyond the basic prerequisites (issue 10), kept out of
``engine.py`` so the engine only calls in: organization-wide holds, SubstrateHolds items in
the archive, a source over its quota, an archive that auto-expands during the move, a target
still holding a previous mailbox, a second relationship for the partner keyed on a domain, and
the failures Microsoft fixes only by removing the user from the batch and adding it to a new
one (LEARN-24 "Migration Failures").

Sources (microsoft-t2t.md "Sources"): LEARN-24 (MicrosoftDocs/microsoft-365-docs
``microsoft-365/enterprise/cross-tenant-mailbox-migration.md`` @21ea262f: the important note
"Mailboxes that are on any type of hold aren't migrated", the prerequisites' step 8, the FAQ
on quotas and auto-expanded archives, "Migration Failures"); CSS-VAL (microsoft/CSS-Exchange
``Admin/CrossTenantMailboxMigrationValidation.ps1``: the organizational hold found through
HoldTracking, the archive's SubstrateHolds folder); Learn "identify-a-hold-on-an-exchange-
online-mailbox" (organization-wide retention policies in Get-OrganizationConfig InPlaceHolds,
exclusions as ``-<guid>`` on the mailbox); QA-5611986 [1×3P] (a second relationship for the
partner).

How a remove-and-re-add failure persists: once a migration user fails with one of
``REMOVE_AND_READD``, the failure is kept on that migration user (``sticky_failure``) and every
Start-MigrationBatch retry fails it again with the same exception; only Remove-MigrationUser and
a new batch (a new migration user) start from scratch — as LEARN-24 prescribes. Whether
Exchange really replays the failure or refuses to retry is not documented (README, open
questions); replaying it is the stricter reading.
"""

from __future__ import annotations

from t2t.sandbox.model import Tenant
from t2t.sandbox.moves.catalogue import spec
from t2t.sandbox.moves.model import MigrationFailure, MigrationUser
from t2t.sandbox.recipients import DEFAULT_ARCHIVE_QUOTA, Recipient, size_text

#: LEARN-24 "Migration Failures": "Remove the migration user from the batch … Add user to new
#: batch." (UserDuplicateInOtherBatchException is there too; it is a CSV-level failure the
#: batch cmdlets already never retry.)
REMOVE_AND_READD = frozenset(
    {
        "MailboxIsNotInExpectedDBException",
        "SourceMailboxAlreadyBeingMovedPermanentException",
        "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException",
        "AuxArchiveNotFoundInTargetRecipientException",
    }
)


def _failure(name: str, **fields: str) -> MigrationFailure:
    s = spec(name)
    return MigrationFailure(
        exception=s.full_type.rsplit(".", 1)[1], full_type=s.full_type, message=s.render(**fields)
    )


def readd_failure(f: MigrationFailure) -> bool:
    """True for a failure LEARN-24 fixes only by removing the user and adding it again. The
    catalogue's short name is the exception name for all of these."""
    return f.exception in REMOVE_AND_READD


# ---------------------------------------------------------------- holds


def organization_holds(source: Tenant, s_r: Recipient) -> list[str]:
    """Organization-wide retention policies covering Exchange mailboxes (``mbx`` entries of
    Get-OrganizationConfig InPlaceHolds) that the mailbox is not excluded from (its own
    InPlaceHolds holding ``-mbx<guid>``). CSS-VAL reports them as "under an Organizational
    Hold and this is not a supported scenario"; LEARN-24 blocks any hold."""
    excluded = {h[1:].split(":", 1)[0].lower() for h in s_r.in_place_holds if h.startswith("-")}
    out = []
    for h in source.organization_config.in_place_holds:
        policy = h.split(":", 1)[0]
        if policy.lower().startswith("mbx") and policy.lower() not in excluded:
            out.append(f"OrganizationHold:{policy}")
    return out


def source_holds(source: Tenant, s_r: Recipient) -> list[str]:
    """Every hold that blocks the move: the mailbox's own (CSS-VAL check 4) and the
    organization's."""
    return [*s_r.holds, *organization_holds(source, s_r)]


# ---------------------------------------------------------------- relationships


def _matches(rel_domains: list[str], partner: Tenant) -> tuple[bool, bool]:
    """(keyed on the partner's tenant id, names one of the partner's domains)."""
    names = {d.lower() for d in rel_domains}
    return partner.tenant_id.lower() in names, any(partner.has_domain(d) for d in names)


def partner_relationship_problem(
    tenant: Tenant, partner: Tenant, bit: int
) -> MigrationFailure | None:
    """Beside the relationship keyed on the partner's tenant id, another one naming only a
    partner *domain* (multi-tenant organization setup, cross-tenant sync, free/busy sharing)
    that does no moves fails the move with "does not have mail move enabled" (QA-5611986,
    [1×3P]; microsoft-t2t.md §3.5). One relationship holding both the id and a domain is the
    multi-tenant guide's form and is fine. ``bit`` is the capability the move needs here
    (Inbound on the target, RemoteOutbound on the source)."""
    keyed = [r for r in tenant.organization_relationships if _matches(r.domain_names, partner)[0]]
    if not keyed:
        return None
    for rel in tenant.organization_relationships:
        by_id, by_domain = _matches(rel.domain_names, partner)
        if by_id or not by_domain:
            continue
        if not (rel.enabled and rel.mailbox_move_enabled and rel.mailbox_move_capability & bit):
            partner_domain = next(d for d in rel.domain_names if partner.has_domain(d.lower()))
            return _failure(
                "PartnerRelationshipWithoutMailMove", relationship=rel.name, partner=partner_domain
            )
    return None


# ---------------------------------------------------------------- per mailbox


def _database_moved(mu: MigrationUser, s_r: Recipient) -> bool:
    """Microsoft maintenance moved the source mailbox after this migration user was created:
    its move request looks in the old database (LEARN-24: MailboxIsNotInExpectedDBException,
    'internal Microsoft maintenance'). A migration user created later is not affected."""
    return s_r.database_moved_at is not None and mu.when_created < s_r.database_moved_at


def after_prerequisites(
    mu: MigrationUser, s_r: Recipient, t_r: Recipient, user: str
) -> MigrationFailure | None:
    """The documented failures checked when a user's sync starts, after engine.preflight's
    basic prerequisites (order assumed, as there): the target's previous mailbox, a move
    request already on the source, maintenance, the source's quota, the archive's
    SubstrateHolds."""
    if t_r.previous_exchange_guid and t_r.previous_exchange_guid != s_r.exchange_guid:
        return _failure(
            "TargetHasPreviousMailboxInfo", user=mu.identity, previous=t_r.previous_exchange_guid
        )
    # An internal Microsoft move (invisible), or one an admin started and Get-MoveRequest
    # lists, until it completes ("Add user to new batch after the original move has been
    # removed or completed", LEARN-24).
    visible = s_r.move_request is not None and not s_r.move_request.ended
    if s_r.existing_move_request or visible:
        return _failure("SourceMailboxAlreadyBeingMovedPermanentException", user=user)
    if _database_moved(mu, s_r):
        return _failure("MailboxIsNotInExpectedDBException", user=user)
    if s_r.total_item_size >= s_r.prohibit_send_receive_quota:  # "reaches or exceeds"
        return _failure(
            "SourceMailboxOverQuota",
            user=user,
            size=size_text(s_r.total_item_size),
            quota=size_text(s_r.prohibit_send_receive_quota),
        )
    if s_r.has_archive and s_r.archive_substrate_holds_items:
        return _failure(
            "ArchiveSubstrateHoldsNotEmpty", user=user, count=str(s_r.archive_substrate_holds_items)
        )
    return None


#: "When the archive mailbox (including the Recoverable Items folder) reaches 90 GB, it's
#: converted to an auto-expanding archive" (Purview, "Learn about auto-expanding archiving").
AUTO_EXPANSION_AT = 90 * 1024**3


def during_sync(
    mu: MigrationUser, s_r: Recipient, organization_expands: bool = False
) -> MigrationFailure | None:
    """What goes wrong while a mailbox syncs: maintenance moves it (MailboxIsNotInExpectedDB),
    or its archive — auto-expanding for the mailbox (Enable-Mailbox -AutoExpandingArchive) or
    the organization (Set-OrganizationConfig -AutoExpandingArchive), `organization_expands` —
    reaches 90 GB and provisions a new auxiliary archive in the source but not in the target
    (LEARN-24 FAQ; SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException;
    Microsoft's "can take up to 30 days" is not modelled: the sandbox expands at once). The
    expansion changes the source: one more aux archive, and the main archive keeps half its
    quota (the rest is in the new aux archive; the sandbox models no per-aux sizes)."""
    user = s_r.primary_smtp_address
    if _database_moved(mu, s_r):
        return _failure("MailboxIsNotInExpectedDBException", user=user)
    if (
        s_r.has_archive
        and (s_r.auto_expanding_archive_enabled or organization_expands)
        and s_r.archive_total_item_size >= AUTO_EXPANSION_AT
    ):
        s_r.auxiliary_archives += 1
        s_r.archive_total_item_size = DEFAULT_ARCHIVE_QUOTA // 2
        return _failure(
            "SourceAuxArchiveIsProvisionedDuringCrossTenantMovePermanentException", user=user
        )
    return None
