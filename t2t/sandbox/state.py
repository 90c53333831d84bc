"""Everything the sandbox keeps on disk in its state directory, and how.

Layout of DIR (all created on first start):

- ``ca.pem``/``ca-key.pem`` (0600), ``server.pem``/``server-key.pem`` (0600): TLS (ca.py);
- ``token-signing-key.pem`` (0600): the RSA key that signs access tokens (tokens.py);
- ``clients/<clientId>.pem`` (0600): key + self-signed certificate of each seeded client,
  registered as its app's keyCredential (client_certs.py);
- ``secrets.json`` (0600): one random client secret per confidential client, made on
  first start so no secret ever lives in git; it survives ``/_sandbox/reset``;
- ``seed.json``: the seed this directory was created from (reset restores it);
- ``state.json`` (0600): the tenants as of the last compaction (it holds the private keys of
  the emulated Key Vault certificates): the state model's JSON with fields at their default
  left out, and first the key ``"journal"``, the id the journal names; written atomically;
- ``state.journal`` (0600): every change since, one fsynced line per mutating request
  (journal.py); state.json + state.journal is the state. Compacted into a new state.json at
  start when it holds changes, at stop, on reset, and once it outgrows state.json;
- ``profile.json``: how clients reach this sandbox (server.py).
"""

from __future__ import annotations

import gc
import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from t2t.sandbox import journal, tracking
from t2t.sandbox.ca import write_private
from t2t.sandbox.client_certs import (
    ClientCertificate,
    ensure_client_certificates,
    register_certificates,
)
from t2t.sandbox.model import STATE_FORMAT, SandboxState, state_from_seed
from t2t.sandbox.seed import Seed, load_seed, seed_fingerprint
from t2t.sandbox.seed_errors import SeedError

COMPACT_AT = 8 << 20
"""A journal is compacted once it is larger than this and than state.json (so the work of a
compaction is spread over at least as many bytes of writes as it rewrites)."""


class StateDirError(RuntimeError):
    """A state directory this sandbox cannot use; the message says what to do."""


class SeedMismatchError(StateDirError):
    """A state directory was created from one seed and is being started with another."""


def _load_seed(path: Path | None) -> Seed:
    """The seed, or a StateDirError whose message is the seed's positioned problems (the CLI
    prints StateDirError without a traceback)."""
    try:
        return load_seed(path)
    except SeedError as exc:
        raise StateDirError(f"the seed does not load:\n{exc}") from exc


@contextmanager
def _no_collection() -> Iterator[None]:
    """Python's cycle collector paused while a whole state is built or written: with millions
    of live objects each full collection walks them all, and building 50,000 mailboxes
    triggers dozens (tripling the time). The state lives as long as the sandbox, so what
    exists afterwards is frozen out of later collections (gc.freeze)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        gc.freeze()


class _Stored(SandboxState):
    """state.json as written: the state and the id its journal names."""

    journal: str = ""


def new_client_secret() -> str:
    """A secret shaped like Entra's (40 characters, letters, digits, ``~._-``)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
    return "".join(secrets.choice(alphabet) for _ in range(40))


def load_state(state_dir: Path) -> tuple[SandboxState, int, str]:
    """The state kept in ``state_dir``: state.json with the saves in state.journal replayed on
    it, how many saves that was, and the snapshot id state.json carries ("" before journals).
    Safe while a sandbox runs there (tests read it so): a line still being written is left
    out, and a compaction in between is noticed by the id at the head of state.json and the
    read done again."""
    for _ in range(5):
        text = _read(state_dir / "state.json")
        loaded = _replayed(state_dir, text)
        if _read(state_dir / "state.json")[:_HEAD] == text[:_HEAD]:
            return loaded
    raise StateDirError(f"{state_dir} kept changing while it was read; try again.")


_HEAD = 64
"""Bytes of state.json that hold its journal id (written first, `StateStore.compact`)."""


def _start_over(state_dir: Path) -> str:
    return f"Delete {state_dir} (make clean-sandbox) to start a fresh sandbox."


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StateDirError(f"{path} is unreadable ({exc}). {_start_over(path.parent)}") from exc


def _replayed(state_dir: Path, text: bytes) -> tuple[SandboxState, int, str]:
    state_path, journal_path = state_dir / "state.json", state_dir / "state.journal"
    with _no_collection():
        try:
            stored = _Stored.model_validate_json(text)
        except ValidationError as exc:
            _refuse_format(state_dir, text)
            raise StateDirError(
                f"{state_path} does not match the model. {_start_over(state_dir)}"
            ) from exc
        if stored.version != STATE_FORMAT:
            _refuse_format(state_dir, text)
        state = SandboxState(version=stored.version, tenants=stored.tenants)
        replayed = 0
        try:
            for number, ops in journal.read(journal_path, stored.journal or None):
                for op in ops:
                    try:
                        tracking.replay(state, op)
                    except (LookupError, TypeError, ValueError) as exc:
                        raise StateDirError(
                            f"{journal_path}:{number}: cannot be applied to {state_path} "
                            f"({exc}). {_start_over(state_dir)}"
                        ) from None
                replayed += 1
        except journal.JournalError as exc:
            raise StateDirError(f"{exc}. {_start_over(state_dir)}") from None
    return state, replayed, stored.journal


