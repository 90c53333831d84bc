"""Two small servers for the trust tests, an HTTPS interceptor and a CONNECT proxy, and an
OpenSSL CA directory for SSL_CERT_DIR.

The interceptor stands where an attacker with a foreign CA would: its certificate is signed by
a CA of its own (t2t/sandbox/ca.py `ensure_tls`, the sandbox's own certificate maker, in
another folder). It counts every TCP connection and every completed TLS handshake, and keeps
every byte a client sends after one — so "no secret left" is `received == []`, and "the client
did try" is `connections > 0`.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from t2t.sandbox.ca import TlsFiles

_ANSWER = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def _read_request(conn: socket.socket | ssl.SSLSocket) -> bytes:
    """One HTTP request, head and Content-Length body (or what came before the peer stopped)."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        length = int(match.group(1)) if match else 0
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    except OSError:
        return data


@dataclass
class Interceptor:
    """An HTTPS server on 127.0.0.1 presenting a certificate its own CA signed."""

    tls: TlsFiles
    connections: int = 0
    handshakes: int = 0
    received: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._lock = threading.Lock()
        self._active = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._active += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            self._converse(conn)
        finally:
            with self._lock:
                self._active -= 1

    def _converse(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except OSError:  # the client refused the certificate (or gave up)
            conn.close()
            return
        with self._lock:
            self.handshakes += 1
        with tls:
            request = _read_request(tls)
            with self._lock:
                self.received.append(request)
            with contextlib.suppress(OSError):
                tls.sendall(_ANSWER)

    def settle(self, timeout: float = 10.0) -> Interceptor:
        """Wait until every accepted connection has been handled (a client may finish its side
        of a handshake, or refuse it, before the server's thread has)."""
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            with self._lock:
                if self._active == 0:
                    return self
            time.sleep(0.01)
        raise AssertionError("the interceptor is still handling a connection")

    def close(self) -> None:
        self._sock.close()


@dataclass
class ConnectProxy:
    """A forward proxy that tunnels CONNECT requests and records their targets."""

    targets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = _read_request(client).split(b"\r\n", 1)[0].decode("latin-1")
        method, _, rest = head.partition(" ")
        target = rest.split(" ", 1)[0]
        if method != "CONNECT":
            client.close()
            return
        self.targets.append(target)
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            client.close()
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self._sock.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def openssl_ca_dir(ca: Path, where: Path) -> Path:
    """A directory holding `ca` under its subject hash, as OpenSSL looks up SSL_CERT_DIR."""
    digest = subprocess.run(
        ["openssl", "x509", "-subject_hash", "-noout", "-in", str(ca)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    where.mkdir()
    (where / f"{digest}.0").write_bytes(ca.read_bytes())
    return where
