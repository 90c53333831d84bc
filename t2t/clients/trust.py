"""Which certificate authorities t2t trusts: one decision for every TLS connection it opens.

Three choices, never a fourth:

- **Microsoft's cloud**: the public roots of certifi (Mozilla's CA programme), loaded by path.
  Not "the system store": Python reaches that through OpenSSL's default verify paths
  (`SSLContext.load_default_certs`, what `ssl.create_default_context()` and urllib3 load), and
  OpenSSL takes those paths from SSL_CERT_FILE / SSL_CERT_DIR — the variables an interceptor
  sets. certifi is already what httpx and requests verify with by default, it is the same file
  on every machine, and it holds the roots Microsoft's endpoints chain to (DigiCert Global Root
  G2, Microsoft RSA and ECC Root Certificate Authority 2017: "Azure Certificate Authority
  details", learn.microsoft.com/azure/security/fundamentals/azure-ca-details).
- **Microsoft's cloud behind a TLS-inspecting proxy**: those roots *plus* a CA bundle the
  operator names on the command line (`--ca-bundle FILE`, checked by `check_ca_bundle`). Added,
  not substituted: Microsoft asks networks to let Microsoft 365 traffic bypass inspection
  ("Microsoft 365 network connectivity principles", learn.microsoft.com/microsoft-365/
  enterprise/microsoft-365-network-connectivity-principles), so one run can meet re-signed and
  Microsoft-signed certificates side by side. An option, not a spec field: a spec arrives in
  pull requests, and a spec's author must not choose whom a CI runner's credentials go to.
- **The sandbox**: its own CA, nothing else.

The environment still chooses proxies: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY are
honoured towards Microsoft's cloud (administrators behind a proxy need them; TLS to Microsoft is
tunnelled through CONNECT and verified against the CAs above), never towards the sandbox, which
runs on this machine. The hop to an `https://` proxy itself is verified by the HTTP library's
own defaults: a proxy named in the environment is the environment's choice. Never read:
REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE (requests' `Session.merge_environment_settings`, only with
`trust_env`), SSL_CERT_FILE and SSL_CERT_DIR (OpenSSL's default paths; httpx's
`create_ssl_context` only for `verify=True`), SSLKEYLOGFILE (written by
`ssl.create_default_context` and urllib3's `create_urllib3_context`: every session key, i.e.
every secret sent) and ~/.netrc (requests, with `trust_env`).

Every client gets a fresh context from here: httpx (`verify=`), MSAL (`http_client=`, a
requests session whose adapter hands urllib3 this context for every pool, proxied or not, and
no CA path that urllib3 would load into it), azure-identity (`transport=`, azure-core's
RequestsTransport over such a session). Managed identity keeps azure-identity's own transport:
its endpoint is on the machine itself (IMDS is plain HTTP on 169.254.169.254, App Service and
Arc listen on localhost; Service Fabric pins its certificate by thumbprint, which a CA set would
break) and t2t sends it no secret.
"""

from __future__ import annotations

import re
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
import requests
from cryptography import x509
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from requests.utils import get_environ_proxies

from t2t.clients.errors import CaBundleError, CertificateRefused

_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
#: A CA bundle larger than this is not a CA bundle (certifi's whole programme is ~0.3 MB).
CA_BUNDLE_MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Trust:
    """The CAs servers are verified against, and whether proxies come from the environment."""

    bundles: tuple[Path, ...] = ()
    public_roots: bool = True
    environment_proxies: bool = True

    def describe(self) -> str:
        named = [str(b) for b in self.bundles]
        return " + ".join((["the public roots (certifi)"] if self.public_roots else []) + named)

    def ssl_context(self) -> ssl.SSLContext:
        """Built by hand: `ssl.create_default_context` would add OpenSSL's default paths
        (SSL_CERT_FILE, SSL_CERT_DIR) and honour SSLKEYLOGFILE (Python's `ssl` docs)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname
        if self.public_roots:
            context.load_verify_locations(cafile=certifi.where())
        for bundle in self.bundles:
            context.load_verify_locations(cafile=str(bundle))
        return context

    def httpx_options(self) -> dict[str, Any]:
        """`verify` and `trust_env` for an httpx client. With an SSLContext as `verify`, httpx
        reads no CA variable; `trust_env` then governs its proxies only (httpx `_config.py`
        `create_ssl_context`, `_client.py`)."""
        return {"verify": self.ssl_context(), "trust_env": self.environment_proxies}

    def refusal(self, exc: BaseException, url: str) -> CertificateRefused | None:
        """`exc` as a CertificateRefused when it is a failed certificate verification, naming
        the host, OpenSSL's reason and what t2t trusts; None for any other fault."""
        failure = _verification_failure(exc)
        if failure is None:
            return None
        host = urlsplit(url).netloc or url
        hint = ": behind a TLS-inspecting proxy, name its CA with --ca-bundle FILE"
        return CertificateRefused(
            f"the TLS certificate of {host} is not trusted ({failure.verify_message or failure}); "
            f"t2t trusts {self.describe()}, never a CA named by the environment"
            + (hint if self.public_roots else "")
        )

    def requests_session(self) -> requests.Session:
        """A requests session for MSAL (`http_client=`) and azure-core."""
        return _TrustedSession(self)

    def azure_transport(self) -> Any:
        """azure-core's RequestsTransport over `requests_session()`, owning (and closing) it.
        A session handed in is used as it is (`RequestsTransport.open` initialises only one it
        creates), so azure-core's own `trust_env` and adapter never replace these."""
        from azure.core.pipeline.transport import RequestsTransport

        return RequestsTransport(session=self.requests_session(), session_owner=True)


