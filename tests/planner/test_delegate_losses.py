"""Every loss `t2t plan --report` lists, whole: the rights and the reason of each, which the
delegates domain's findings do not show (they name at most five losses, and not why).

The snapshot is the case folder cases/delegates/losses-past-five-are-counted (its spec.yaml
says what each grant is)."""

from __future__ import annotations

from t2t.planner.delegates.domain import losses_of
from t2t.planner.delegates.losses import Loss, Party
from tests.planner.cases import ROOT, Case

CASE = Case(ROOT / "delegates" / "losses-past-five-are-counted")

STORE = "a mailbox permission; the holder "
CALENDAR = "a calendar permission; the holder "
SEND_AS = (
    "SendAs is a directory permission, not one stored in the mailbox (Microsoft keeps only the "
    "store permissions); the holder "
)
ON_BEHALF = (
    "Send on behalf (publicDelegates) does not move (Microsoft); restamp it on the target "
    "mailbox after the move"
)
FORWARDING = (
    "forwarding is set on the source object, which becomes a MailUser; nothing says the move "
    "carries it to the target mailbox (inference)"
)
BEHIND = "stays behind"


def spec_party(name: str, source: str, wave: str = "") -> Party:
    return Party(name=name, source=source, wave=wave)


ALEX = spec_party("alex@contoso.com", "alex@contoso.com", "wave-1")
DEBRA_ID = spec_party("debra", "debra@contoso.com", "wave-1")
DEBRA = spec_party("debra@contoso.com", "debra@contoso.com", "wave-1")
MEGAN = spec_party("megan@contoso.com", "megan@contoso.com", "wave-2")
NINA = spec_party("nina@contoso.com", "nina@contoso.com")  # in the spec, in no wave
PAT = spec_party("pat@contoso.com", "pat@contoso.com", "wave-1")  # a MailUser in the source


def test_every_loss_of_the_wave_mailboxes_with_its_rights_and_reason() -> None:
    assert losses_of(CASE.spec(), CASE.snapshot()) == [
        Loss(ALEX, Party("lynne"), "Forwarding", "ForwardingAddress, DeliverToMailboxAndForward",
             FORWARDING),
        Loss(DEBRA_ID, Party("Sam Reed"), "SendAs", "SendAs", SEND_AS + BEHIND),
        Loss(DEBRA, Party("jo_ann@contoso.com"), "FullAccess", "FullAccess", STORE + BEHIND),
        Loss(DEBRA, Party("joann@contoso.com"), "FullAccess", "FullAccess", STORE + BEHIND),
        Loss(DEBRA, NINA, "FullAccess", "FullAccess, ReadPermission", STORE + BEHIND),
        Loss(DEBRA, Party("Sam Reed"), "MailboxPermission", "ReadPermission", STORE + BEHIND),
        Loss(DEBRA, Party("lynne"), "SendOnBehalf", "GrantSendOnBehalfTo", ON_BEHALF),
        Loss(Party("jo_ann@contoso.com"), MEGAN, "SendAs", "SendAs", SEND_AS + "moves in wave-2"),
        Loss(Party("joann@contoso.com"), MEGAN, "SendAs", "SendAs", SEND_AS + "moves in wave-2"),
        Loss(MEGAN, Party("Lynne Robbins"), "Calendar", "Editor", CALENDAR + BEHIND),
        Loss(MEGAN, Party("megan.home@example.net"), "Forwarding", "ForwardingSmtpAddress",
             FORWARDING),
        Loss(MEGAN, PAT, "FullAccess", "FullAccess", STORE + "moves in wave-1"),
    ]  # fmt: skip


MEMBERSHIP = (
    "a group membership is a link of the source directory, not mailbox content (Microsoft moves "
    "only the mailbox's user-visible content); the target MailUser belongs to no group — add it "
    "to the target's group after the move"
)


def test_every_membership_of_a_wave_mailbox_with_its_reason() -> None:
    """cases/delegates/later-wave-permissions-not-read: allstaff's members are lynne (in no
    wave: no loss), debra and megan; finance-sec's is alex; the third group has none."""
    case = Case(ROOT / "delegates" / "later-wave-permissions-not-read")
    allstaff, finance = Party("allstaff@contoso.com"), Party("finance-sec@contoso.com")
    alex = spec_party("alex@contoso.com", "alex@contoso.com", "wave-1")
    distribution, security = "MailUniversalDistributionGroup", "MailUniversalSecurityGroup"
    memberships = [x for x in losses_of(case.spec(), case.snapshot()) if x.right == "Membership"]
    assert memberships == [
        Loss(allstaff, DEBRA, "Membership", distribution, MEMBERSHIP),
        Loss(allstaff, MEGAN, "Membership", distribution, MEMBERSHIP),
        Loss(finance, alex, "Membership", security, MEMBERSHIP),
    ]
