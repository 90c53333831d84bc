"""Rewrite rules: forward (source → target) and reverse (target → source) are inverses.

The reverse direction is what lets t2t read Microsoft's EmailAddress batch CSV, whose
single column holds target addresses (microsoft-t2t.md §6).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from t2t.spec import load_spec
from t2t.spec.rewrite import RewriteRules, Rule
from t2t.spec.values import address_problem

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_domain = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "net", "org", "nl", "onmicrosoft.com"]),
)
_local = st.from_regex(r"[A-Za-z0-9_+-]{1,12}(\.[A-Za-z0-9_+-]{1,8}){0,2}", fullmatch=True)


@st.composite
def _rules_and_addresses(draw: st.DrawFn) -> tuple[RewriteRules, list[str]]:
    froms = draw(st.lists(_domain, min_size=1, max_size=4, unique=True))
    tos = draw(
        st.lists(_domain, min_size=len(froms), max_size=len(froms), unique=True).filter(
            lambda ts: not set(ts) & set(froms)
        )
    )
    rules = RewriteRules(tuple(Rule(f, t) for f, t in zip(froms, tos, strict=True)))
    addresses = draw(
        st.lists(
            st.builds(
                lambda local, domain, upper: f"{local}@{domain.upper() if upper else domain}",
                _local,
                st.sampled_from(froms),
                st.booleans(),
            ),
            min_size=1,
            max_size=10,
        )
    )
    return rules, addresses


@settings(max_examples=100)
@given(_rules_and_addresses())
def test_reverse_undoes_forward(case: tuple[RewriteRules, list[str]]) -> None:
    rules, addresses = case
    for address in addresses:
        assert address_problem(address) is None
        target = rules.forward(address)
        assert target is not None
        back = rules.reverse(target)
        assert back.problem is None
        assert back.source is not None
        local, _, domain = address.rpartition("@")
        assert back.source == f"{local}@{domain.lower()}"  # local part kept exactly


@settings(max_examples=25, deadline=None)
@given(_rules_and_addresses())
def test_emailaddress_csv_resolves_to_the_original_sources(
    case: tuple[RewriteRules, list[str]],
) -> None:
    rules, addresses = case
    sources = list({a.lower(): a for a in addresses}.values())
    targets = [rules.forward(a) for a in sources]
    rule_lines = "".join(
        f"    - {{from: {r.from_domain}, to: {r.to_domain}}}\n" for r in rules.rules
    )
    spec = f"""version: 1
name: prop
source:
  tenantId: 6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20
  domain: contoso.onmicrosoft.com
  auth: {{interactive: device-code}}
target:
  tenantId: 9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60
  domain: fabrikam.onmicrosoft.com
  auth: {{interactive: device-code}}
relationship:
  app: {{appId: 5f3b8c2d-1e4a-4b6c-9d7e-2a8b4c6d8e0f}}
  credential: clientSecret
  scopeGroup: t2tmigrationscope
identities:
  rewrite:
{rule_lines}  mailboxes:
    - {{csv: wave.csv}}
"""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "spec.yaml").write_text(spec, encoding="utf-8")
        (folder / "wave.csv").write_text("EmailAddress\n" + "\n".join(map(str, targets)) + "\n")
        desired = load_spec(folder / "spec.yaml", check_git=False)
    expected = [f"{a.rpartition('@')[0]}@{a.rpartition('@')[2].lower()}" for a in sources]
    assert [m.source for m in desired.mailboxes] == expected
    assert [m.target for m in desired.mailboxes] == targets


def test_reverse_explains_missing_and_ambiguous_rules() -> None:
    rules = RewriteRules(
        (Rule("contoso.com", "fabrikam.com", 3), Rule("contoso.net", "fabrikam.com", 4))
    )
    assert rules.forward("a@Contoso.NET") == "a@fabrikam.com"
    assert rules.forward("a@northwind.com") is None
    ambiguous = rules.reverse("a@fabrikam.com")
    assert ambiguous.source is None
    assert ambiguous.problem is not None
    assert "both contoso.com (line 3) and contoso.net (line 4) map onto fabrikam.com" in (
        ambiguous.problem
    )
    missing = rules.reverse("a@tailspin.com")
    assert missing.source is None
    assert missing.problem is not None
    assert "no rewrite rule maps onto tailspin.com" in missing.problem
    assert "EmailAddress column holds target addresses" in missing.problem
