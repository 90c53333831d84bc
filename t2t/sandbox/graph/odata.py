"""OData query options as Graph parses them: ``$filter`` (a real tokenizer and parser,
string literals with doubled quotes, never string search), ``$select``, ``$top``.

Grammar subset (OData v4 URL conventions §5.1.1, the forms Graph's directory supports per
https://learn.microsoft.com/graph/filter-query-parameter and
https://learn.microsoft.com/graph/aad-advanced-queries):

    expr    := or
    or      := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | primary
    primary := "(" expr ")" | func | compare
    func    := ("startswith"|"endswith") "(" path "," literal ")"
    compare := path ( ("eq"|"ne"|"gt"|"ge"|"lt"|"le") literal | "in" "(" literal,… ")" )
             | path "/any(" var ":" var["/" prop] op literal ")"
    literal := 'text' (a quote inside is doubled) | number | true | false | null | GUID

Comparison is case-insensitive for strings, as Entra compares directory strings.

At most `MAX_OR_CLAUSES` children under one ``or`` (an ``in`` list counts one per value): Learn
(filter-query-parameter, localised snapshot: "limited by default to 15 expressions in the
filter clause") and a public capture of the refusal — 400 ``Request_UnsupportedQuery`` "Too many
child clauses specified in search filter expression containing 'OR' operators: 18. Max allowed:
15." (a 2019 Azure AD migration script's comment, GitHub code search). Whether an ``or`` of
``in`` lists adds their values up is not documented; the sandbox counts each ``or`` and each
``in`` on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from t2t.sandbox.graph.errors import GraphError, bad_request

Predicate = Callable[[dict[str, Any]], bool]

#: Children one ``or`` (or one ``in`` list) may have in a directory $filter (module docstring).
MAX_OR_CLAUSES = 15


def _too_many(children: int) -> GraphError:
    return bad_request(
        "Too many child clauses specified in search filter expression containing 'OR' "
        f"operators: {children}. Max allowed: {MAX_OR_CLAUSES}.",
        code="Request_UnsupportedQuery",
    )


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<punct>[(),:])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    value: Any = None


def unquote(literal: str) -> str:
    """``'O''Neil'`` → ``O'Neil`` (OData ABNF: SQUOTE-in-string = SQUOTE SQUOTE)."""
    if len(literal) < 2 or literal[0] != "'" or literal[-1] != "'":
        raise ValueError(literal)
    inner = literal[1:-1]
    if re.search(r"(?<!')'(?!')", inner.replace("''", "")):
        raise ValueError(literal)
    return inner.replace("''", "'")


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _syntax(text, pos)
        pos = m.end()
        kind = m.lastgroup or ""
        raw = m.group(kind)
        if kind == "str":
            out.append(Tok("lit", raw, raw[1:-1].replace("''", "'")))
        elif kind == "guid":
            out.append(Tok("lit", raw, raw.lower()))
        elif kind == "num":
            out.append(Tok("lit", raw, float(raw) if "." in raw else int(raw)))
        elif kind == "name" and raw in ("true", "false", "null"):
            out.append(Tok("lit", raw, {"true": True, "false": False, "null": None}[raw]))
        else:
            out.append(Tok(kind, raw))
    return out


def _syntax(text: str, pos: int) -> GraphError:
    return bad_request(f"Invalid filter clause: syntax error at position {pos} in '{text}'.")


_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}
ADVANCED_OPS = frozenset({"ne", "not", "endswith"})
"""Operators Entra only evaluates as advanced queries (ConsistencyLevel: eventual)."""


