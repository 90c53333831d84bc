"""Which check of the catalogue a move's failure names: the error a migration user shows
(`ErrorSummary`, `Type: message`) mapped back to the pre-flight check that prevents it, so
`t2t status` can say the check's code and fix beside Microsoft's text.

Why derived, not tabled: every check already names the Microsoft failure it prevents
(`CheckDef.prevents`, checks.py); a second table from exception to check would drift from it.
So the catalogue is searched: the checks whose `prevents` names an exception (or an Entra
AADSTS code) the error names are the candidates, ranked by how many of the error's names and
words they share with the check's title and `prevents`; the best-ranked are returned. An
error naming nothing the catalogue knows maps to no check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from t2t.planner import plan as _plan  # noqa: F401  (every domain's checks registered)
from t2t.planner.checks import CATALOGUE, CheckDef

_NAMES = re.compile(r"\b(?:[A-Z][A-Za-z0-9]*Exception|AADSTS\d+)\b")
_WORDS = re.compile(r"[a-z][a-z0-9]{3,}")
#: Words too common in the catalogue's texts to tell two checks apart.
_COMMON = frozenset(
    {
        "after", "also", "another", "been", "before", "does", "from", "have", "into",
        "isn't", "more", "must", "only", "other", "than", "that", "their", "there", "this",
        "those", "when", "which", "will", "with", "your", "mailbox", "mailboxes", "move",
        "moves", "source", "target", "user", "users", "tenant", "error", "fails", "failed",
        "organization", "remote", "server", "could", "completed", "connection",
    }
)  # fmt: skip
#: At most this many checks are named for one failure (the best-ranked, in code order);
#: past it the error is too generic to tell which check it is.
MAX_CHECKS = 3


def _prevents(check: CheckDef) -> str:
    p = check.prevents
    return " ".join(p.values()) if isinstance(p, dict) else p


def _names(text: str) -> frozenset[str]:
    return frozenset(_NAMES.findall(text))


def _words(text: str, names: Iterable[str]) -> frozenset[str]:
    lowered = {n.lower() for n in names}
    return frozenset(w for w in _WORDS.findall(text.lower()) if w not in _COMMON | lowered)


@cache
def _indexed() -> tuple[tuple[CheckDef, frozenset[str], frozenset[str]], ...]:
    out = []
    for check in sorted(CATALOGUE.values(), key=lambda c: c.code):
        text = _prevents(check)
        names = _names(text)
        if names:
            out.append((check, names, _words(f"{check.title} {text}", names)))
    return tuple(out)


def checks_for_failure(error: str | None) -> tuple[CheckDef, ...]:
    """The checks that prevent the failure `error` names, best match first (at most
    MAX_CHECKS); () when it names nothing the catalogue knows."""
    if not error:
        return ()
    names = _names(error)
    if not names:
        return ()
    words = _words(error, names)
    scored = [
        ((len(names & check_names), len(words & check_words)), check)
        for check, check_names, check_words in _indexed()
        if names & check_names
    ]
    if not scored:
        return ()
    best = max(score for score, _ in scored)
    ranked = tuple(check for score, check in scored if score == best)
    # More ties than that: the error says too little (a bare MigrationPermanentException)
    # to choose, and naming a wrong check at two in the morning is worse than naming none.
    return ranked if len(ranked) <= MAX_CHECKS else ()
