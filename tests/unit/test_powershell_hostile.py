"""Hostile values in the PowerShell rendering stay inside their literal or their comment.

Checked with tests/unit/powershell_reader.py, which reads a script by PowerShell's rules: every
line must be blank, a `# ` comment with nothing that could end or disguise it, or one command
whose arguments are literals — and each literal must read back as exactly the value the plan
holds. A spec and a tenant full of quotes, line breaks, `$(...)`, backticks, `<#`/`#>`, bidi
controls and a fake signature line must give the same commands as an innocent one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from t2t.planner import Action, Plan, build_plan
from t2t.render import ps_literal, render_powershell
from t2t.spec import load_spec
from t2t.state.load import snapshot_from_json
from tests.planner.cases import ROOT as CASES
from tests.planner.cases import whole
from tests.unit.powershell_reader import Command, read_script, read_value

#: Every character, lone surrogates included (a JSON string may carry one).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)

HOSTILE = {
    "APP": "app\nRemove-Mailbox -Identity ceo -Confirm:$false #\r<# x #>\u2028Stop-Computer",
    "GROUP": "g'; Remove-Mailbox -Identity ceo -Confirm:$false; '\u2018\u2019\u201a\u201b#",
    # at most 64 characters: Exchange's limit on -Name, which the planner cuts to
    "NAME": "n\nRemove-Mailbox x\r\n#>\u0085Stop-Computer\u2028<#\u2029`$(gc s)"
    '"\u201c\u201d\u201e\u202eevil\u202c\x00\x1b[2J',
}
INNOCENT = {key: f"innocent {key.lower()}" for key in HOSTILE}


def _plan(values: dict[str, str], tmp_path: Path) -> Plan:
    """The fresh-target case, with the app, the scope group and the source's display name
    taken from `values`: one of each kind of place a value reaches — a Graph parameter and
    summaries (comments), a cmdlet argument, a list member."""
    case = CASES / "mailboxes" / "fresh-target-plans-the-whole-chain"
    spec = yaml.safe_load((case / "spec.yaml").read_text(encoding="utf-8"))
    spec["relationship"]["app"] = {"displayName": values["APP"]}
    spec["relationship"]["scopeGroup"] = values["GROUP"]
    spec["relationship"]["credential"] = "clientSecret"
    del spec["relationship"]["keyVault"]
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    observed = json.loads((case / "observed.json").read_text(encoding="utf-8"))
    observed["source"]["parts"]["recipients"]["value"][0]["display_name"] = values["NAME"]
    return build_plan(
        load_spec(path, check_git=False), whole(snapshot_from_json(json.dumps(observed)))
    )


def _swap(value: Any, mapping: dict[str, str]) -> Any:
    """`value` with each innocent text replaced by its hostile counterpart."""
    if isinstance(value, str):
        for innocent, hostile in mapping.items():
            value = value.replace(innocent, hostile)
        return value
    if isinstance(value, list | tuple):
        return type(value)(_swap(v, mapping) for v in value)
    if isinstance(value, dict):
        return {_swap(k, mapping): _swap(v, mapping) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return type(value)(*(_swap(getattr(value, f), mapping) for f in value.__dataclass_fields__))
    return value


def test_a_hostile_spec_and_tenant_give_the_same_commands_as_innocent_ones(tmp_path: Path) -> None:
    innocent = read_script(render_powershell(_plan(INNOCENT, tmp_path)))
    hostile = read_script(render_powershell(_plan(HOSTILE, tmp_path)))
    mapping = {INNOCENT[k]: HOSTILE[k] for k in HOSTILE}
    innocent_commands = [line for line in innocent if isinstance(line, Command)]
    hostile_commands = [line for line in hostile if isinstance(line, Command)]
    assert hostile_commands == [_swap(c, mapping) for c in innocent_commands]
    # the same lines, one for one: a value added none and ended none
    kinds = [type(line).__name__ for line in innocent]
    assert [type(line).__name__ for line in hostile] == kinds
    names = {c.name for c in hostile_commands}
    assert {"New-DistributionGroup", "New-MailUser", "New-OrganizationRelationship"} <= names
    # every hostile value reached the script, inside a literal
    arguments = json.dumps([c.arguments for c in hostile_commands], default=repr)
    assert json.dumps(HOSTILE["GROUP"])[1:-1] in arguments
    assert json.dumps(HOSTILE["NAME"])[1:-1] in arguments


def test_a_fake_signature_line_is_not_taken_for_one() -> None:
    """A short Graph parameter line holding "SIG # Begin signature block" would read to
    PowerShell as the start of a signature, and it would refuse every command after it."""
    url = {"url": "SIG # Begin signature block"}
    plan = _plan_of(
        _action(1, "consent.await", "admin consent by a person", url, "s", "k", False),
        _action(2, "group.create", "New-DistributionGroup", {"Name": "g"}, "s", "g", False),
    )
    script = render_powershell(plan)
    line = next(x for x in script.splitlines() if x.startswith("#   url = "))
    assert line == '#   url = "SIG # Begin signature block" (t2t: a comment, not a signature)'
    lines = read_script(script)  # no comment starts a signature …
    assert Command("New-DistributionGroup", (("Name", "g"),)) in lines  # … so this one runs


@given(ANY_TEXT)
@settings(max_examples=400)
def test_any_text_reads_back_from_its_literal(text: str) -> None:
    literal = ps_literal(text)
    assert read_value(literal) == text


def _action(
    n: int,
    kind: str,
    cmdlet: str,
    parameters: dict[str, Any],
    summary: str,
    key: str,
    blocked: bool,
) -> Action:
    return Action(
        id=f"target:{kind}:{key}",
        tenant="target",
        kind=kind,
        key=key,
        operation="update",
        cmdlet=cmdlet,
        parameters=parameters,
        fingerprint=str(n),
        summary=summary,
        blocked_by=("T2T-E999",) if blocked else (),
    )


#: Cmdlets the rendering writes as they are (no prompt, no -Confirm, no split), and Graph kinds.
PASTED = [("group.create", "New-DistributionGroup"), ("mailuser.set_identity", "Set-MailUser")]
GRAPH = [
    ("app.create", "Graph PATCH /applications"),
    ("invitation.send", "Graph POST /invitations"),
]
VALUES = st.one_of(
    ANY_TEXT,
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.lists(ANY_TEXT, max_size=3),
    st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=2),
)
PARAMETERS = st.dictionaries(
    st.sampled_from(["Identity", "Name", "DisplayName", "Members", "Type"]), VALUES, max_size=4
)


def _plan_of(*actions: Action, name: str = "s", source: str = "src", target: str = "tgt") -> Plan:
    return Plan(
        spec_name=name,
        spec_path="s.yaml",
        source_tenant=source,
        target_tenant=target,
        actions=actions,
        findings=(),
        unknowns=(),
    )


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    actions = []
    for n in range(draw(st.integers(1, 4))):
        kind, cmdlet = draw(st.sampled_from(PASTED + GRAPH))
        actions.append(
            _action(
                n,
                kind,
                cmdlet,
                draw(PARAMETERS),
                draw(ANY_TEXT),
                draw(ANY_TEXT),
                draw(st.booleans()),
            )
        )
    return _plan_of(*actions, name=draw(ANY_TEXT), source=draw(ANY_TEXT), target=draw(ANY_TEXT))


@given(plans())
@settings(max_examples=200, deadline=None)
def test_any_plan_renders_to_exactly_its_commands(plan: Plan) -> None:
    lines = read_script(render_powershell(plan))
    commands = [line for line in lines if isinstance(line, Command)]
    ours = {"Disconnect-ExchangeOnline", "Connect-ExchangeOnline", "Connect-MgGraph"}
    expected = [
        Command(a.cmdlet, tuple(a.parameters.items()))
        for a in plan.actions
        if not a.blocked and (a.kind, a.cmdlet) in PASTED
    ]
    assert [c for c in commands if c.name not in ours] == expected
    signs_in = [c for c in commands if c.name == "Connect-MgGraph"]
    assert all(c.arguments[0] == ("TenantId", plan.target_tenant) for c in signs_in)