def _norm(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _cmp(op: str, left: Any, right: Any) -> bool:
    a, b = _norm(left), _norm(right)
    if op == "eq":
        return bool(a == b)
    if op == "ne":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        return bool({"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op])
    except TypeError:
        return False


@dataclass
class Filter:
    predicate: Predicate
    properties: set[str]
    operators: set[str]


class _Parser:
    def __init__(self, text: str, allowed: set[str], entity: str) -> None:
        self.text, self.toks, self.i = text, tokenize(text), 0
        self.allowed, self.entity = {a.lower(): a for a in allowed}, entity
        self.props: set[str] = set()
        self.ops: set[str] = set()

    def peek(self, offset: int = 0) -> Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self, kind: str | None = None, text: str | None = None) -> Tok:
        tok = self.peek()
        if tok is None or (kind and tok.kind != kind) or (text and tok.text.lower() != text):
            raise bad_request(f"Invalid filter clause: '{self.text}'.")
        self.i += 1
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "name" and tok.text.lower() == word

    def prop(self, name: str) -> str:
        key = self.allowed.get(name.lower())
        if key is None:
            raise bad_request(
                f"Unsupported or invalid query filter clause specified for property '{name}' "
                f"of resource '{self.entity}'.",
                "Request_UnsupportedQuery",
            )
        self.props.add(key)
        return key

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.peek() is not None:
            raise bad_request(f"Invalid filter clause: '{self.text}'.")
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.is_word("or"):
            self.i += 1
            parts.append(self.and_())
        if len(parts) > MAX_OR_CLAUSES:
            raise _too_many(len(parts))
        return parts[0] if len(parts) == 1 else (lambda o: any(p(o) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.unary()]
        while self.is_word("and"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda o: all(p(o) for p in parts))

    def unary(self) -> Predicate:
        if self.is_word("not"):
            self.i += 1
            self.ops.add("not")
            inner = self.unary()
            return lambda o: not inner(o)
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == "(":
            self.i += 1
            inner = self.or_()
            self.take("punct", ")")
            return inner
        if (
            tok is not None
            and tok.kind == "name"
            and tok.text.lower()
            in (
                "startswith",
                "endswith",
            )
        ):
            return self.func()
        return self.compare()

    def func(self) -> Predicate:
        name = self.take("name").text.lower()
        self.ops.add(name)
        self.take("punct", "(")
        key = self.prop(self.take("name").text)
        self.take("punct", ",")
        lit = self.take("lit").value
        self.take("punct", ")")
        if not isinstance(lit, str):
            raise bad_request(f"Invalid filter clause: '{self.text}'.")
        needle = lit.lower()

        def pred(o: dict[str, Any]) -> bool:
            v = o.get(key)
            values = v if isinstance(v, list) else [v]
            return any(
                isinstance(x, str)
                and (
                    x.lower().startswith(needle)
                    if name == "startswith"
                    else x.lower().endswith(needle)
                )
                for x in values
            )

        return pred

    def compare(self) -> Predicate:
        path = self.take("name").text
        if "/" in path and path.lower().endswith("/any"):
            return self.any_(path[: -len("/any")])
        key = self.prop(path)
        if self.is_word("in"):
            self.i += 1
            self.ops.add("in")
            self.take("punct", "(")
            values = [self.take("lit").value]
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.i += 1
                values.append(self.take("lit").value)
            self.take("punct", ")")
            if len(values) > MAX_OR_CLAUSES:
                raise _too_many(len(values))
            normed = {_norm(v) for v in values}
            return lambda o: _norm(o.get(key)) in normed
        op = self.take("name").text.lower()
        if op not in _OPS:
            raise bad_request(f"Invalid filter clause: '{self.text}'.")
        self.ops.add(op)
        lit = self.take("lit").value
        if lit is None:
            self.ops.add("null")
        return lambda o: _cmp(op, o.get(key), lit)

    def any_(self, collection: str) -> Predicate:
        key = self.prop(collection)
        self.ops.add("any")
        self.take("punct", "(")
        var = self.take("name").text
        self.take("punct", ":")
        path = self.take("name").text
        sub: str | None = None
        if path != var:
            if not path.startswith(var + "/"):
                raise bad_request(f"Invalid filter clause: '{self.text}'.")
            sub = path[len(var) + 1 :]
        op = self.take("name").text.lower()
        if op not in _OPS:
            raise bad_request(f"Invalid filter clause: '{self.text}'.")
        self.ops.add(op)
        lit = self.take("lit").value
        self.take("punct", ")")

        def pred(o: dict[str, Any]) -> bool:
            items = o.get(key) or []
            for item in items:
                v = item.get(sub) if (sub and isinstance(item, dict)) else item
                if _cmp(op, v, lit):
                    return True
            return False

        return pred


def parse_filter(text: str, allowed: set[str], entity: str) -> Filter:
    p = _Parser(text, allowed, entity)
    pred = p.parse()
    return Filter(pred, p.props, p.ops)


def equality_values(text: str) -> tuple[str, list[Any]] | None:
    """``(property, values)`` when the filter only asks for one property to equal one of some
    values — ``p eq v``, ``p in (v, …)``, such clauses joined by ``or`` —, so a handler can
    look them up in an index instead of testing every object; None for any other filter
    (and for one that does not parse: `parse_filter` then says what is wrong). The filter's
    predicate is still applied to what the lookup finds, so this only narrows."""
    try:
        toks = tokenize(text)
    except GraphError:
        return None
    prop: str | None = None
    values: list[Any] = []
    i = 0
    while True:
        if i + 2 >= len(toks) or toks[i].kind != "name":
            return None
        name = toks[i].text.lower()
        if prop not in (None, name):
            return None
        prop, op = name, toks[i + 1].text.lower()
        if op == "eq" and toks[i + 2].kind == "lit":
            values.append(toks[i + 2].value)
            i += 3
        elif op == "in" and toks[i + 2].text == "(":
            i += 3
            while i + 1 < len(toks) and toks[i].kind == "lit":
                values.append(toks[i].value)
                if toks[i + 1].text == ")":
                    break
                if toks[i + 1].text != ",":
                    return None
                i += 2
            else:
                return None
            i += 2
        else:
            return None
        if i == len(toks):
            return prop, values
        if toks[i].kind != "name" or toks[i].text.lower() != "or":
            return None
        i += 1


def parse_select(text: str | None) -> list[str] | None:
    if text is None:
        return None
    out = [s.strip() for s in text.split(",") if s.strip()]
    return out or None


def parse_top(text: str | None, default: int = 100) -> int:
    """``$top`` 1–999 (wire-protocols.md §2.4; the error text is QA-1129204's)."""
    if text is None:
        return default
    try:
        n = int(text)
    except ValueError:
        raise bad_request(
            f"Invalid page size specified: '{text}'. Must be between 1 and 999 inclusive.",
            "Request_UnsupportedQuery",
        ) from None
    if not 1 <= n <= 999:
        raise bad_request(
            f"Invalid page size specified: '{n}'. Must be between 1 and 999 inclusive.",
            "Request_UnsupportedQuery",
        )
    return n


def key_literal(segment: str) -> str:
    """The value of ``('…')`` / ``(x='…')`` addressing, doubled quotes undone."""
    try:
        return unquote(segment)
    except ValueError:
        raise bad_request(f"Bad key segment: {segment}") from None
