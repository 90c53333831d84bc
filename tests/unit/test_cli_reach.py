"""Can the tenants' services be reached at all (t2t/cli/reach.py)? Each way a connection fails
— a name that does not resolve, a refusal, silence, a certificate not trusted, a peer that does
not speak TLS, a dead proxy — ends in one line naming the tenants, the host and what to check;
a host that answers passes without a byte sent to it."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from t2t.cli import reach
from t2t.cli.reach import Unreachable, check_reachable, services
from t2t.clients import HostSet
from t2t.sandbox.ca import ensure_tls

SOURCE, TARGET = "6d0c3f1e-8b2a-4c47-9e15-3a5b7c9d1e20", "9a41d2b7-5c3e-4f68-8a90-1b2c3d4e5f60"
BOTH = f"the source tenant {SOURCE} and the target tenant {TARGET}"


def hosts_at(url: str, *, ca_file: Path | None = None, arm: str | None = None) -> HostSet:
    """Every service at `url`: the sandbox's trust with `ca_file`, the cloud's without."""
    return HostSet(
        name="sandbox" if ca_file else "test-cloud",
        login=url,
        graph=f"{url}/v1.0",
        exchange=f"{url}/adminapi/beta",
        arm=arm or url,
        ca_file=ca_file,
    )


def check(hosts: HostSet, *, azure: bool = False) -> str | None:
    """The line check_reachable raises, or None when every host answered."""
    try:
        asyncio.run(check_reachable(services(hosts, SOURCE, TARGET, azure), hosts))
    except Unreachable as exc:
        return str(exc)
    return None


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(handle: str, tmp_path: Path) -> Iterator[tuple[int, list[bytes]]]:
    """A local server on a free port: `tls` (the sandbox CA's certificate), `plain` (answers
    in clear text), `silent` (accepts, never answers). Yields the port and what it received."""
    received: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    context = None
    if handle == "tls":
        files = ensure_tls(tmp_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.server_cert, files.server_key)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            if handle == "plain":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                conn.close()
            elif handle == "tls" and context is not None:
                conn.settimeout(5)
                try:
                    tls = context.wrap_socket(conn, server_side=True)
                    tls.settimeout(1)
                    try:
                        received.append(tls.recv(1024))
                    except (TimeoutError, ssl.SSLError, OSError):
                        received.append(b"")
                    tls.close()
                except (ssl.SSLError, OSError):
                    conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1]), received
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for conn in held:
            conn.close()


def test_hosts_that_answer_pass_and_are_sent_nothing(tmp_path: Path) -> None:
    with server("tls", tmp_path) as (port, received):
        ca = tmp_path / "ca.pem"
        assert check(hosts_at(f"https://127.0.0.1:{port}", ca_file=ca), azure=True) is None
    assert received == [b""]  # one connection for the four services on one host, no bytes


def test_a_refused_connection_names_the_tenants_the_host_and_the_sandbox(tmp_path: Path) -> None:
    port = closed_port()
    line = check(hosts_at(f"https://127.0.0.1:{port}", ca_file=ensure_tls(tmp_path).ca_cert))
    assert line == (
        f"cannot reach {BOTH}: sign-in (Microsoft Entra ID) at 127.0.0.1:{port}: nothing "
        "listens there (connection refused); is the sandbox running? start it with: "
        "t2t sandbox serve --state DIR"
    )
    cloud = check(hosts_at(f"https://127.0.0.1:{port}"))
    assert cloud is not None
    assert cloud.endswith("the connection was refused; check the network, a firewall or the proxy")


def test_a_name_that_does_not_resolve_is_a_dns_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    line = check(hosts_at("https://t2t-test.invalid"))  # RFC 2606: never resolves
    assert line == (
        f"cannot reach {BOTH}: sign-in (Microsoft Entra ID) at t2t-test.invalid:443: its name "
        "does not resolve (DNS); check the machine's DNS and network"
    )


def test_only_the_target_needs_azure_resource_manager(tmp_path: Path) -> None:
    port = closed_port()
    with server("tls", tmp_path) as (good, _):
        hosts = hosts_at(
            f"https://127.0.0.1:{good}",
            ca_file=tmp_path / "ca.pem",
            arm=f"https://127.0.0.1:{port}",
        )
        assert check(hosts) is None  # clientSecret mode: ARM is never used
        line = check(hosts, azure=True)
    assert line is not None
    assert line.startswith(
        f"cannot reach the target tenant {TARGET}: Azure Resource Manager at 127.0.0.1:{port}: "
    )


def test_a_certificate_t2t_does_not_trust_says_to_name_the_proxy_ca(tmp_path: Path) -> None:
    with server("tls", tmp_path) as (port, _):
        line = check(hosts_at(f"https://127.0.0.1:{port}"))  # public roots only
    assert line is not None
    assert line.startswith(f"cannot reach {BOTH}: sign-in (Microsoft Entra ID) at 127.0.0.1:")
    assert "its TLS certificate is not trusted (" in line
    assert line.endswith("behind a TLS-inspecting proxy, name its CA with --ca-bundle FILE")


def test_a_peer_that_does_not_speak_tls(tmp_path: Path) -> None:
    with server("plain", tmp_path) as (port, _):
        line = check(hosts_at(f"https://127.0.0.1:{port}", ca_file=ensure_tls(tmp_path).ca_cert))
    assert line is not None
    assert "the TLS handshake was refused (" in line
    assert line.endswith("check the proxy or a firewall that inspects TLS")


def test_silence_ends_after_the_connect_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach, "CONNECT_SECONDS", 0.5)
    with server("silent", tmp_path) as (port, _):
        line = check(hosts_at(f"https://127.0.0.1:{port}", ca_file=ensure_tls(tmp_path).ca_cert))
    assert line == (
        f"cannot reach {BOTH}: sign-in (Microsoft Entra ID) at 127.0.0.1:{port}: no answer "
        "within 0.5 s; check the network, a firewall or the proxy (HTTPS_PROXY)"
    )


def test_behind_a_proxy_the_proxy_is_what_is_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    line = check(hosts_at("https://login.example.test"))
    assert line is not None
    assert line.startswith(
        f"cannot reach {BOTH}: the proxy 127.0.0.1:{port} (HTTPS_PROXY) in front of sign-in "
        "(Microsoft Entra ID): the connection was refused"
    )


def test_a_missing_ca_file_is_one_line_too(tmp_path: Path) -> None:
    line = check(hosts_at("https://127.0.0.1:1", ca_file=tmp_path / "gone.pem"))
    assert line == (
        f"cannot load the CAs t2t trusts ({tmp_path / 'gone.pem'}): No such file or directory"
    )
