"""Saved plans: `t2t plan --out p.json`, then `t2t apply p.json` after review.

A saved plan is checked whole before anything is sent: its size, its format, a SHA-256
checksum over every byte t2t wrote (so a file changed or cut short since is refused), every
field against the plan's models (strict types, unknown fields refused), the t2t that wrote it,
the service it was made against (origin.py: a cloud's plan never runs in a sandbox, nor a
sandbox's in another sandbox or in the cloud) and the fingerprint of the spec it names. Only
then does apply re-read the real tenants (there is no state file) and refuse, before acting,
when anything the plan touches changed or when any action differs from what t2t would plan
now — Terraform only compares its own state file's serial (lessons-from-peers.md §2), which
misses outside changes.

The checksum is not a signature: whoever may write the file may recompute it. It catches
accidents (a truncated copy, an editor's reformatting, a bad merge); a deliberate edit is
caught by the comparison with a fresh plan, which lets through nothing t2t would not plan.

The file is JSON, written owner-only (0600) and atomically (a temporary file in the same
folder, then ``os.replace``), so no reader ever sees half a plan::

    {"kind": "t2t-saved-plan/3", "sha256": "<64 hex digits>", "t2t_version": "…",
     "made_against": {"kind": "sandbox", "state_dir": "/abs/.sandbox"}, "plan": {…}}

The checksum is the SHA-256 of the whole file with its own 64 digits written as zeros.

The plan's ``spec_path`` is the spec's path relative to the plan file's folder, with POSIX
separators (absolute only where no relative path exists: another drive), so a plan moved
together with its spec (a CI artifact, another checkout) still finds it. Format 2 wrote the
path as given to `t2t plan`, relative to a folder it did not record, and no origin: such a
plan is refused (its format), to be planned again.

A plan whose JSON is over `COMPRESS_OVER` is written gzip-compressed (RFC 1952; `gunzip -c`
shows the same sealed JSON). Its actions repeat each mailbox's desire, their field names and
the tenants' values: a 20,000-mailbox plan was 124.6 MB of JSON, 6,228 bytes a mailbox, and
is about 255 compressed (tests/bench/bench_saved_plan.py). A small plan stays plain JSON, to be
read and diffed as it is. Reading one back, the decompressed size is bounded like the file's,
and gzip's own CRC-32 and length catch a compressed file changed or cut short.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import tempfile
import zlib
from pathlib import Path
from typing import Literal

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

import t2t
from t2t.apply.origin import CloudOrigin, Origin, SandboxOrigin, mismatch
from t2t.planner import Action, Plan
from t2t.planner.plan import spec_fingerprint
from t2t.spec import Desired
from t2t.spec.limits import MIB, PATH_SHOWN_CHARS, SAVED_PLAN_MAX_BYTES, clip
from t2t.spec.textfile import ReadProblem, read_bounded

SAVED_FORMAT = "t2t-saved-plan/3"
_KIND = re.compile(rb'\s*\{\s*"kind"\s*:\s*"(?P<kind>[^"\\]{0,64})"')
_SEAL = re.compile(
    rb'\{"kind": "%s", "sha256": "(?P<sha256>[0-9a-f]{64})", ' % re.escape(SAVED_FORMAT.encode())
)
_UNSEALED = b"0" * 64
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")  # a field name shown as it is
_TAIL = b"}\n"
_AGAIN = "make the plan again with `t2t plan --out`"
#: A saved plan's JSON longer than this is written gzip-compressed (see above).
COMPRESS_OVER = MIB
_GZIP_MAGIC = b"\x1f\x8b"  # RFC 1952 §2.3.1: ID1, ID2
_GZIP_WBITS = 31  # zlib's window bits for a gzip member (zlib manual, deflateInit2)
_GZIP_LEVEL = 6


class SavedPlanError(ValueError):
    """A saved plan that cannot be used; the message names the file and says why."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")


