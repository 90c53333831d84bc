"""The README's table of Microsoft's documented failures (issue 13) holds what the code does.

It covers every row of docs/failure-catalogue-research.md §1 (each source item, by its key);
every row names a check, a repair or the reason nothing checks it; every code it names is a
registered check with that severity and fires in a planner case (as
tests/planner/test_catalogue_coverage.py finds them); every registered check is in it; every
repair names action kinds that exist; and the check catalogue below it is exactly what
`python -m t2t.render.catalogue_table README.md` writes from the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from t2t.planner import CATALOGUE, CheckDef
from t2t.planner.kinds import BY_NAME
from t2t.render import catalogue_table
from t2t.render.catalogue_table import (
    MarkersError,
    check_row,
    render_checks_table,
    replace_table,
)
from tests.planner.test_catalogue_coverage import ELSEWHERE, fired_in_cases

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RESEARCH = ROOT / "docs" / "failure-catalogue-research.md"

START, END = "<!-- failures-table:start -->", "<!-- failures-table:end -->"
HEADER = "| # | what fails (Microsoft's exception or symptom) | source | what t2t does |"

#: A source item's key in research §1: Learn, blog, validation script, cmdlet reference, seed
#: comment, earlier-collected fact.
ITEMS = r"L\d{2}|B\d{2}|V-[OGC]\d{2}|R\d{2}|S\d{2}|M\d{2}"
ITEM = re.compile(rf"\b({ITEMS})\b")
#: Which source key a row must name beside each kind of item key.
SOURCE_KEY = {
    "L": re.compile(r"\bLEARN\b"),
    "B": re.compile(r"\bBLOG-[12]\b"),
    "V": re.compile(r"\bCSS-VAL\b"),
    "R": re.compile(r"\bREF R\d{2}\b"),
    "S": re.compile(r"\bSEED-c\d+\b"),
    "M": re.compile(r"\bREF-T2T\b"),
}
CODE = re.compile(r"T2T-[EW]\d{3}")
LINKED = re.compile(r"\[(T2T-[EW]\d{3})\]\(#([a-z0-9-]+)\) (error|warning)\b")
REPAIR = re.compile(r"\brepair: (`[^`]+`(?: \([^()]*\))?(?:, `[^`]+`(?: \([^()]*\))?)*)")
REASON = re.compile(r"\b(?:no check|known gap \(issue \d+\)): (\S[^|]{19,})")


@dataclass(frozen=True)
class Row:
    number: str
    what: str
    source: str
    does: str

    @property
    def codes(self) -> list[tuple[str, str, str]]:
        return LINKED.findall(self.does)

    @property
    def repairs(self) -> list[str]:
        kinds: list[str] = []
        for listed in REPAIR.findall(self.does):
            kinds += re.findall(r"`([^`]+)`", re.sub(r" \([^()]*\)", "", listed))
        return kinds

    @property
    def reasons(self) -> list[str]:
        return REASON.findall(self.does)


def section(readme: str) -> str:
    """The README's part between the failures table's markers (there exactly once)."""
    assert readme.count(START) == 1 and readme.count(END) == 1, "the markers, once each"
    begin, end = readme.index(START), readme.index(END)
    assert begin < end
    return readme[begin + len(START) : end]


def cells(line: str) -> list[str]:
    """A table row's cells (a `\\|` is part of its cell)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def failure_rows(text: str) -> list[Row]:
    lines = text.splitlines()
    at = lines.index(HEADER)
    rows = []
    for line in lines[at + 2 :]:
        if not line.startswith("|"):
            break
        number, what, source, does = cells(line)
        rows.append(Row(number, what, source, does))
    return rows


def research_items() -> set[str]:
    """Every row key of the research's §1 (the source items, one per row)."""
    text = RESEARCH.read_text(encoding="utf-8")
    part = text[text.index("## 1. ") : text.index("## 2. ")]
    return set(re.findall(rf"^\| ({ITEMS}) \|", part, flags=re.MULTILINE))


SECTION = section(README.read_text(encoding="utf-8"))
ROWS = failure_rows(SECTION)


def test_the_table_is_read() -> None:
    assert len(ROWS) > 50
    numbers = [r.number for r in ROWS]
    assert len(set(numbers)) == len(numbers), "row numbers are unique"


def test_every_source_item_has_a_row() -> None:
    items = research_items()
    assert len(items) >= 150  # research §1 counts 150 rows
    named = {i for r in ROWS for i in ITEM.findall(r.source)}
    assert sorted(items - named) == [], "source items with no row in the README"
    assert sorted(named - items) == [], "keys the research does not have"