def _verification_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error somewhere under `exc`: httpx chains it
    (`__cause__`), requests keeps it in urllib3's MaxRetryError (`args`, `reason`), azure-core
    in `inner_exception`."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return e
        linked = (getattr(e, "reason", None), getattr(e, "inner_exception", None))
        todo.extend((e.__cause__, e.__context__, *linked, *e.args))
    return None


def trust_for(ca_file: Path | None = None, ca_bundle: Path | None = None) -> Trust:
    """`ca_file`: the sandbox's CA, trusted alone, no proxy. Otherwise Microsoft's cloud: the
    public roots and the operator's `ca_bundle`, proxies from the environment."""
    if ca_file is not None:
        return Trust(bundles=(ca_file,), public_roots=False, environment_proxies=False)
    return Trust(bundles=() if ca_bundle is None else (ca_bundle,))


class _PinnedAdapter(HTTPAdapter):
    """Hands urllib3 one context for every connection, whatever `verify` a caller passes
    (azure-core passes `connection_verify`, True by default, which requests turns into certifi's
    path; requests' docs for `build_connection_pool_key_attributes` name this override)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def build_connection_pool_key_attributes(
        self, request: PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if cert:
            raise ValueError("t2t presents no TLS client certificate")
        host_params, _ = super().build_connection_pool_key_attributes(request, True, None)
        return host_params, {"ssl_context": self._context, "cert_reqs": "CERT_REQUIRED"}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """No CA path on the pool: urllib3 would load it into the context (`ssl_wrap_socket`)."""
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


class _TrustedSession(requests.Session):
    """`trust_env` off (no CA variable, no netrc); proxies read as requests would with it on,
    when the trust allows them."""

    def __init__(self, trust: Trust) -> None:
        super().__init__()
        self.trust_env = False
        self._trust = trust
        self.mount("https://", _PinnedAdapter(trust.ssl_context()))

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:
        """A refused certificate leaves as CertificateRefused, through MSAL and azure-core
        alike, which would otherwise take it for one more connection fault to retry."""
        try:
            return super().send(request, **kwargs)
        except requests.exceptions.SSLError as exc:
            refused = self._trust.refusal(exc, request.url or "")
            if refused is None:
                raise
            raise refused from exc

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if self._trust.environment_proxies:
            proxies = dict(proxies or {})
            for scheme, proxy in get_environ_proxies(url, proxies.get("no_proxy")).items():
                proxies.setdefault(scheme, proxy)
        return super().merge_environment_settings(url, proxies, stream, verify, cert)


def check_ca_bundle(path: Path) -> Path:
    """The operator's CA bundle, read and checked before anything connects: PEM certificates of
    CAs only. Raises CaBundleError naming the file."""
    where = f"--ca-bundle {path}"
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise CaBundleError(f"{where}: not a file")
        if size > CA_BUNDLE_MAX_BYTES:
            raise CaBundleError(
                f"{where}: {size} bytes; a CA bundle is PEM certificates, at most "
                f"{CA_BUNDLE_MAX_BYTES // (1024 * 1024)} MiB"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise CaBundleError(f"{where}: no such file") from None
    except OSError as exc:
        raise CaBundleError(f"{where}: cannot read it: {exc.strerror}") from None
    if b"PRIVATE KEY-----" in data:
        raise CaBundleError(f"{where}: holds a private key; a CA bundle holds certificates only")
    blocks = _PEM_CERTIFICATE.findall(data)
    if not blocks:
        raise CaBundleError(
            f"{where}: no PEM certificate in it (expected -----BEGIN CERTIFICATE----- blocks)"
        )
    for number, block in enumerate(blocks, start=1):
        try:
            with warnings.catch_warnings():  # a public root may break RFC 5280 (a 0 serial)
                warnings.simplefilter("ignore")
                certificate = x509.load_pem_x509_certificate(block)
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        except (ValueError, x509.ExtensionNotFound):
            continue  # OpenSSL judges it below; a v1 root without extensions is a trust anchor
        if not constraints.value.ca:
            raise CaBundleError(
                f"{where}: certificate {number} ({certificate.subject.rfc4514_string()}) is not "
                "a CA certificate (basicConstraints CA:FALSE); name the proxy's CA, not a server's"
            )
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
    except ssl.SSLError as exc:
        raise CaBundleError(f"{where}: OpenSSL cannot read it ({exc.reason or exc})") from None
    return path.resolve()
