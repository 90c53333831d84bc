"""A seed file that does not load, said with its position: ``FILE:LINE:COLUMN: where: why``.

Why: ``t2t sandbox serve --seed FILE`` must answer a bad seed with a clear positioned error,
never a traceback. Positions come from the YAML node tree (``yaml.compose``), walked along the
location pydantic reports; a location the file does not hold (a missing field) points at the
nearest enclosing node.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


class SeedError(ValueError):
    """A seed file that cannot be used; the message names the file, line and column."""


def _node_at(root: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    node = root
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key),
                None,
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            found = node.value[key] if 0 <= key < len(node.value) else None
        else:
            found = None
        if found is None:
            return node
        node = found
    return node


_RELATIVE = re.compile(r"^(?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*): (?P<rest>.+)$", re.S)


def _refined(loc: tuple[Any, ...], message: str) -> tuple[tuple[Any, ...], str]:
    """A model validator's message may start with the path of what it refuses below the model
    ("azure.roleAssignments[0].principal: …"): point there."""
    m = _RELATIVE.match(message)
    if m is None:
        return loc, message
    parts: list[Any] = []
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", m.group("path")):
        parts.append(name if name else int(index))
    return (*loc, *parts), m.group("rest")


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


def yaml_error(path: Path, exc: yaml.YAMLError) -> SeedError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return SeedError(f"{path}: not valid YAML: {problem}")
    return SeedError(f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {problem}")


def validation_error(path: Path, text: str, exc: ValidationError) -> SeedError:
    """Every problem pydantic found, each on its own line with its position."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        root = None
    lines = []
    for err in exc.errors():
        loc, message = _refined(tuple(err["loc"]), str(err["msg"]).removeprefix("Value error, "))
        node = _node_at(root, loc)
        pos = f"{node.start_mark.line + 1}:{node.start_mark.column + 1}" if node else "1:1"
        lines.append(f"{path}:{pos}: {_where(loc)}: {message}")
    return SeedError("\n".join(lines))