class SavedPlan(BaseModel):
    """The file's content; validated strictly, so every field is exactly what t2t wrote."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["t2t-saved-plan/3"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    t2t_version: str
    made_against: Origin
    plan: Plan


def _head(sha256: bytes, made_against: CloudOrigin | SandboxOrigin) -> bytes:
    version = json.dumps(t2t.__version__)
    origin = json.dumps(made_against.model_dump(mode="json"))
    return b'{"kind": "%s", "sha256": "%s", "t2t_version": %s, "made_against": %s, "plan": ' % (
        SAVED_FORMAT.encode(),
        sha256,
        version.encode(),
        origin.encode(),
    )


def _checksum(data: bytes | memoryview, start: int, end: int) -> str:
    """SHA-256 of ``data`` with the digits at ``start:end`` read as zeros (no copy made)."""
    view = memoryview(data)
    digest = hashlib.sha256(view[:start])
    digest.update(_UNSEALED)
    digest.update(view[end:])
    return digest.hexdigest()


def save_plan(plan: Plan, path: Path, made_against: CloudOrigin | SandboxOrigin) -> None:
    """Write ``plan``, made against ``made_against``, to ``path`` sealed with its checksum,
    owner-only, all or nothing; its spec's path is written relative to ``path``'s folder."""
    beside = plan.model_copy(update={"spec_path": spec_path_from(path, plan.spec_path)})
    body = pydantic_core.to_json(beside, indent=1)
    unsealed = _head(_UNSEALED, made_against)
    start = unsealed.index(_UNSEALED)
    digest = hashlib.sha256(unsealed)
    digest.update(body)
    digest.update(_TAIL)
    sealed = unsealed[:start] + digest.hexdigest().encode() + unsealed[start + 64 :]
    parts = (sealed, body, _TAIL)
    _write_atomically(path, (_gzipped(parts),) if len(body) > COMPRESS_OVER else parts)


def spec_path_from(plan_file: Path, spec_path: str) -> str:
    """``spec_path`` (as the spec was opened) relative to ``plan_file``'s folder, with POSIX
    separators. Both folders have their links resolved first, so that the ``..`` steps lead
    back when the kernel follows them; the spec's own name is kept (a link to a spec stays
    the link: its CSVs are read beside it). Absolute where no relative path exists."""
    given = Path(spec_path)
    spec = given.parent.resolve() / given.name
    try:
        return Path(os.path.relpath(spec, plan_file.parent.resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path leads there
        return spec.as_posix()


def saved_spec(plan_file: Path, saved: SavedPlan) -> Path:
    """Where the spec of the saved plan at ``plan_file`` is now: its recorded path taken from
    the plan file's folder (an absolute one stays as it is). Nothing there: the plan was moved
    without its spec, which this says rather than the spec reader's "no such file"."""
    spec = plan_file.parent / saved.plan.spec_path
    if not spec.exists():
        absolute = Path(saved.plan.spec_path).is_absolute()
        recorded = "at that path" if absolute else "relative to its own folder"
        raise SavedPlanError(
            plan_file,
            f"its spec is not at {clip(str(spec), PATH_SHOWN_CHARS)} (the plan records it"
            f" {recorded}); keep the plan and its spec together as they were, or " + _AGAIN,
        )
    return spec


def _gzipped(parts: tuple[bytes, ...]) -> bytes:
    """One gzip member of ``parts`` (no file name, time 0: the same plan, the same bytes)."""
    deflate = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
    return b"".join([*(deflate.compress(p) for p in parts), deflate.flush()])


def _gunzipped(path: Path, data: bytes) -> bytes:
    """The JSON inside a compressed saved plan, never more than the saved-plan limit of it."""
    inflate = zlib.decompressobj(_GZIP_WBITS)
    damaged = (
        f"the compressed plan is damaged: the file was changed or cut short"
        f" ({len(data):,} bytes now) since t2t wrote it; {_AGAIN}"
    )
    try:
        out = inflate.decompress(data, SAVED_PLAN_MAX_BYTES + 1)
    except zlib.error:
        raise SavedPlanError(path, damaged) from None
    if len(out) > SAVED_PLAN_MAX_BYTES:
        raise SavedPlanError(
            path, f"over {SAVED_PLAN_MAX_BYTES // MIB:,} MiB once uncompressed; {_AGAIN}"
        )
    if not inflate.eof or inflate.unused_data:  # cut short, or something after the plan
        raise SavedPlanError(path, damaged)
    return out


