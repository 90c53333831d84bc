"""A reader of the scripts `t2t plan --format powershell` writes, built from PowerShell's own
rules rather than from t2t's renderer, so a test can say what a script would do. No
PowerShell is installed here; this reads the subset t2t writes and refuses everything else.

PowerShell's rules it follows (PowerShell/PowerShell, src/System.Management.Automation/engine/
parser/tokenizer.cs and CharTraits.cs; the language specification, chapter 2):

- a line ends at CR or LF, nothing else (spec §2.2.2; `ScanToEndOfCommentLine`);
- `#` starts a comment running to the line's end;
- a single-quoted string opens and closes with any of ' U+2018 U+2019 U+201A U+201B
  (`IsSingleQuote`); two of them in a row stand for the second; nothing else is special in it;
- a comment line whose non-blank characters (lower-cased, with the line's end) are 14 to 34
  long and within edit distance 10 of "sig#beginsignatureblock\\n" starts a signature block,
  after which every statement is refused (`ScanToEndOfCommentLine`, `GetStringSimilarity`).

Stricter than PowerShell, for the admin who reads the script first: no control, format,
surrogate or line/paragraph separator character (Unicode Cc, Cf, Cs, Zl, Zp) may stand raw in a
comment or a literal.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from dataclasses import dataclass
from typing import Any

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
RAW_FORBIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SIGNATURE = "sig#beginsignatureblock\n"


class Unreadable(AssertionError):
    """The text is not what t2t may write."""


@dataclass(frozen=True)
class Command:
    name: str
    arguments: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Prompt:
    """`(Get-Credential …)` or `(Read-Host -AsSecureString …)`: the admin types the value."""

    kind: str
    text: str


@dataclass(frozen=True)
class Bareword:
    """An unquoted argument (`-ErrorAction SilentlyContinue`): t2t's own lines only."""

    text: str


@dataclass(frozen=True)
class Switch:
    """A switch parameter given without a value (`-NoWelcome`)."""


@dataclass(frozen=True)
class CsvBytes:
    """`[System.Text.Encoding]::UTF8.GetBytes((@(rows) -join "`r`n"))`."""

    rows: tuple[str, ...]


def forbidden(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) in RAW_FORBIDDEN]


def _powershell_whitespace(ch: str) -> bool:
    """CharExtensions.IsWhitespace."""
    if ord(ch) < 128:
        return ch in " \t\v\f"
    if ord(ch) <= 256:
        return ch in "\u00a0\u0085"
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _similarity(first: str, second: str) -> int:
    """GetStringSimilarity: the edit distance, over a full matrix as PowerShell keeps it."""
    table = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for row in range(len(first) + 1):
        table[row][0] = row
    for column in range(len(second) + 1):
        table[0][column] = column
    for row in range(1, len(first) + 1):
        for column in range(1, len(second) + 1):
            if first[row - 1] == second[column - 1]:
                table[row][column] = table[row - 1][column - 1]
            else:
                table[row][column] = 1 + min(
                    table[row - 1][column], table[row][column - 1], table[row - 1][column - 1]
                )
    return table[-1][-1]


def starts_a_signature(comment: str) -> bool:
    seen = "".join(ch for ch in comment[1:] if not _powershell_whitespace(ch)) + "\n"
    if not 14 <= len(seen) <= 34:
        return False
    return _similarity(seen.lower(), _SIGNATURE) < 10


class _Cursor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def done(self) -> bool:
        return self.at == len(self.text)

    def fail(self, what: str) -> Unreadable:
        return Unreadable(f"{what} at {self.at} in {self.text!r}")

    def take(self, literal: str) -> bool:
        if self.text.startswith(literal, self.at):
            self.at += len(literal)
            return True
        return False

    def expect(self, literal: str) -> None:
        if not self.take(literal):
            raise self.fail(f"expected {literal!r}")

    def match(self, pattern: str) -> str:
        found = re.compile(pattern).match(self.text, self.at)
        if found is None:
            raise self.fail(f"expected /{pattern}/")
        self.at = found.end()
        return found.group(0)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""


