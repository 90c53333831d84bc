"""The plan as the equivalent Exchange Online PowerShell, so an admin can always run it by hand.

Values are quoted as PowerShell literals (single quotes, a quote doubled), never pasted raw: a
spec value cannot inject a command.
"""

from __future__ import annotations

import json
from typing import Any

from t2t.clients.wire import HIGH_IMPACT
from t2t.planner import Action, Plan
from t2t.planner.kinds import kind_of


def ps_literal(value: Any) -> str:
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "@(" + ",".join(ps_literal(v) for v in value) + ")"
    if isinstance(value, dict):
        inner = "; ".join(f"{ps_literal(str(k))}={ps_literal(v)}" for k, v in value.items())
        return "@{" + inner + "}"
    return _string(str(value))


#: The characters PowerShell's tokenizer accepts as a single quote (CharExtensions.IsSingleQuote
#: in PowerShell's source): ' ‘ ’ ‚ ‛. Each is doubled inside a single-quoted string.
_QUOTES = "'\u2018\u2019\u201a\u201b"


def _string(text: str) -> str:
    """A single-quoted literal; control characters (a newline would end a `# ` comment line
    and start a command) are spliced in as `[char]N`, so the literal stays on one line."""
    parts: list[str] = []
    current = ""
    for ch in text:
        if ord(ch) < 32 or ord(ch) == 127:
            parts.append("'" + current + "'")
            parts.append(f"[char]{ord(ch)}")
            current = ""
        elif ch in _QUOTES:
            current += ch + ch
        else:
            current += ch
    parts.append("'" + current + "'")
    if len(parts) == 1:
        return parts[0]
    return "(" + " + ".join(p for p in parts if p != "''") + ")"


def _argument(name: str, value: Any) -> str:
    """-CSVData is a byte[] (New-MigrationBatch): the plan holds the CSV text."""
    if name == "CSVData" and isinstance(value, str):  # one line: a commented-out call stays so
        rows = ",".join(ps_literal(r) for r in value.splitlines())
        return f'([System.Text.Encoding]::UTF8.GetBytes((@({rows}) -join "`r`n")))'
    return ps_literal(value)


def _parameter(name: str, value: Any) -> str:
    """`-Name value`; booleans as `-Name:$true`, the one form both [bool] and [switch]
    parameters bind (`-AutoStart $true` would pass `$true` positionally to a switch)."""
    if isinstance(value, bool):
        return f"-{name}:{ps_literal(value)}"
    return f"-{name} {_argument(name, value)}"


class _Raw:
    """A PowerShell expression t2t writes itself (a prompt), never a value from the plan."""

    def __init__(self, text: str) -> None:
        self.text = text


def _credential_prompt(user_name: Any) -> str:
    """A PSCredential is never a value in the script: the admin types the secret."""
    return (
        f"(Get-Credential -UserName {ps_literal(str(user_name))} -Message "
        "'The client secret of the migration app (create one in the app registration first)')"
    )


def _password_prompt(upn: Any) -> str:
    return f"(Read-Host -AsSecureString -Prompt {ps_literal(f'A password for {upn}')})"


def _calls(action: Action) -> list[str]:
    """The cmdlet lines of one Exchange action, as an admin would type them.

    What t2t's client adds on the wire (wire.py) is written out: `-Confirm:$false` on a
    ConfirmImpact=High cmdlet, `-BypassSecurityGroupManagerCheck` on a membership change,
    prompts where a credential or a password goes.
    """
    params = dict(action.parameters)
    if "Credentials" in params:
        params["Credentials"] = _Raw(_credential_prompt(params.get("ApplicationId", "")))
    if action.cmdlet == "New-MailUser" and "Password" not in params:
        upn = params.get("MicrosoftOnlineServicesID") or params.get("Name", "")
        params["Password"] = _Raw(_password_prompt(upn))
    if action.cmdlet.lower() in HIGH_IMPACT and "Confirm" not in params:
        params["Confirm"] = False
    if action.cmdlet == "Add-DistributionGroupMember" and "Members" in params:
        members = params.pop("Members")
        rest = " ".join(_parameter(k, v) for k, v in params.items())
        return [
            f"Add-DistributionGroupMember {rest} -Member {ps_literal(m)} "
            "-BypassSecurityGroupManagerCheck:$true"
            for m in members
        ]
    args = " ".join(
        f"-{k} {v.text}" if isinstance(v, _Raw) else _parameter(k, v) for k, v in params.items()
    )
    return [f"{action.cmdlet} {args}".rstrip()]


def _connect(role: str, tenant_id: str) -> list[str]:
    """Sign in to the tenant the next actions run in (interactive, as an administrator)."""
    return [
        "",
        f"# ---- {role} tenant {tenant_id}: sign in as an administrator of that tenant ----",
        "Disconnect-ExchangeOnline -Confirm:$false -ErrorAction SilentlyContinue",
        "Connect-ExchangeOnline -ShowBanner:$false",
        f"Connect-MgGraph -TenantId {ps_literal(tenant_id)} -NoWelcome -Scopes "
        "'User.ReadWrite.All','Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All',"
        "'User.Invite.All'",
    ]


def render_powershell(plan: Plan) -> str:
    lines = [
        f"# t2t plan {plan.spec_name}: the same actions as Exchange Online PowerShell.",
        f"# Source tenant {plan.source_tenant}, target tenant {plan.target_tenant}.",
        "# Run it block by block, in order: each block signs in to its tenant first.",
    ]
    tenants = {"source": plan.source_tenant, "target": plan.target_tenant}
    current = ""
    for action in plan.actions:
        if action.tenant != current and not action.blocked:
            current = action.tenant
            lines.extend(_connect(current, tenants.get(current, current)))
        lines.append("")
        lines.append(f"# {action.id} ({action.tenant} tenant): {action.summary}")
        if action.blocked:
            lines.append(f"# BLOCKED by {', '.join(action.blocked_by)}: not run by t2t apply")
        if not kind_of(action.kind).powershell:  # a Graph REST call or a person's step
            lines.append(f"# {action.cmdlet} (Microsoft Graph or by hand, not Exchange):")
            lines.extend(
                f"#   {k} = {json.dumps(v, ensure_ascii=False)}"
                for k, v in action.parameters.items()
            )
            continue
        prefix = "# " if action.blocked else ""
        lines.extend(prefix + call for call in _calls(action))
    if not plan.actions:
        lines.append("# Nothing to do.")
    return "\n".join(lines) + "\n"
