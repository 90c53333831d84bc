"""The plan as the equivalent Exchange Online PowerShell, so an admin can always run it by hand.

Every value from the spec or a tenant stays inside a literal or a comment, never pasted raw: a
value cannot inject a command. What PowerShell itself says, in its tokenizer
(PowerShell/PowerShell src/System.Management.Automation/engine/parser/tokenizer.cs, CharTraits.cs)
and the language specification (learn.microsoft.com/powershell/scripting/lang-spec/chapter-02):

- Lines end at CR (U+000D) and LF (U+000A) only (spec §2.2.2; `ScanToEndOfCommentLine` and
  `SkipLineComment` stop at those two). U+0085 (NEL) is whitespace (`IsWhitespace`:
  `SpecialChars.NextLine`), U+2028 and U+2029 are whitespace too (`char.IsSeparator`; spec §2.2.4:
  Unicode classes Zs, Zl, Zp). A `# ` comment therefore runs to the next CR or LF, and `<#`,
  `#>`, quotes, backticks and `$(` inside it are inert.
- A single-quoted string ends at any of ' U+2018 U+2019 U+201A U+201B (`IsSingleQuote`; spec
  §2.3.5.2 single-quote-character), a quote doubled is one quote, and nothing else is special
  in it: no `$(...)`, no backtick escape. The double quotes " U+201C U+201D U+201E
  (`IsDoubleQuote`) matter only in expandable strings, which this rendering never fills.
- A comment that resembles "# SIG # Begin signature block" is taken for the start of a
  signature, and every statement after it is refused (`ScanToEndOfCommentLine`: the comment's
  non-blank characters, lower-cased, with the line's end, within edit distance 10 of
  "sig#beginsignatureblock"; `CheckAstIsBeforeSignature`, TokenAfterEndOfValidScriptText).

So: values are single-quoted literals with every quote character doubled; inside a literal and
in a comment, every control, format and line/paragraph separator character (Unicode Cc, Cf, Cs,
Zl, Zp) is written out — spliced in as `[char]N` in a literal, escaped as `\\uXXXX` in a comment —
although PowerShell breaks lines only at CR and LF: editors, pagers and diffs break them at
NEL, U+2028 and U+2029 too, and bidirectional controls can make a line read as something else
("Trojan Source", CVE-2021-42574), and the admin reads this script before running it. A
comment that PowerShell would take for a signature gets a suffix that makes it too long to.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

from t2t.clients.wire import HIGH_IMPACT
from t2t.planner import Action, Plan
from t2t.planner.kinds import kind_of
from t2t.planner.shared.app import KNOWN_AFTER_APPLY
from t2t.render.counts import waves_line


def ps_literal(value: Any) -> str:
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # `inf` or `nan` bare would be a command name
        return repr(value) if math.isfinite(value) else f"[double]'{value}'"
    if isinstance(value, list | tuple):
        return "@(" + ",".join(ps_literal(v) for v in value) + ")"
    if isinstance(value, dict):
        inner = "; ".join(f"{ps_literal(str(k))}={ps_literal(v)}" for k, v in value.items())
        return "@{" + inner + "}"
    return _string(str(value))


#: The characters PowerShell's tokenizer accepts as a single quote (CharExtensions.IsSingleQuote
#: in PowerShell's source): ' ‘ ’ ‚ ‛. Each is doubled inside a single-quoted string.
_QUOTES = "'\u2018\u2019\u201a\u201b"
#: Written out, never left raw, in a literal or a comment (module docstring): controls (CR and LF
#: among them), format characters (bidirectional controls among them), lone surrogates, and the
#: line and paragraph separators.
_WRITTEN_OUT = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _written_out(ch: str) -> bool:
    return unicodedata.category(ch) in _WRITTEN_OUT


def _char(ch: str) -> str:
    """`[char]N` for one character; a character beyond U+FFFF as its UTF-16 pair ([char] is one
    UTF-16 code unit, .NET's System.Char)."""
    code = ord(ch)
    if code <= 0xFFFF:
        return f"[char]{code}"
    code -= 0x10000
    return f"[char]{0xD800 + (code >> 10)} + [char]{0xDC00 + (code & 0x3FF)}"


def _string(text: str) -> str:
    """A single-quoted literal, with the characters in `_WRITTEN_OUT` spliced in as `[char]N`
    so the literal stays on one visible line: `('x' + [char]10 + 'y')`. The expression always
    starts with a string: PowerShell adds `[char]` to `[char]` as numbers."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        if _written_out(ch):
            if current or not pieces:
                pieces.append("'" + current + "'")
            pieces.append(_char(ch))
            current = ""
        elif ch in _QUOTES:
            current += ch + ch
        else:
            current += ch
    if current or not pieces:
        pieces.append("'" + current + "'")
    return pieces[0] if len(pieces) == 1 else "(" + " + ".join(pieces) + ")"


#: PowerShell's test for a fake signature line (tokenizer.cs `ScanToEndOfCommentLine`).
_SIGNATURE = "sig#beginsignatureblock\n"
_SIGNATURE_DISTANCE = 10
_SIGNATURE_LENGTHS = range(len(_SIGNATURE) - 10, len(_SIGNATURE) + 10 + 1)  # outside: no match
_NOT_A_SIGNATURE = " (t2t: a comment, not a signature)"


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, as tokenizer.cs `GetStringSimilarity` computes it."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _looks_like_signature(line: str) -> bool:
    """What PowerShell compares: the comment after its '#', without whitespace, lower-cased,
    with the line's end."""
    seen = "".join(ch for ch in line[1:] if not ch.isspace()).lower() + "\n"
    return len(seen) in _SIGNATURE_LENGTHS and _distance(seen, _SIGNATURE) < _SIGNATURE_DISTANCE


def _comment(text: str) -> str:
    """One `# ` comment line holding `text` and nothing that could end or disguise it."""
    line = "# " + "".join(f"\\u{ord(ch):04x}" if _written_out(ch) else ch for ch in text)
    return line + _NOT_A_SIGNATURE if _looks_like_signature(line) else line


#: PowerShell's line ends (module docstring), where the CSV text of -CSVData splits into rows.
_LINE_END = re.compile(r"\r\n|\r|\n")
_PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _argument(name: str, value: Any) -> str:
    """-CSVData is a byte[] (New-MigrationBatch): the plan holds the CSV text."""
    if name == "CSVData" and isinstance(value, str):  # one line: a commented-out call stays so
        rows = ",".join(ps_literal(r) for r in _LINE_END.split(value.rstrip("\r\n")))
        return f'([System.Text.Encoding]::UTF8.GetBytes((@({rows}) -join "`r`n")))'
    return ps_literal(value)


def _parameter(name: str, value: Any) -> str:
    """`-Name value`; booleans as `-Name:$true`, the one form both [bool] and [switch]
    parameters bind (`-AutoStart $true` would pass `$true` positionally to a switch)."""
    if not _PARAMETER_NAME.fullmatch(name):  # t2t's own names: never a value from the plan
        raise ValueError(f"not a PowerShell parameter name: {name!r}")
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


def _certificate_id(vault: dict[str, Any]) -> str:
    """The vault certificate's current version, read when the script runs (the walkthrough
    script's `$certificatePublicKey.Id`, from Get-AzKeyVaultCertificate)."""
    name, cert = (
        ps_literal(str(vault.get("name", ""))),
        ps_literal(str(vault.get("certificate_name", ""))),
    )
    return f"(Get-AzKeyVaultCertificate -VaultName {name} -Name {cert}).Id"


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
    vault = action.desired.get("key_vault")
    if params.get("AppSecretKeyVaultUrl") == KNOWN_AFTER_APPLY and isinstance(vault, dict):
        params["AppSecretKeyVaultUrl"] = _Raw(_certificate_id(vault))
    if action.cmdlet == "New-MailUser" and "Password" not in params:
        upn = params.get("MicrosoftOnlineServicesID") or params.get("Name", "")
        params["Password"] = _Raw(_password_prompt(upn))
    if action.cmdlet.lower() in HIGH_IMPACT and "Confirm" not in params:
        params["Confirm"] = False
    if action.cmdlet == "Add-DistributionGroupMember" and isinstance(params.get("Member"), list):
        members = params.pop("Member")
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
        _comment(
            f"---- {role} tenant {tenant_id}: sign in as an administrator of that tenant ----"
        ),
        "Disconnect-ExchangeOnline -Confirm:$false -ErrorAction SilentlyContinue",
        "Connect-ExchangeOnline -ShowBanner:$false",
        f"Connect-MgGraph -TenantId {ps_literal(tenant_id)} -NoWelcome -Scopes "
        "'User.ReadWrite.All','Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All',"
        "'User.Invite.All'",
    ]