def _write_atomically(path: Path, parts: tuple[bytes, ...]) -> None:
    """A temporary file beside ``path`` (``mkstemp`` makes it 0600), synced, then renamed
    over ``path``: a crash leaves the old file or the new one, never half of either."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS can
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def looks_like_saved_plan(path: Path) -> bool:
    """A ``.json`` file, or a file that begins like one of t2t's saved plans; specs are YAML."""
    if path.suffix.lower() == ".json":
        return True
    if not path.is_file():  # a folder, a device or a pipe: the spec reader says what it is
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(256)
    except OSError:
        return False
    return _KIND.match(head) is not None or head.startswith(_GZIP_MAGIC)


def load_saved_plan(path: Path) -> SavedPlan:
    """Read and check the saved plan at ``path`` whole; raise :class:`SavedPlanError`."""
    try:
        data = read_bounded(path, SAVED_PLAN_MAX_BYTES, "saved plan")
    except ReadProblem as exc:
        raise SavedPlanError(path, str(exc)) from None
    if data.startswith(_GZIP_MAGIC):
        data = _gunzipped(path, data)
    _check_kind(path, data)
    sha256 = _check_seal(path, data)
    try:
        saved = SavedPlan.model_validate_json(data, strict=True, extra="forbid")
    except ValidationError as exc:
        raise SavedPlanError(path, _first_problem(exc)) from None
    except MemoryError:
        raise SavedPlanError(path, "not enough memory to read this saved plan") from None
    if saved.sha256 != sha256:  # a second "sha256" key further on
        raise SavedPlanError(path, "the file holds two checksums; " + _AGAIN)
    if saved.t2t_version != t2t.__version__:
        raise SavedPlanError(
            path, f"made by t2t {clip(saved.t2t_version)}, this is t2t {t2t.__version__}; {_AGAIN}"
        )
    return saved


def _check_kind(path: Path, data: bytes) -> None:
    found = _KIND.match(data)
    if found is None:
        raise SavedPlanError(
            path,
            f'not a t2t saved plan: it does not begin with {{"kind": "{SAVED_FORMAT}"'
            " (a spec is YAML; `t2t plan --out FILE` saves a plan)",
        )
    kind = found.group("kind").decode("utf-8", "replace")
    if kind != SAVED_FORMAT:
        raise SavedPlanError(
            path, f"saved in format {clip(kind)}; this t2t reads {SAVED_FORMAT} only; {_AGAIN}"
        )


def _check_seal(path: Path, data: bytes) -> str:
    """The file's checksum, after proving that it matches every other byte of the file."""
    sealed = _SEAL.match(data)
    if sealed is None:
        raise SavedPlanError(
            path, "the checksum is missing from the first line, where t2t writes it; " + _AGAIN
        )
    start, end = sealed.span("sha256")
    actual = _checksum(data, start, end)
    if not hmac.compare_digest(actual.encode(), sealed.group("sha256")):
        raise SavedPlanError(
            path,
            f"the content does not match its checksum: the file was changed or cut short"
            f" ({len(data):,} bytes now) since t2t wrote it; {_AGAIN}",
        )
    return sealed.group("sha256").decode()