def _refuse_format(state_dir: Path, text: bytes) -> None:
    """A StateDirError naming the format, when state.json says it is another one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateDirError(
            f"{state_dir / 'state.json'} is unreadable ({exc}). {_start_over(state_dir)}"
        ) from exc
    version = data.get("version", STATE_FORMAT) if isinstance(data, dict) else None
    if version != STATE_FORMAT:
        raise StateDirError(
            f"{state_dir} holds sandbox state format {version}, this sandbox uses "
            f"{STATE_FORMAT}. {_start_over(state_dir)}"
        )


class StateStore:
    """Owns ``state.json``, ``state.journal``, ``seed.json`` and ``secrets.json`` of one state
    directory. Handlers change ``state`` in place; `save` makes their changes durable."""

    def __init__(self, state_dir: Path, seed_path: Path | None) -> None:
        self.dir = state_dir
        self.state_path = state_dir / "state.json"
        self.journal_path = state_dir / "state.journal"
        self.seed_path = state_dir / "seed.json"
        self.secrets_path = state_dir / "secrets.json"
        self._lock = threading.RLock()
        self._seed: Seed | None = None
        with _no_collection():  # a 50,000-mailbox seed is millions of objects too
            self._seed = self._resolve_seed(seed_path)
        self._journal = journal.Journal(self.journal_path)
        self._snapshot_size = 0
        if self.state_path.exists():
            self.state, replayed, snapshot = load_state(self.dir)
            self._credentials([c.client_id for t in self.state.tenants for c in t.clients])
            tracking.attach(self.state, self._journal)
            if replayed or not snapshot or journal.snapshot_of(self.journal_path) != snapshot:
                # Stopped uncleanly (start from one file again), or no journal continues
                # this state.json (a directory from before journals, a journal removed).
                self.compact()
            else:
                self._snapshot_size = self.state_path.stat().st_size
                self._journal.resume(self.journal_path.stat().st_size)
        else:
            seed = self.seed
            self._credentials([c.clientId for t in seed.tenants for c in (t.adminApp, *t.clients)])
            self.state = self._initial_state()
            tracking.attach(self.state, self._journal)
            self.compact()

    def _credentials(self, client_ids: list[str]) -> None:
        """Each client's secret and certificate (made on first start, kept ever after)."""
        self.secrets = self._load_secrets(client_ids)
        self.certificates = ensure_client_certificates(self.dir, client_ids)

    @property
    def seed(self) -> Seed:
        """The seed this directory was made from, read from seed.json when first needed (a
        restart needs only state.json: 50,000 mailboxes' seed takes seconds to validate)."""
        if self._seed is None:
            self._seed = Seed.model_validate_json(self.seed_path.read_bytes())
        return self._seed

    def _initial_state(self) -> SandboxState:
        with _no_collection():
            state = state_from_seed(self.seed)
            register_certificates(state, self.certificates)
            return state

    def certificate_of(self, client_id: str) -> ClientCertificate | None:
        return next((c for c in self.certificates if c.client_id == client_id.lower()), None)

    def _resolve_seed(self, seed_path: Path | None) -> Seed | None:
        """The seed to start from when this directory is new (written to seed.json), after
        refusing a ``seed_path`` other than the one it was made from; None when the directory
        has its seed already (read only if needed, `seed`)."""
        if self.seed_path.exists():
            if seed_path is not None:
                given = _load_seed(seed_path)
                if seed_fingerprint(given) != seed_fingerprint(self.seed):
                    raise SeedMismatchError(
                        f"{self.dir} already holds a sandbox created from a different seed; "
                        f"refusing to start it with {seed_path}. Use a new state directory, "
                        "or delete this one to start over."
                    )
            return self._seed
        seed = _load_seed(seed_path)
        self.dir.mkdir(parents=True, exist_ok=True)
        journal.write_durably(self.seed_path, seed.model_dump_json(indent=2).encode())
        return seed

    def _load_secrets(self, client_ids: list[str]) -> dict[str, str]:
        known: dict[str, str] = {}
        if self.secrets_path.exists():
            known = json.loads(self.secrets_path.read_text("utf-8"))
        changed = False
        for client_id in client_ids:
            if client_id.lower() not in known:
                known[client_id.lower()] = new_client_secret()
                changed = True
        if changed or not self.secrets_path.exists():
            write_private(self.secrets_path, json.dumps(known, indent=2).encode())
        return known

    @property
    def lock(self) -> threading.RLock:
        """Held by request handlers while they read-modify-write the state."""
        return self._lock

    def secret_of(self, client_id: str) -> str | None:
        return self.secrets.get(client_id.lower())

    def save(self) -> None:
        """Make every change since the last save durable (one journal line, fsynced) before
        the request that made them is answered."""
        with self._lock:
            self.state.bump()  # every change is saved: read caches start over
            self._journal.commit()
            if self._journal.size > max(COMPACT_AT, self._snapshot_size):
                self.compact()

    def compact(self) -> None:
        """Write the whole state to state.json and start an empty journal after it. In this
        order, so a crash between leaves a journal naming the old snapshot, which the next
        start ignores (the new snapshot holds its changes)."""
        with self._lock:
            self.state.bump()
            snapshot = uuid.uuid4().hex
            body = self.state.model_dump_json(exclude_defaults=True)
            head = f'{{"journal":"{snapshot}","version":{STATE_FORMAT}'
            text = head + ("," + body[1:] if body != "{}" else "}")
            journal.write_durably(self.state_path, text.encode())
            self._snapshot_size = len(text)
            self._journal.start(snapshot)

    def close(self) -> None:
        """At stop: fold the journal into state.json, so the next start reads one file."""
        with self._lock:
            self._journal.commit()
            if self._journal.saves:
                self.compact()
            self._journal.close()

    def reset(self) -> None:
        """Restore the seed's state (secrets, keys and CA are kept)."""
        with self._lock:
            tracking.attach(self.state, None)
            gc.unfreeze()  # the old state may now be collected
            self.state = self._initial_state()
            tracking.attach(self.state, self._journal)
            self.compact()
