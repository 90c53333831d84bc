"""The OPATH `-Filter` of Get-MailUser, Get-Mailbox, Get-Recipient and Get-User: the subset t2t
sends.

Sources: Microsoft Learn "Filterable properties for the -Filter parameter"
(https://learn.microsoft.com/powershell/exchange/filter-properties, FP below) and "Additional
OPATH syntax information" (https://learn.microsoft.com/powershell/exchange/recipient-filters,
RF below).

Emulated: comparisons ``Property -eq 'value'`` and ``-ne``, joined by ``-and`` / ``-or``, ``-not``
and parentheses (RF: "Include the hyphen before all logical or comparison operators … -and,
-or, -not, -eq, -ne"); text values in single quotation marks with an embedded one doubled (RF:
``'$($User -Replace "'","''")'``) or in double quotation marks (RF's table: a filter in braces
may hold ``"Text"``), doubled likewise (PowerShell's quoting rules, about_Quoting_Rules);
integers unquoted (RF: "You don't need to enclose integers"); the system value ``$null`` (FP:
"To look for blank or non-blank property values, use the value $null (for example, 'Property
-eq $null' or 'Property -ne $null')" — a property is blank when it holds no value). Comparisons
ignore case, as the directory's string attributes do. Properties: those FP lists for each
cmdlet among Name, EmailAddresses, UserPrincipalName, ExternalDirectoryObjectId and
PreviousRecipientTypeDetails (Get-User; FP's example ``Get-User -Filter
'PreviousRecipientTypeDetails -ne $null'``).

Refused as Exchange refuses them, with PowerShell's binding error (a ParameterBindingException
before the cmdlet runs): a filter that does not parse — ``Cannot bind parameter 'Filter' to the
target. Exception setting "Filter": "Invalid filter syntax. For a description of the filter
parameter syntax see the command help. "<filter>" at position N."`` (Microsoft Q&A, "Email
address policy RecipientFilter", the same parser behind -RecipientFilter); an emulated property
on a cmdlet FP does not list it for — ``… ""<property>" is not a recognized filterable property.
Valid property names are: …`` (Microsoft Q&A 179546; FP: "Using it on a cmdlet that isn't listed
returns a 'not a recognized filterable property' error"). Other operators (``-like``, ``-lt``…),
other system values (``$true``, ``$false``) and every other property are valid OPATH the sandbox
does not model: refused as not emulated, never ignored.

Assumptions (no source fixes them; README open questions): ``-and`` and ``-or`` bind equally,
left to right, as PowerShell's operators do (about_Operator_Precedence) — t2t parenthesizes every
clause, so it never depends on this; ``-not`` applies to the comparison or parenthesized group
after it; the position in a syntax error counts characters from 1 to where parsing stopped;
only the ASCII hyphen starts an operator (the Q&A example above fails on an en dash), and only
ASCII quotation marks quote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from t2t.sandbox.exchange.errors import NOT_EMULATED, CmdletError, binding_error

#: Each emulated property and the cmdlets FP lists it for (its "Cmdlets" column).
FILTERABLE: dict[str, frozenset[str]] = {
    "Name": frozenset({"get-mailbox", "get-mailuser", "get-recipient"}),
    "EmailAddresses": frozenset({"get-mailbox", "get-mailuser", "get-recipient"}),
    "UserPrincipalName": frozenset({"get-mailbox", "get-mailuser"}),
    "ExternalDirectoryObjectId": frozenset({"get-mailbox", "get-mailuser", "get-recipient"}),
    "PreviousRecipientTypeDetails": frozenset({"get-user"}),  # and Get-LinkedUser (not emulated)
}

#: The cmdlets for which every emulated property's FP row was checked: on these, a property FP
#: does not list for the cmdlet is refused as Exchange refuses it. On the others (Get-User),
#: only the properties listed for them are modelled; any other is "not emulated".
FULLY_CHECKED = frozenset({"get-mailbox", "get-mailuser", "get-recipient"})

#: OPATH operators RF names that the sandbox does not evaluate.
_OTHER_OPERATORS = frozenset({"-like", "-notlike", "-lt", "-gt", "-le", "-ge", "-xor"})


class FilterSyntaxError(Exception):
    """The filter does not parse; ``position`` counts from 1 (an assumption, see above)."""

    def __init__(self, position: int) -> None:
        super().__init__(f"at position {position}")
        self.position = position


class NotFilterable(Exception):
    """A property this cmdlet does not accept in -Filter (FP's table)."""

    def __init__(self, name: str, valid: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.valid = valid


class NotModelled(Exception):
    """Valid OPATH the sandbox does not evaluate (the message says what)."""


@dataclass(frozen=True)
class Compare:
    prop: str
    value: str | None  # None: $null, the property is blank


@dataclass(frozen=True)
class Not:
    inner: Expr


@dataclass(frozen=True)
class Join:
    op: str  # "and" | "or"
    left: Expr
    right: Expr


Expr = Compare | Not | Join


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" ")" "op" "name" "value" "null" "end"
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(_Token(c, c, i))
            i += 1
        elif c in "'\"":
            j, chars = i + 1, []
            while True:
                if j >= n:
                    raise FilterSyntaxError(i + 1)  # unterminated
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:  # doubled: one literal quote
                        chars.append(c)
                        j += 2
                        continue
                    break
                chars.append(text[j])
                j += 1
            out.append(_Token("value", "".join(chars), i))
            i = j + 1
        elif c == "-" and i + 1 < n and text[i + 1].isalpha():
            j = i + 1
            while j < n and text[j].isalpha():
                j += 1
            out.append(_Token("op", text[i:j].lower(), i))
            i = j
        elif c == "$":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if text[i:j].lower() != "$null":
                raise NotModelled(f"the system value {text[i:j]!r} in -Filter")
            out.append(_Token("null", text[i:j], i))
            i = j
        elif c.isascii() and (c.isalnum() or c == "_"):
            j = i
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] in "_."):
                j += 1
            word = text[i:j]
            kind = "value" if word.isdigit() else "name"
            out.append(_Token(kind, word, i))
            i = j
        else:
            raise FilterSyntaxError(i + 1)
    out.append(_Token("end", "", n))
    return out