def _first_problem(exc: ValidationError) -> str:
    """The first validation error as a sentence: where, what, and how many more."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" if _NAME.match(p) else f"[{clip(p)}]"
        for p in first["loc"]
    )
    where = where.lstrip(".") or "the top level"
    if first["type"] == "extra_forbidden":
        text = f"unknown field at {where}"
    elif first["type"] == "missing":
        text = f"missing field {where}"
    elif first["type"] == "json_invalid":
        text = first["msg"]
    else:
        text = f"malformed saved plan at {where}: {first['msg']} (found {_shown(first)})"
    more = len(errors) - 1
    return text + (f" (and {more} more problems)" if more else "") + f"; {_AGAIN}"


def _shown(error: ErrorDetails) -> str:
    """The offending value, cut short; containers and numbers by their kind only (a repr of
    either could be huge)."""
    value = error.get("input")
    if isinstance(value, str):
        return clip(value)
    kinds = {dict: "a mapping", list: "a list", bool: "true/false", int: "a number"}
    return kinds.get(type(value), "null" if value is None else "a number")


def check_origin(saved: SavedPlan, here: CloudOrigin | SandboxOrigin, path: Path) -> None:
    """Refuse, before anything is sent, a plan made against another service than ``here``."""
    problem = mismatch(saved.made_against, here)
    if problem is not None:
        raise SavedPlanError(path, problem)


def check_spec(saved: SavedPlan, desired: Desired, path: Path) -> None:
    """Refuse, before anything is sent, a plan whose spec (or a CSV it reads) changed."""
    if spec_fingerprint(desired) != saved.plan.spec_fingerprint:
        raise SavedPlanError(
            path,
            "the spec (or a CSV it reads) changed since the plan was made"
            f" ({desired.spec_path}); run t2t plan again and review the new plan",
        )


def _intent(action: Action) -> str:
    """Risk, dependencies and desired state in their JSON form (a saved plan's tuples come
    back as lists)."""
    data = action.model_dump(mode="json", include={"risk", "depends_on", "desired"})
    return json.dumps(data, sort_keys=True)


def _other_fields(saved: Action, fresh: Action) -> list[str]:
    """The fields whose JSON forms differ; empty when the actions are the same."""
    if saved == fresh:
        return []
    before, after = saved.model_dump(mode="json"), fresh.model_dump(mode="json")
    return sorted(k for k in after.keys() | before.keys() if before.get(k) != after.get(k))


_PLAN_FIELDS = ("spec_name", "source_tenant", "target_tenant")


def staleness(saved: Plan, fresh: Plan) -> list[str]:
    """Why the saved plan no longer describes the world, or differs in any way from what t2t
    would plan now; empty when it still is exactly that plan."""
    problems: list[str] = []
    if saved.spec_fingerprint != fresh.spec_fingerprint:
        problems.append("the spec (or a CSV it reads) changed since the plan was made")
    for name in _PLAN_FIELDS:
        if getattr(saved, name) != getattr(fresh, name):
            problems.append(f"the plan's {name} differs from the spec's")
    now = {a.id: a for a in fresh.actions}
    seen: set[str] = set()
    for action in saved.actions:
        if action.id in seen:
            problems.append(f"{action.id}: listed twice")
        seen.add(action.id)
        current = now.get(action.id)
        if current is None:
            problems.append(f"{action.id}: no longer needed (someone changed it meanwhile)")
        elif current.fingerprint != action.fingerprint:
            before = json.dumps(action.observed, sort_keys=True)
            after = json.dumps(current.observed, sort_keys=True)
            problems.append(f"{action.id}: the object changed since the plan: {before} → {after}")
        elif current.parameters != action.parameters:
            problems.append(f"{action.id}: would now send different parameters")
        elif current.blocked_by != action.blocked_by:
            now_blocked = ", ".join(current.blocked_by) or "nothing"
            problems.append(f"{action.id}: now blocked by {now_blocked}")
        elif _intent(current) != _intent(action):
            problems.append(f"{action.id}: its risk, dependencies or intent changed")
        elif fields := _other_fields(action, current):
            problems.append(f"{action.id}: its {', '.join(fields)} differ from a fresh plan's")
    reviewed = {(f.code, f.tenant, f.object) for f in saved.blocking}
    for f in fresh.blocking:
        if (f.code, f.tenant, f.object) not in reviewed:
            problems.append(f"{f.code} now blocks {f.tenant} {f.object}: {f.message}")
    for action_id in now.keys() - seen:
        problems.append(f"{action_id}: a new change appeared that the saved plan does not hold")
    if not problems and [a.id for a in saved.actions] != [a.id for a in fresh.actions]:
        problems.append("the actions are listed in another order than a fresh plan's")
    if fresh.unknowns:
        problems.append(
            "some state could not be read now: "
            + ", ".join(f"{u.tenant} {u.what}" for u in fresh.unknowns)
        )
    return problems
