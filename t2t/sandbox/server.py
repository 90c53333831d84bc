"""Run the sandbox: ``SandboxServer`` (tests, embedding) and ``serve`` (``t2t sandbox serve``).

On first start in a state directory the sandbox creates its CA and server certificate
(ca.py), token signing key (tokens.py), client secrets and state (state.py), then
serves HTTPS with uvicorn and writes ``DIR/profile.json``: everything a client needs
to reach it (base URL, CA file, endpoints, tenants and their admin app credentials).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from t2t.sandbox.app import create_app
from t2t.sandbox.ca import ensure_tls
from t2t.sandbox.context import SandboxContext
from t2t.sandbox.exchange.module_key import ModuleKey
from t2t.sandbox.state import StateStore
from t2t.sandbox.stats import Stats
from t2t.sandbox.strictness import PROFILES
from t2t.sandbox.tokens import TokenSigner

PROFILE_VERSION = 1
_START_TIMEOUT = 15.0


class SandboxServer:
    """A sandbox serving HTTPS from a background thread."""

    def __init__(
        self,
        state_dir: Path,
        *,
        port: int = 0,
        seed: Path | None = None,
        host: str = "127.0.0.1",
        profile: str = "strict",
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown sandbox profile {profile!r} (known: {', '.join(PROFILES)})")
        self.state_dir = Path(state_dir).resolve()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._host = host
        self._port = port
        self._tls = ensure_tls(self.state_dir)
        self._ctx = SandboxContext(
            store=StateStore(self.state_dir, seed),
            signer=TokenSigner(self.state_dir),
            stats=Stats(),
            module_key=ModuleKey(self.state_dir),
            profile=PROFILES[profile],
        )
        self.profile_name = profile
        self.ca_path: Path = self._tls.ca_cert
        self.profile_path: Path = self.state_dir / "profile.json"
        self.base_url: str = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("sandbox already started")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # proto=IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on accepted
        # sockets whose proto says TCP; without it every response with a body (headers and
        # body are two writes) waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        port = sock.getsockname()[1]
        host_part = f"[{self._host}]" if family == socket.AF_INET6 else self._host
        self.base_url = f"https://{host_part}:{port}"
        config = uvicorn.Config(
            create_app(self._ctx),
            ssl_certfile=str(self._tls.server_cert),
            ssl_keyfile=str(self._tls.server_key),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="t2t-sandbox", daemon=True
        )
        self._thread.start()
        self._wait_until_answering(port)
        self._write_profile()
        return self

    def _wait_until_answering(self, port: int) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        tls = ssl.create_default_context(cafile=str(self.ca_path))
        while time.monotonic() < deadline:
            if self._thread is None or not self._thread.is_alive():
                raise RuntimeError("the sandbox server thread exited during start-up")
            if self._server is not None and self._server.started:
                conn = http.client.HTTPSConnection(self._host, port, context=tls, timeout=2)
                try:
                    conn.request("GET", "/_sandbox/stats")
                    if conn.getresponse().status == 200:
                        return
                except OSError:
                    pass
                finally:
                    conn.close()
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"the sandbox did not answer within {_START_TIMEOUT} s")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=1)
            if self._thread.is_alive() and self._server is not None:
                # Idle keep-alive TLS connections of clients that never close them would
                # hold a graceful shutdown for the SSL shutdown timeout; don't wait for them.
                self._server.force_exit = True
                self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self._ctx.store.close()  # the journal folded into state.json (state.py)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- profile -------------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        """The client profile (also written to ``DIR/profile.json``)."""
        store = self._ctx.store
        tenants = []
        for t in store.state.tenants:
            admin = t.admin_client
            tenants.append(
                {
                    "name": t.name,
                    "tenantId": t.tenant_id,
                    "initialDomain": t.initial_domain,
                    "domains": list(t.domains),
                    "adminApp": _credentials(store, admin.client_id),
                    "clients": [
                        {"displayName": c.display_name, **_credentials(store, c.client_id)}
                        for c in t.clients
                        if not c.is_admin_app
                    ],
                }
            )
        return {
            "version": PROFILE_VERSION,
            "baseUrl": self.base_url,
            "caFile": str(self.ca_path),
            "pid": os.getpid(),
            "strictness": self.profile_name,
            "endpoints": {
                "login": self.base_url,
                "graph": f"{self.base_url}/v1.0",
                "exchange": f"{self.base_url}/adminapi/beta",
                # ARM at the root (/subscriptions/…): azure-mgmt's base_url. A vault's data
                # plane at /keyvault/{name}: where to connect for https://{name}.vault.azure.net/
                # (t2t/sandbox/azure/vault_routes.py).
                "arm": self.base_url,
                "keyVault": f"{self.base_url}/keyvault/{{name}}",
            },
            "tenants": tenants,
        }

    def _write_profile(self) -> None:
        from t2t.sandbox.ca import write_private

        # Holds client secrets: owner-only, like every other secret in DIR.
        write_private(self.profile_path, json.dumps(self.profile(), indent=2).encode())


def _credentials(store: StateStore, client_id: str) -> dict[str, Any]:
    cert = store.certificate_of(client_id)
    return {
        "clientId": client_id,
        "clientSecret": store.secret_of(client_id),
        "certificatePath": str(cert.path) if cert else None,
        "certificateThumbprint": cert.sha1_thumbprint if cert else None,
    }


def serve(
    state_dir: Path, *, port: int = 0, seed: Path | None = None, profile: str = "strict"
) -> None:
    """Serve until Ctrl-C (or SIGTERM); print where to find the sandbox."""
    server = SandboxServer(state_dir, port=port, seed=seed, profile=profile).start()
    print(f"t2t sandbox listening on {server.base_url}", flush=True)
    print(f"profile: {server.profile_path}", flush=True)
    print(f"CA:      {server.ca_path}", flush=True)

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        while server.running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("stopping t2t sandbox", file=sys.stderr, flush=True)
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