class _Parser:
    def __init__(self, text: str, cmdlet: str) -> None:
        self._toks = _tokens(text)
        self._i = 0
        self._cmdlet = cmdlet.lower()

    def _peek(self) -> _Token:
        return self._toks[self._i]

    def _take(self, kind: str) -> _Token:
        tok = self._peek()
        if tok.kind != kind:
            raise FilterSyntaxError(tok.at + 1)
        self._i += 1
        return tok

    def parse(self) -> Expr:
        expr = self._expr()
        self._take("end")
        return expr

    def _expr(self) -> Expr:
        left = self._unary()
        while self._peek().kind == "op" and self._peek().text in ("-and", "-or"):
            op = self._take("op").text[1:]
            left = Join(op, left, self._unary())
        return left

    def _unary(self) -> Expr:
        tok = self._peek()
        if tok.kind == "op" and tok.text == "-not":
            self._i += 1
            return Not(self._unary())
        if tok.kind == "(":
            self._i += 1
            inner = self._expr()
            self._take(")")
            return inner
        return self._compare()

    def _compare(self) -> Expr:
        name = self._take("name")
        op = self._take("op")
        if op.text in _OTHER_OPERATORS:
            raise NotModelled(f"the operator {op.text} in -Filter")
        if op.text not in ("-eq", "-ne"):
            raise FilterSyntaxError(op.at + 1)
        value = self._take("null" if self._peek().kind == "null" else "value")
        prop = _property(name.text, self._cmdlet)
        compare = Compare(prop, None if value.kind == "null" else value.text)
        return Not(compare) if op.text == "-ne" else compare


