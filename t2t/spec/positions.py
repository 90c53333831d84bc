"""YAML text → plain Python data plus the position of every key and value.

PyYAML's ``compose`` (SafeLoader) gives nodes with marks; we build the data ourselves so
that every path (``("batches", 0, "phase")``) remembers where its key and its value were
written. Validation errors carry such paths (pydantic's ``loc``), and this index turns them
back into line and column for the author.

Two YAML 1.1 surprises are undone on the way, because an Exchange admin does not expect
them: plain ``yes/no/on/off`` stay text (``usageLocation: NO`` is Norway, not False), and
mapping keys are always the text as written. A key written twice is an error (PyYAML
silently keeps the last one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from t2t.spec.errors import ErrorSink, Mark
from t2t.spec.limits import (
    SPEC_MAX_ALIASED,
    SPEC_MAX_DEPTH,
    SPEC_MAX_NODES,
    VALUE_MAX_CHARS,
    clip,
)

Path_ = tuple[str | int, ...]

_BOOL_WORDS = frozenset({"true", "false"})


@dataclass(frozen=True)
class Where:
    """Where a value sits: its key (for mapping entries) and the value itself."""

    key: Mark
    value: Mark


@dataclass
class Located:
    """The document as data plus an index from path to position."""

    data: Any
    index: dict[Path_, Where]
    display: str

    def where(self, path: Path_) -> Where:
        """Position of ``path``, or of its nearest ancestor that exists in the text."""
        probe = path
        while probe not in self.index and probe:
            probe = probe[:-1]
        return self.index.get(probe, Where(Mark(self.display, 1, 1), Mark(self.display, 1, 1)))

    def value(self, path: Path_) -> Mark:
        return self.where(path).value

    def key(self, path: Path_) -> Mark:
        return self.where(path).key


class _Refused(Exception):
    """The document is too large or too deep to build; ``mark`` is where that showed."""

    def __init__(self, mark: yaml.Mark | None, message: str) -> None:
        self.mark = mark
        self.message = message


_TOO_DEEP = f"the spec nests deeper than {SPEC_MAX_DEPTH} levels"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, counting nesting and nodes as the parser hands out events: a
    deep or huge document is refused before the composer recurses into it or builds it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = -1  # the document's own mapping is level 0, as in a value's path
        self.nodes = 0

    def get_event(self) -> yaml.Event:
        event: yaml.Event = super().get_event()  # type: ignore[no-untyped-call]
        # The pure-Python parser's marks (the C parser's have another type).
        mark = event.start_mark if isinstance(event.start_mark, yaml.Mark) else None
        if isinstance(event, yaml.NodeEvent):
            self.nodes += 1
            if self.nodes > SPEC_MAX_NODES:
                raise _Refused(
                    mark,
                    f"the spec holds more than {SPEC_MAX_NODES:,} values; put long lists in"
                    " CSV files",
                )
        if isinstance(event, yaml.CollectionStartEvent):
            self.depth += 1
            if self.depth > SPEC_MAX_DEPTH:
                raise _Refused(mark, _TOO_DEEP)
        elif isinstance(event, yaml.CollectionEndEvent):
            self.depth -= 1
        return event


def _mark(display: str, m: yaml.Mark | None) -> Mark:
    if m is None:
        return Mark(display, 1, 1)
    return Mark(display, m.line + 1, m.column + 1)


def compose(text: str, display: str, sink: ErrorSink) -> Located | None:
    """Parse ``text``; on a YAML syntax error add it to ``sink`` and return None."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        sink.add(
            Mark(display, line, col),
            f"YAML syntax error: character U+{exc.character:04X} is not allowed in YAML",
        )
        return None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and problem.startswith("but "):  # "expected a single document…"
            problem = f"{exc.context}, {problem}"
        sink.add(_mark(display, mark), f"YAML syntax error: {problem}")
        return None
    except yaml.YAMLError as exc:
        sink.add(Mark(display, 1, 1), f"YAML syntax error: {exc}")
        return None
    except _Refused as exc:
        sink.add(_mark(display, exc.mark), exc.message)
        return None
    finally:
        loader.dispose()
    if root is None:
        sink.add(Mark(display, 1, 1), "the spec is empty; a spec starts with 'version: 1'")
        return None
    builder = _Builder(display, sink)
    try:
        data = builder.build(root, ())
    except _Refused as exc:
        sink.add(_mark(display, exc.mark or root.start_mark), exc.message)
        return None
    if builder.oversized:
        return None  # the document is refused whole; each oversized value is reported
    top = _mark(display, root.start_mark)
    builder.index[()] = Where(top, top)
    return Located(data, builder.index, display)