def render_powershell(plan: Plan) -> str:
    lines = [
        _comment(f"t2t plan {plan.spec_name}: the same actions as Exchange Online PowerShell."),
        _comment(f"Source tenant {plan.source_tenant}, target tenant {plan.target_tenant}."),
        *([_comment(waves)] if (waves := waves_line(plan)) else []),
        "# Run it block by block, in order: each block signs in to its tenant first.",
    ]
    tenants = {"source": plan.source_tenant, "target": plan.target_tenant}
    current = ""
    for action in plan.actions:
        if action.tenant != current and not action.blocked:
            current = action.tenant
            lines.extend(_connect(current, tenants.get(current, current)))
        lines.append("")
        lines.append(_comment(f"{action.id} ({action.tenant} tenant): {action.summary}"))
        if action.blocked:
            lines.append(
                _comment(f"BLOCKED by {', '.join(action.blocked_by)}: not run by t2t apply")
            )
        if not kind_of(action.kind).powershell:  # a Graph or Azure REST call, a person's step
            lines.append(
                _comment(f"{action.cmdlet} (Microsoft Graph, Azure or by hand, not Exchange):")
            )
            lines.extend(
                _comment(f"  {k} = {json.dumps(v, ensure_ascii=False)}")
                for k, v in action.parameters.items()
            )
            continue
        calls = _calls(action)
        lines.extend(_comment(call) if action.blocked else call for call in calls)
    if not plan.actions:
        lines.append("# Nothing to do.")
    return "\n".join(lines) + "\n"
