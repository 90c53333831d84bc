"""Address rewrite rules: source domain → target domain, and back.

A rule replaces the domain of an address and keeps the local part as written
(``Debra@contoso.com`` → ``Debra@fabrikam.com``). The reverse direction exists because
Microsoft's own batch CSV has a single ``EmailAddress`` column holding the **target**
addresses (source addresses there give ``MigrationRecipientNotFoundException``;
microsoft-t2t.md §6): to know which source mailbox a row means, t2t undoes the rule.
That is only possible when exactly one rule maps onto the target's domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    from_domain: str  # lowercase
    to_domain: str  # lowercase
    line: int = 0  # where the rule is written, for messages


@dataclass(frozen=True)
class Reversal:
    """The outcome of undoing the rules for one target address."""

    source: str | None
    problem: str | None


@dataclass
class RewriteRules:
    """The rules of a spec, indexed both ways; domains compare case-insensitively."""

    rules: tuple[Rule, ...]
    _forward: dict[str, Rule] = field(init=False, repr=False)
    _reverse: dict[str, list[Rule]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._forward = {}
        self._reverse = {}
        for rule in self.rules:
            self._forward.setdefault(rule.from_domain, rule)
            self._reverse.setdefault(rule.to_domain, []).append(rule)

    def forward(self, address: str) -> str | None:
        """Target address for a source address, or None when no rule covers its domain."""
        local, _, domain = address.rpartition("@")
        rule = self._forward.get(domain.lower())
        return None if rule is None else f"{local}@{rule.to_domain}"

    def reverse(self, address: str) -> Reversal:
        """Source address for a target address, or why it cannot be derived."""
        local, _, domain = address.rpartition("@")
        rules = self._reverse.get(domain.lower(), [])
        if len(rules) == 1:
            return Reversal(f"{local}@{rules[0].from_domain}", None)
        if not rules:
            return Reversal(
                None,
                f"cannot derive the source of {address}: an EmailAddress column holds target"
                f" addresses (Microsoft's batch CSV format), and no rewrite rule maps onto"
                f" {domain.lower()}; add a rule under identities.rewrite or use the columns"
                " SourceEmail,TargetEmail",
            )
        froms = " and ".join(f"{r.from_domain} (line {r.line})" for r in rules)
        return Reversal(
            None,
            f"cannot derive the source of {address}: an EmailAddress column holds target"
            f" addresses (Microsoft's batch CSV format), and both {froms} map onto"
            f" {domain.lower()}; use the columns SourceEmail,TargetEmail for these mailboxes",
        )
