"""A failed migration user's ErrorSummary mapped back to the check that prevents it
(t2t/planner/failures.py), from the catalogue's own `prevents` texts.

Each error is the `Type: message` a migration user shows (the texts the sandbox raises,
t2t/sandbox/moves/catalogue.py, with real values filled in).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from t2t.planner.checks import CheckDef
from t2t.planner.failures import MAX_CHECKS, _prevents, _words, checks_for_failure

_CONNECTION = "The connection to the server 'outlook.office365.com' could not be completed. --> "

CASES = [
    (
        "MigrationPermanentException: The source mailbox 'debra@contoso.com' is on hold "
        "(LitigationHold). Mailboxes on any type of hold can't be moved between tenants.",
        ["T2T-E304"],
    ),
    (
        "MailboxNotInCrossTenantMigrationScopeException: The mailbox 'megan@contoso.com' isn't "
        "in the scope of the organization relationship that allows cross-tenant mailbox moves in "
        "the source organization. Add the mailbox to a group in the relationship's "
        "MailboxMovePublishedScopes and try again.",
        ["T2T-E108"],
    ),
    (
        "CrossTenantMigrationWithoutLicensePermanentException: No license was found for the "
        "source recipient, 'a', or the target recipient, 'b'. A Cross-tenant User Data "
        "Migration license is required to move a mailbox between tenants.",
        ["T2T-E307"],
    ),
    (
        "UserDuplicateInOtherBatchException: The user 'x@fabrikam.com' already exists in another "
        "migration batch, 'other'.",
        ["T2T-W404"],
    ),
    (
        "MigrationMRSPermanentException: Error: The target mailbox doesn't have an SMTP proxy "
        "matching 'fabrikam.mail.onmicrosoft.com'.",
        ["T2T-E402", "T2T-E403"],
    ),
    (
        "MigrationServerConnectionFailedException: " + _CONNECTION + "MRSRemotePermanentException: "
        "AADSTS7000222: The provided client secret keys for app '5f3b…' are expired.",
        ["T2T-E237"],
    ),
    ("MigrationPermanentException: Target user 'x' already has a primary mailbox.", ["T2T-E310"]),
    (
        "UserAlreadyHasDemotedArchiveException: The source mailbox 'x' has a disabled archive.",
        ["T2T-E305"],
    ),
    (
        "SourceMailboxAlreadyBeingMovedPermanentException: The source mailbox 'x' already has a "
        "move request.",
        ["T2T-E330"],  # the pre-flight check of a move request on the source (issue 13, G09)
    ),
    # Exactly MAX_CHECKS tied (the exception names them, the message no more): all named.
    (
        "MigrationMRSPermanentException: Error: the request was stopped by an administrator.",
        ["T2T-E311", "T2T-E402", "T2T-E403"],
    ),
    # Too little said to choose (a bare MigrationPermanentException many checks prevent).
    (
        "MigrationPermanentException: The target mail user 'x' has ArchiveGuid 'a', but the "
        "source mailbox's ArchiveGuid is 'b'.",
        [],
    ),
    ("SomethingNewException: an exception no check names", []),
    ("The move failed for a reason with no exception name", []),
    ("", []),
]


@pytest.mark.parametrize(("error", "codes"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_failure_maps_to_its_checks(error: str, codes: list[str]) -> None:
    found = checks_for_failure(error)
    assert [c.code for c in found] == codes
    assert len(found) <= MAX_CHECKS


def test_no_error_maps_to_nothing() -> None:
    assert checks_for_failure(None) == ()


def test_a_check_that_prevents_a_failure_per_tenant_is_searched_in_every_text() -> None:
    """The index is built once per process (`_indexed` is cached), so the texts it reads are
    checked here directly."""
    check = CheckDef(
        "T2T-E999",
        "example",
        "error",
        "An example",
        {"target": "AlphaException: in the target", "source": "BetaException: in the source"},
        "fix",
        "source",
    )
    assert _prevents(check) == "AlphaException: in the target BetaException: in the source"
    assert _prevents(replace(check, prevents="GammaException: one text")) == (
        "GammaException: one text"
    )


def test_the_words_of_an_error_leave_out_its_names_and_the_common_words() -> None:
    words = _words("FooException: the mailbox quota was exceeded", {"FooException"})
    assert words == {"quota", "exceeded"}