def _property(name: str, cmdlet: str) -> str:
    known = {p.lower(): p for p in FILTERABLE}
    prop = known.get(name.lower())
    if prop is None:
        raise NotModelled(f"the property {name!r} in -Filter")
    if cmdlet not in FILTERABLE[prop]:
        if cmdlet not in FULLY_CHECKED:
            raise NotModelled(f"the property {name!r} in -Filter")
        valid = sorted(p for p, where in FILTERABLE.items() if cmdlet in where)
        raise NotFilterable(name, valid)
    return prop


def parse(text: str, cmdlet: str) -> Expr:
    """The filter's expression tree; FilterSyntaxError, NotFilterable or NotModelled."""
    return _Parser(text, cmdlet).parse()


def bind(text: str, cmdlet: str) -> Expr:
    """The filter of ``cmdlet``, or the CmdletError Exchange (or, for what is not modelled,
    the sandbox) answers."""
    setting = "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": "
    try:
        return parse(text, cmdlet)
    except FilterSyntaxError as exc:
        raise binding_error(
            f'{setting}"Invalid filter syntax. For a description of the filter parameter '
            f'syntax see the command help.\n"{text}" at position {exc.position}."'
        ) from exc
    except NotFilterable as exc:
        raise binding_error(
            f'{setting}""{exc.name}" is not a recognized filterable property. Valid property '
            f'names are: {", ".join(exc.valid)}."'
        ) from exc
    except NotModelled as exc:
        raise CmdletError(
            501,
            NOT_EMULATED,
            f"The t2t sandbox does not emulate {exc} of {cmdlet} yet.",
            code="NotImplemented",
            error_id="",
        ) from exc


#: A recipient's values of one property (multi-valued properties give several).
Values = Callable[[str], list[str]]


def _same(prop: str, have: str, wanted: str) -> bool:
    """FP, EmailAddresses: "When you use a complete email address, you don't need to account
    for the smtp: prefix" — a value without a prefix is an SMTP address (ProxyAddress reads
    an address without a prefix as SMTP); with one, the whole proxy compares."""
    have, wanted = have.lower(), wanted.lower()
    if prop != "EmailAddresses":
        return have == wanted
    if ":" in wanted.split("@", 1)[0]:
        return have == wanted
    return have.startswith("smtp:") and have[5:] == wanted


def matches(expr: Expr, values: Values) -> bool:
    """Whether a recipient (its property values) passes; a multi-valued property matches when
    it contains the value (FP: "the filter returns a match if the property contains the
    specified value")."""
    if isinstance(expr, Compare):
        if expr.value is None:
            return not [v for v in values(expr.prop) if v]
        return any(_same(expr.prop, v, expr.value) for v in values(expr.prop))
    if isinstance(expr, Not):
        return not matches(expr.inner, values)
    if expr.op == "and":
        return matches(expr.left, values) and matches(expr.right, values)
    return matches(expr.left, values) or matches(expr.right, values)


def candidate_keys(expr: Expr) -> set[str] | None:
    """Lower-case identities (directory.py's index keys) one of which every match holds, or
    None when a match may hold none of them (a negation, a non-SMTP proxy): then every
    recipient is checked."""
    if isinstance(expr, Compare):
        if expr.value is None:
            return None  # blank: no identity to look up
        value = expr.value.lower()
        if expr.prop == "EmailAddresses" and ":" in value.split("@", 1)[0]:
            if not value.startswith("smtp:"):
                return None  # an X500 or other proxy: not an identity the index holds
            value = value[5:]
        return {value}
    if isinstance(expr, Not):
        return None
    left, right = candidate_keys(expr.left), candidate_keys(expr.right)
    if expr.op == "and":
        if left is None:
            return right
        if right is None:
            return left
        return left if len(left) <= len(right) else right
    if left is None or right is None:
        return None
    return left | right
