"""The parameters a cmdlet takes for t2t's identity, from the module Exchange generates for it.

Why: RBAC decides parameters as well as cmdlets — "you might not have access to some parameters
if they aren't included in the permissions assigned to you" (every Exchange cmdlet reference,
e.g. Set-MailUser) — and the module file (`GET /adminapi/v1.0/{tenant}/EXOModuleFile`, what
Connect-ExchangeOnline loads) is generated for the caller: one `function script:<Verb-Noun>`
per cmdlet (philband/go-exoscc `cmd/fetch-spec/main.go` counts them with
`(?m)^function script:[A-Za-z]+-[A-Za-z0-9]+`) whose `param(…)` block declares its parameters
(`generator/extract-catalog.ps1` reads them from it), and "the refreshed cmdlet set tracks the
app's role membership" (go-exoscc README). A parameter missing there is what PowerShell's binder
answers with "A parameter cannot be found that matches parameter name 'ExchangeGuid'." (the seed
walkthrough's comment 9). One read per tenant, and no role beyond the session itself.

A parameter is read as `${Name}` (the form Export-PSSession proxies use) or `$Name`; anything
inside an attribute (`[Parameter(Mandatory=$true)]`) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_FUNCTION = re.compile(r"(?im)^\s*function\s+(?:script:|global:)?([A-Za-z]+-[A-Za-z0-9]+)\b")
_PARAM = re.compile(r"(?i)\bparam\s*\(")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_CONSTANTS = frozenset({"true", "false", "null"})


def _param_block(text: str, start: int, end: int) -> str | None:
    """The text inside the first `param(…)` between start and end, brackets balanced."""
    match = _PARAM.search(text, start, end)
    if match is None:
        return None
    depth, i = 1, match.end()
    while i < end and depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return text[match.end() : i - 1] if depth == 0 else None


def _without_attributes(block: str) -> str:
    """The param block with every `[...]` (type constraints, attributes) removed."""
    out: list[str] = []
    depth = 0
    for ch in block:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def cmdlet_parameters(text: str, cmdlets: Iterable[str]) -> dict[str, tuple[str, ...] | None]:
    """For each of `cmdlets`, the parameters its function in the module declares, or None when
    the module has no function of that name (the identity may not run the cmdlet at all).
    A cmdlet whose function has no readable param block is left out, and the answer is empty
    when the module holds no function at all: a form t2t does not know says nothing."""
    starts = [(m.group(1).lower(), m.start()) for m in _FUNCTION.finditer(text)]
    if not starts:
        return {}
    bounds = {
        name: (pos, starts[i + 1][1] if i + 1 < len(starts) else len(text))
        for i, (name, pos) in enumerate(starts)
    }
    out: dict[str, tuple[str, ...] | None] = {}
    for cmdlet in cmdlets:
        where = bounds.get(cmdlet.lower())
        if where is None:
            out[cmdlet] = None
            continue
        block = _param_block(text, *where)
        if block is None:  # a form t2t does not know: nothing said of this cmdlet
            continue
        names = (a or b for a, b in _VARIABLE.findall(_without_attributes(block)))
        out[cmdlet] = tuple(dict.fromkeys(n for n in names if n.lower() not in _CONSTANTS))
    return out
