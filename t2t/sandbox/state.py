"""Everything the sandbox keeps on disk in its state directory, and how.

Layout of DIR (all created on first start):

- ``ca.pem``/``ca-key.pem`` (0600), ``server.pem``/``server-key.pem`` (0600): TLS (ca.py);
- ``token-signing-key.pem`` (0600): the RSA key that signs access tokens (tokens.py);
- ``clients/<clientId>.pem`` (0600): key + self-signed certificate of each seeded client,
  registered as its app's keyCredential (client_certs.py);
- ``secrets.json`` (0600): one random client secret per confidential client, made on
  first start so no secret ever lives in git; it survives ``/_sandbox/reset``;
- ``seed.json``: the seed this directory was created from (reset restores it);
- ``state.json`` (0600): the tenants as they are now, rewritten atomically after every
  mutating request (it holds the private keys of the emulated Key Vault certificates);
- ``profile.json``: how clients reach this sandbox (server.py).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path

from pydantic import ValidationError

from t2t.sandbox.ca import write_private
from t2t.sandbox.client_certs import (
    ClientCertificate,
    ensure_client_certificates,
    register_certificates,
)
from t2t.sandbox.model import STATE_FORMAT, SandboxState, state_from_seed
from t2t.sandbox.seed import Seed, load_seed, seed_fingerprint
from t2t.sandbox.seed_errors import SeedError


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


def _atomic_write(path: Path, text: str) -> None:
    """Owner-only (0600): state.json holds the private keys of Key Vault certificates."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def new_client_secret() -> str:
    """A secret shaped like Entra's (40 characters, letters, digits, ``~._-``)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
    return "".join(secrets.choice(alphabet) for _ in range(40))


class StateStore:
    """Owns ``state.json``, ``seed.json`` and ``secrets.json`` of one state directory."""

    def __init__(self, state_dir: Path, seed_path: Path | None) -> None:
        self.dir = state_dir
        self.state_path = state_dir / "state.json"
        self.seed_path = state_dir / "seed.json"
        self.secrets_path = state_dir / "secrets.json"
        self._lock = threading.RLock()
        self.seed = self._resolve_seed(seed_path)
        self.secrets = self._load_secrets()
        self.certificates = ensure_client_certificates(
            state_dir, [c.clientId for t in self.seed.tenants for c in (t.adminApp, *t.clients)]
        )
        if self.state_path.exists():
            self.state = self._load_state()
        else:
            self.state = self._initial_state()
            self.save()

    def _load_state(self) -> SandboxState:
        start_over = f"Delete {self.dir} (make clean-sandbox) to start a fresh sandbox."
        try:
            data = json.loads(self.state_path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise StateDirError(f"{self.state_path} is unreadable ({exc}). {start_over}") from exc
        version = data.get("version") if isinstance(data, dict) else None
        if version != STATE_FORMAT:
            raise StateDirError(
                f"{self.dir} holds sandbox state format {version}, this sandbox uses "
                f"{STATE_FORMAT}. {start_over}"
            )
        try:
            return SandboxState.model_validate(data)
        except ValidationError as exc:
            raise StateDirError(
                f"{self.state_path} does not match the model. {start_over}"
            ) from exc

    def _initial_state(self) -> SandboxState:
        state = state_from_seed(self.seed)
        register_certificates(state, self.certificates)
        return state

    def certificate_of(self, client_id: str) -> ClientCertificate | None:
        return next((c for c in self.certificates if c.client_id == client_id.lower()), None)

    def _resolve_seed(self, seed_path: Path | None) -> Seed:
        stored = (
            Seed.model_validate_json(self.seed_path.read_text("utf-8"))
            if self.seed_path.exists()
            else None
        )
        if stored is not None:
            if seed_path is not None:
                given = _load_seed(seed_path)
                if seed_fingerprint(given) != seed_fingerprint(stored):
                    raise SeedMismatchError(
                        f"{self.dir} already holds a sandbox created from a different seed; "
                        f"refusing to start it with {seed_path}. Use a new state directory, "
                        "or delete this one to start over."
                    )
            return stored
        seed = _load_seed(seed_path)
        self.dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.seed_path, json.dumps(seed.model_dump(mode="json"), indent=2))
        return seed

    def _load_secrets(self) -> dict[str, str]:
        known: dict[str, str] = {}
        if self.secrets_path.exists():
            known = json.loads(self.secrets_path.read_text("utf-8"))
        changed = False
        for t in self.seed.tenants:
            for c in (t.adminApp, *t.clients):
                if c.clientId.lower() not in known:
                    known[c.clientId.lower()] = new_client_secret()
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
        with self._lock:
            self.state.bump()  # every change is saved: read caches start over
            _atomic_write(self.state_path, self.state.model_dump_json(indent=1))

    def reset(self) -> None:
        """Restore the seed's state (secrets, keys and CA are kept)."""
        with self._lock:
            self.state = self._initial_state()
            self.save()
