"""``load_spec``: a spec file in, a resolved :class:`Desired` out, or every error at once.

Steps: read the file (encoding problems become errors), compose YAML with positions,
check the version, validate the whole document (shape and values), then resolve (CSV
files, rewrite rules, duplicates, batches, git). Nothing here raises anything but
:class:`SpecInvalid` for a problem in the author's input.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from t2t.spec.context import Context
from t2t.spec.desired import Desired
from t2t.spec.errors import ErrorSink, SpecInvalid
from t2t.spec.limits import SPEC_MAX_BYTES
from t2t.spec.messages import describe, to_spec_errors
from t2t.spec.models import SUPPORTED_VERSIONS, SpecDocument
from t2t.spec.positions import Located, compose
from t2t.spec.resolve import resolve
from t2t.spec.textfile import read_text


def _version_ok(doc: Located, sink: ErrorSink) -> bool:
    """An unknown version stops here: its other keys may mean something else entirely."""
    data = doc.data
    if "version" not in data:
        return True  # reported as a missing key by validation
    version = data["version"]
    if type(version) is int and version in SUPPORTED_VERSIONS:
        return True
    supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    shown = str(version) if type(version) is int else describe(version)
    sink.add(
        doc.value(("version",)),
        f"version: unsupported spec version {shown}; this t2t supports version {supported}",
    )
    return False


def load_spec(path: Path, *, check_git: bool = True) -> Desired:
    """Load and resolve the spec at ``path``; raise :class:`SpecInvalid` listing every error.

    ``check_git`` asks git whether ``file:`` credentials are tracked; turn it off where
    spawning git is unwanted (without git, or outside a repository, nothing is tracked).
    """
    path = Path(path)
    display = str(path)
    sink = ErrorSink()
    text = read_text(path, display, sink, "spec", SPEC_MAX_BYTES)
    doc = None if text is None else compose(text, display, sink)
    if doc is None:
        raise SpecInvalid(sink.errors)
    if not isinstance(doc.data, dict):
        sink.add(
            doc.value(()),
            f"the spec must be a mapping of keys (version, name, source, target, …), not"
            f" {describe(doc.data)}",
        )
        raise SpecInvalid(sink.errors)
    if not _version_ok(doc, sink):
        raise SpecInvalid(sink.errors)
    try:
        SpecDocument.model_validate(doc.data)
    except ValidationError as exc:
        sink.errors.extend(to_spec_errors(exc, doc, SpecDocument))
    ctx = Context(doc=doc, spec_dir=path.parent, sink=sink, check_git=check_git)
    desired = resolve(ctx, display)
    if sink or desired is None:
        raise SpecInvalid(sink.errors)
    return desired
