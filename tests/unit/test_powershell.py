"""The PowerShell rendering quotes every value as a literal, so a value cannot inject a command."""

from __future__ import annotations

from t2t.render import ps_literal


def test_single_quotes_are_doubled() -> None:
    assert ps_literal("O'Brien") == "'O''Brien'"


def test_injection_stays_inside_the_literal() -> None:
    assert (
        ps_literal("x'; Remove-Mailbox -Identity * ; '") == "'x''; Remove-Mailbox -Identity * ; '''"
    )
    assert ps_literal("$(Get-Secret)") == "'$(Get-Secret)'"


def test_typographic_quotes_are_doubled_too() -> None:
    # PowerShell treats ‘ and ’ as single quotes as well.
    assert ps_literal("a’b") == "'a’’b'"


def test_scalars_and_lists() -> None:
    assert ps_literal(True) == "$true"
    assert ps_literal(None) == "$null"
    assert ps_literal(["a", "b"]) == "@('a','b')"
    assert ps_literal(100) == "100"


def test_booleans_bind_to_switches_and_bools_alike() -> None:
    from t2t.render.powershell import _parameter

    assert _parameter("AutoStart", True) == "-AutoStart:$true"
    assert _parameter("Enabled", False) == "-Enabled:$false"
    assert _parameter("Name", "x") == "-Name 'x'"


def test_every_quote_powershell_knows_is_doubled() -> None:
    crafted = "Bob\u201a; Remove-Mailbox -Identity ceo -Confirm:$false; \u201b"
    assert (
        ps_literal(crafted)
        == "'Bob\u201a\u201a; Remove-Mailbox -Identity ceo -Confirm:$false; \u201b\u201b'"
    )


def test_a_newline_cannot_leave_a_comment_line() -> None:
    out = ps_literal("x\nRemove-Mailbox ceo")
    assert "\n" not in out
    assert out == "('x' + [char]10 + 'Remove-Mailbox ceo')"


def _action(tenant: str, kind: str, cmdlet: str, **parameters: object) -> object:
    from t2t.planner import Action

    return Action(
        id=f"{tenant}:{kind}:x",
        tenant=tenant,  # type: ignore[arg-type]
        kind=kind,
        key="x",
        operation="create",
        cmdlet=cmdlet,
        parameters=dict(parameters),
        fingerprint="f",
        summary=kind,
    )


def test_script_signs_in_per_tenant_prompts_for_secrets_and_adds_the_modules_switches() -> None:
    from t2t.planner import Plan
    from t2t.planner.endpoint import NEW_SECRET
    from t2t.render import render_powershell

    plan = Plan(
        spec_name="s",
        spec_path="s.yaml",
        source_tenant="src-id",
        target_tenant="tgt-id",
        actions=(
            _action(
                "source",
                "group.add_members",
                "Add-DistributionGroupMember",
                Identity="scope",
                Member=["a@contoso.com", "b@contoso.com"],
            ),
            _action(
                "target",
                "endpoint.create",
                "New-MigrationEndpoint",
                Name="ep",
                ApplicationId="app-1",
                Credentials=NEW_SECRET,
            ),
            _action(
                "target",
                "mailuser.create",
                "New-MailUser",
                Name="Debra",
                MicrosoftOnlineServicesID="debra@fabrikam.onmicrosoft.com",
            ),
            _action("target", "batch.complete", "Complete-MigrationBatch", Identity="wave-1"),
        ),
        findings=(),
        unknowns=(),
    )
    lines = render_powershell(plan).splitlines()
    code = [line for line in lines if line and not line.startswith("#")]
    assert code == [
        "Disconnect-ExchangeOnline -Confirm:$false -ErrorAction SilentlyContinue",
        "Connect-ExchangeOnline -ShowBanner:$false",
        "Connect-MgGraph -TenantId 'src-id' -NoWelcome -Scopes 'User.ReadWrite.All',"
        "'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','User.Invite.All'",
        "Add-DistributionGroupMember -Identity 'scope' -Member 'a@contoso.com' "
        "-BypassSecurityGroupManagerCheck:$true",
        "Add-DistributionGroupMember -Identity 'scope' -Member 'b@contoso.com' "
        "-BypassSecurityGroupManagerCheck:$true",
        "Disconnect-ExchangeOnline -Confirm:$false -ErrorAction SilentlyContinue",
        "Connect-ExchangeOnline -ShowBanner:$false",
        "Connect-MgGraph -TenantId 'tgt-id' -NoWelcome -Scopes 'User.ReadWrite.All',"
        "'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','User.Invite.All'",
        "New-MigrationEndpoint -Name 'ep' -ApplicationId 'app-1' -Credentials (Get-Credential "
        "-UserName 'app-1' -Message 'The client secret of the migration app (create one in the "
        "app registration first)')",
        "New-MailUser -Name 'Debra' -MicrosoftOnlineServicesID 'debra@fabrikam.onmicrosoft.com' "
        "-Password (Read-Host -AsSecureString -Prompt 'A password for "
        "debra@fabrikam.onmicrosoft.com')",
        "Complete-MigrationBatch -Identity 'wave-1' -Confirm:$false",
    ]
    assert NEW_SECRET not in "\n".join(lines)