def test_every_row_names_its_source() -> None:
    for row in ROWS:
        items = ITEM.findall(row.source)
        assert items or row.source == "t2t policy", row.number
        for item in items:
            assert SOURCE_KEY[item[0]].search(row.source), f"{row.number}: {item}'s source key"
        assert row.what, row.number


def test_every_row_has_a_check_a_repair_or_a_reason() -> None:
    bare = [r.number for r in ROWS if not (r.codes or r.repairs or r.reasons)]
    assert bare == []
    gap_numbers = [r.number for r in ROWS if re.search(r"\bG\d{2}\b|\bnot yet:", r.does)]
    assert gap_numbers == [], "a gap says why it is not checked, not the research's G number"


def test_codes_are_registered_checks_with_their_severity_and_anchor() -> None:
    for row in ROWS:
        mentioned = CODE.findall(row.does)
        assert len(mentioned) == len(row.codes), f"{row.number}: a code without link/severity"
        assert CODE.findall(row.what + row.source) == [], f"{row.number}: codes go last"
        for code, target, severity in row.codes:
            assert code in CATALOGUE, f"{row.number}: {code} is no registered check"
            assert target == catalogue_table.anchor(code), f"{row.number}: {code}'s link"
            assert severity == CATALOGUE[code].severity, f"{row.number}: {code}'s severity"


def test_every_registered_check_is_in_the_table() -> None:
    in_table = {code for r in ROWS for code, _, _ in r.codes}
    assert sorted(set(CATALOGUE) - in_table) == []


def test_every_code_in_the_table_fires_in_a_planner_case() -> None:
    shown = fired_in_cases() | set(ELSEWHERE)
    in_table = {code for r in ROWS for code, _, _ in r.codes}
    assert sorted(in_table - shown) == []


def test_repairs_are_action_kinds() -> None:
    for row in ROWS:
        if "repair:" in row.does:
            assert row.repairs, f"{row.number}: 'repair:' names no action kind"
        for kind in row.repairs:
            assert kind in BY_NAME, f"{row.number}: {kind} is no action kind"


def test_the_check_catalogue_is_the_registrys() -> None:
    assert render_checks_table() in SECTION, (
        "the README's check catalogue differs from the registry: run "
        "python -m t2t.render.catalogue_table README.md"
    )


# --- the generator ---------------------------------------------------------------------------


def test_a_row_keeps_its_text_literal() -> None:
    check = CheckDef(
        "T2T-E999",
        "example",
        "error",
        "Title",
        {"target": "a <tag> & more", "source": "x | y"},
        "Get-MigrationUser <address> | Remove-MigrationUser",
        "nowhere",
        scope="mailbox",
    )
    assert check_row(check) == (
        '| T2T-E999 | error | mailbox | <a name="t2t-e999"></a>Title | '
        "target: a &lt;tag&gt; &amp; more; source: x \\| y | "
        "Get-MigrationUser &lt;address&gt; \\| Remove-MigrationUser |"
    )
    assert cells(check_row(check))[4] == "target: a &lt;tag&gt; &amp; more; source: x \\| y"


def test_the_table_replaces_only_what_is_between_its_markers() -> None:
    table = render_checks_table()
    start = catalogue_table.START.split(" — ")[0] + " -->"
    old = f"before\n{start}\n| stale |\n{catalogue_table.END}\nafter"
    assert replace_table(old, table) == f"before\n{table}\nafter"
    assert replace_table(replace_table(old, table), table) == f"before\n{table}\nafter"


@pytest.mark.parametrize(
    "document",
    ["no markers", f"{catalogue_table.END}\n{catalogue_table.START}", 2 * render_checks_table()],
)
def test_markers_missing_or_twice_are_refused(document: str) -> None:
    with pytest.raises(MarkersError, match="expected one"):
        replace_table(document, render_checks_table())


def test_main_rewrites_the_file_or_says_why_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(f"# x\n{catalogue_table.START}\n{catalogue_table.END}\n", encoding="utf-8")
    assert catalogue_table.main([str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == f"# x\n{render_checks_table()}\n"
    doc.write_text("# no table\n", encoding="utf-8")
    assert catalogue_table.main([str(doc)]) == 1
    assert capsys.readouterr().err.startswith(f"{doc}: expected one")
    assert catalogue_table.main([]) == 2