def _single_quoted(c: _Cursor) -> str:
    """ScanStringLiteral; and no forbidden character raw in it."""
    if c.peek() not in SINGLE_QUOTES or not c.peek():
        raise c.fail("expected a single-quoted string")
    c.at += 1
    out: list[str] = []
    while True:
        if c.done():
            raise c.fail("unterminated string")
        ch = c.text[c.at]
        c.at += 1
        if ch in SINGLE_QUOTES:
            if c.peek() and c.peek() in SINGLE_QUOTES:
                out.append(c.text[c.at])
                c.at += 1
                continue
            break
        out.append(ch)
    text = "".join(out)
    if forbidden(text):
        raise c.fail(f"raw {forbidden(text)!r} in a literal")
    return text


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def _string_expression(c: _Cursor) -> str:
    """`('a' + [char]10 + 'b')`, a string first: the concatenation, decoded as .NET would."""
    units = _utf16(_single_quoted(c))
    while c.take(" + "):
        if c.take("[char]"):
            units += struct.pack("<H", int(c.match(r"\d+")))
        else:
            units += _utf16(_single_quoted(c))
    c.expect(")")
    return units.decode("utf-16-le", "surrogatepass")


def _value(c: _Cursor) -> Any:
    for word, value in (("$true", True), ("$false", False), ("$null", None)):
        if c.take(word):
            return value
    if c.take("([System.Text.Encoding]::UTF8.GetBytes((@("):
        rows = [_value(c)]
        while c.take(","):
            rows.append(_value(c))
        c.expect(') -join "`r`n")))')
        return CsvBytes(tuple(rows))
    if c.take("(Get-Credential -UserName "):
        user = _value(c)
        c.expect(" -Message ")
        _value(c)
        c.expect(")")
        return Prompt("credential", user)
    if c.take("(Read-Host -AsSecureString -Prompt "):
        text = _value(c)
        c.expect(")")
        return Prompt("password", text)
    if c.take("("):
        return _string_expression(c)
    if c.take("@("):
        items: list[Any] = []
        if not c.take(")"):
            items.append(_value(c))
            while c.take(","):
                items.append(_value(c))
            c.expect(")")
        return items
    if c.take("@{"):
        entries: dict[str, Any] = {}
        if not c.take("}"):
            while True:
                key = _value(c)
                c.expect("=")
                entries[key] = _value(c)
                if c.take("}"):
                    break
                c.expect("; ")
        return entries
    if c.peek() and c.peek() in SINGLE_QUOTES:
        return _single_quoted(c)
    if c.peek().isascii() and c.peek().isalpha():
        return Bareword(c.match(r"[A-Za-z][A-Za-z0-9]*"))
    number = c.match(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
    return float(number) if any(ch in number for ch in ".eE") else int(number)


def read_value(text: str) -> Any:
    """One argument value, the whole of `text`."""
    c = _Cursor(text)
    value = _value(c)
    if not c.done():
        raise c.fail("trailing text")
    return value


def read_command(line: str) -> Command:
    c = _Cursor(line)
    name = c.match(r"[A-Za-z]+-[A-Za-z]+")
    arguments: list[tuple[str, Any]] = []
    while not c.done():
        c.expect(" -")
        parameter = c.match(r"[A-Za-z][A-Za-z0-9]*")
        if c.take(":"):
            value: Any = True if c.take("$true") else False if c.take("$false") else None
            if value is None:
                raise c.fail("a switch takes $true or $false")
        elif c.done() or re.match(r" -[A-Za-z]", c.text[c.at :]):
            value = Switch()
        else:
            c.expect(" ")
            value = _value(c)
            if c.peek() == ",":  # 'a','b': an array without @()
                items = [value]
                while c.take(","):
                    items.append(_value(c))
                value = items
        arguments.append((parameter, value))
    return Command(name, tuple(arguments))


def check_comment(line: str) -> str:
    if not line.startswith("# "):
        raise Unreadable(f"a comment line starts with '# ': {line!r}")
    if forbidden(line):
        raise Unreadable(f"raw {forbidden(line)!r} in a comment: {line!r}")
    if starts_a_signature(line):
        raise Unreadable(f"PowerShell takes this comment for a signature: {line!r}")
    return line


def read_script(script: str) -> list[Command | str | None]:
    """Each line as PowerShell splits them: None (blank), a comment, or a command."""
    if "\r" in script or not script.endswith("\n"):
        raise Unreadable("lines end with LF, the last one too")
    out: list[Command | str | None] = []
    for line in script[:-1].split("\n"):
        if not line:
            out.append(None)
        elif line.startswith("#"):
            out.append(check_comment(line))
        else:
            out.append(read_command(line))
    return out
