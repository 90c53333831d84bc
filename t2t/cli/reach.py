"""Before a command reads the tenants: can their services be reached at all? One line if not.

A name that does not resolve, a refused connection or a TLS handshake t2t refuses is not the
passing fault the HTTP layer retries: it would retry each request for minutes and then show
every part of the snapshot as unreadable — twenty lines, long after the cause was plain. So
every command that talks to the tenants first opens one TLS connection to each service host it
will use (sign-in, Graph, Exchange; Azure Resource Manager when the spec keeps the endpoint's
certificate in Key Vault), sends nothing on it, and stops with one line: which tenant, which
host, what went wrong and what to check. Behind a proxy (HTTPS_PROXY, unless NO_PROXY excludes
the host) only the proxy itself can be tried: the connection to Microsoft goes through it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

from requests.utils import get_environ_proxies

from t2t.clients import HostSet

#: How long one connection and its TLS handshake may take before the host counts as silent.
CONNECT_SECONDS = 10.0


class Unreachable(Exception):
    """A service host t2t needs does not answer; the message is the one line to show."""


@dataclass(frozen=True)
class Service:
    """One host t2t talks to, what it is to a person, and for which of the spec's tenants."""

    what: str
    url: str
    tenants: str


def services(hosts: HostSet, source: str, target: str, azure: bool) -> list[Service]:
    """The hosts a command reading both tenants connects to, in the order it needs them."""
    both = f"the source tenant {source} and the target tenant {target}"
    found = [
        Service("sign-in (Microsoft Entra ID)", hosts.login, both),
        Service("Microsoft Graph", hosts.graph, both),
        Service("Exchange Online", hosts.exchange, both),
    ]
    if azure:
        found.append(Service("Azure Resource Manager", hosts.arm, f"the target tenant {target}"))
    return found


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or url, parts.port or (443 if parts.scheme != "http" else 80)


def _proxy(url: str, hosts: HostSet) -> str | None:
    """The proxy the HTTP clients will use for `url` (never for the sandbox: trust.py)."""
    if not hosts.trust.environment_proxies:
        return None
    proxies = get_environ_proxies(url)
    return proxies.get(urlsplit(url).scheme) or proxies.get("all")


def _why(exc: BaseException, sandbox: bool) -> str:
    """What went wrong, and what to check, in words an administrator acts on."""
    if isinstance(exc, socket.gaierror):
        return "its name does not resolve (DNS); check the machine's DNS and network"
    if isinstance(exc, ConnectionRefusedError):
        if sandbox:
            return (
                "nothing listens there (connection refused); is the sandbox running? "
                "start it with: t2t sandbox serve --state DIR"
            )
        return "the connection was refused; check the network, a firewall or the proxy"
    if isinstance(exc, TimeoutError):
        return (
            f"no answer within {CONNECT_SECONDS:g} s; check the network, a firewall or the "
            "proxy (HTTPS_PROXY)"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = (
            "the sandbox's CA is its profile's caFile: is this the sandbox that wrote it?"
            if sandbox
            else "behind a TLS-inspecting proxy, name its CA with --ca-bundle FILE"
        )
        return f"its TLS certificate is not trusted ({exc.verify_message or exc}); {hint}"
    if isinstance(exc, ssl.SSLError):
        return (
            f"the TLS handshake was refused ({exc.reason or exc}); check the proxy or a "
            "firewall that inspects TLS"
        )
    if isinstance(exc, OSError):
        return f"cannot connect ({exc.strerror or exc}); check the network"
    return f"cannot connect ({exc})"


async def _try(service: Service, hosts: HostSet, context: ssl.SSLContext) -> str | None:
    """None when `service` (or the proxy in front of it) accepts a connection, else the line
    that says why not."""
    proxy = _proxy(service.url, hosts)
    host, port = _address(proxy or service.url)
    tls = None if proxy else context
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=tls, server_hostname=host if tls else None),
            CONNECT_SECONDS,
        )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        where = (
            f"the proxy {host}:{port} (HTTPS_PROXY) in front of {service.what}"
            if proxy
            else f"{service.what} at {host}:{port}"
        )
        return f"cannot reach {service.tenants}: {where}: {_why(exc, hosts.is_sandbox)}"
    writer.close()
    with suppress(OSError, ssl.SSLError):  # a connection only opened: nothing can be lost
        await writer.wait_closed()
    return None


async def check_reachable(found: list[Service], hosts: HostSet) -> None:
    """Try every host once, all at once; raise Unreachable with the line of the first (in
    `found`'s order) that cannot be reached. Services on one host (the sandbox serves them
    all) are tried once, under the first one's name."""
    try:
        context = hosts.trust.ssl_context()
    except (OSError, ssl.SSLError) as exc:  # a sandbox profile whose CA file is gone
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        trusted = hosts.trust.describe()
        raise Unreachable(f"cannot load the CAs t2t trusts ({trusted}): {reason}") from None
    first: dict[tuple[str, int], Service] = {}
    for service in found:
        first.setdefault(_address(service.url), service)
    problems = await asyncio.gather(*(_try(s, hosts, context) for s in first.values()))
    for problem in problems:
        if problem is not None:
            raise Unreachable(problem)