class _Builder:
    def __init__(self, display: str, sink: ErrorSink) -> None:
        self.display = display
        self.sink = sink
        self.index: dict[Path_, Where] = {}
        self.aliased = 0
        self.oversized = False
        self.in_alias = 0
        self.seen: set[int] = set()
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path_) -> Any:
        again = id(node) in self.seen  # reached through an alias, and built before
        self.seen.add(id(node))
        self.in_alias += again
        try:
            if self.in_alias:
                self.aliased += 1
            if self.aliased > SPEC_MAX_ALIASED:
                raise _Refused(
                    None,
                    "the spec expands to too many values through YAML aliases (*name); refusing it",
                )
            if len(path) > SPEC_MAX_DEPTH:  # reached through aliases nested in each other
                raise _Refused(node.start_mark, _TOO_DEEP)
            return self._build(node, path)
        finally:
            self.in_alias -= again

    def _build(self, node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            out: list[Any] = []
            for i, item in enumerate(node.value):
                m = _mark(self.display, item.start_mark)
                self.index[(*path, i)] = Where(m, m)
                out.append(self.build(item, (*path, i)))
            return out
        return self._scalar(node)

    def _fits(self, node: yaml.ScalarNode, what: str) -> bool:
        """False, after reporting it once, for a scalar longer than any spec value."""
        text = str(node.value)
        if len(text) <= VALUE_MAX_CHARS:
            return True
        self.oversized = True
        self.sink.add(
            _mark(self.display, node.start_mark),
            f"this {what} is too long: {clip(text)}; t2t reads at most {VALUE_MAX_CHARS:,}"
            f" characters in one {what}",
        )
        return False

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):  # pragma: no cover - YAML has three kinds
            return None
        if not self._fits(node, "value"):
            return None
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):
            # e.g. 2026-02-30 looks like a date but is none: keep the text
            return node.value
        finally:
            self.constructor.constructed_objects.clear()
        if isinstance(value, bool) and node.value.lower() not in _BOOL_WORDS:
            return node.value
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        own = {id(k) for k, _ in node.value}
        try:
            self.constructor.flatten_mapping(node)  # supports `<<: *defaults`
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.sink.add(_mark(self.display, node.start_mark), f"YAML error: {problem}")
        out: dict[str, Any] = {}
        first: dict[str, Mark] = {}
        merged: set[str] = set()
        for key_node, value_node in node.value:
            key_mark = _mark(self.display, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                self.sink.add(key_mark, "a key must be plain text, not a list or mapping")
                continue
            if not self._fits(key_node, "key"):
                continue
            key = str(key_node.value)
            if key in merged:  # a key of this mapping overrides one brought in by `<<`
                merged.discard(key)
                del first[key]
            if key in first:
                self.sink.add(
                    key_mark, f"key {clip(key)} is written twice (first on line {first[key].line})"
                )
                continue
            first[key] = key_mark
            if id(key_node) not in own:
                merged.add(key)
            child = (*path, key)
            self.index[child] = Where(key_mark, _mark(self.display, value_node.start_mark))
            out[key] = self.build(value_node, child)
        return out
