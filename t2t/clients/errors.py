"""Every client exception in one module (httpx's _exceptions.py is the model): typed errors that
keep Microsoft's own code, exception type and message, and the local refusals (a secret that
cannot be resolved, a bad sandbox profile, a module file without its key)."""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error a t2t client raises."""


class AuthError(ClientError):
    """The identity platform refused to issue a token (AADSTS code kept in the message)."""

    def __init__(
        self,
        message: str,
        *,
        codes: tuple[int, ...] = (),
        transient: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.codes = codes
        """Entra's AADSTS numbers (the token response's ``error_codes``), e.g. 7000215."""
        self.transient = transient
        """No answer about the credential at all (throttled, unavailable, unreachable, timed
        out): asking again later may succeed, as for any other transient fault."""
        self.retry_after = retry_after
        """The seconds a throttled or unavailable answer asked the client to wait."""


class DeadlineReached(Exception):
    """The work in hand (an apply action) reached its deadline while retrying or waiting; the
    message says for what. Deliberately not a ClientError: nothing that handles a client's
    failure may turn it into one — what was asked may still happen, so its outcome is unknown
    and only a later run can tell (t2t/clients/deadline.py)."""


class TransportError(ClientError):
    """The service could not be reached, or kept failing until the retry deadline passed."""


class CertificateRefused(ClientError):
    """A server's TLS certificate chains to no CA t2t trusts (t2t/clients/trust.py): nothing
    was sent. Never transient (asking again meets the same certificate), and not a lost
    answer, so nothing retries it or re-reads after it."""


class ModuleKeyUnavailable(ClientError):
    """The tenant handed out no module encryption key: a credential or password cannot be sent
    (Microsoft's module refuses too, and never falls back to plain text)."""


class WriteForbidden(ClientError):
    """A write was attempted through a read-only client (probes get only those)."""


class ServiceError(ClientError):
    """An HTTP error answer from a Microsoft API."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


class ExchangeError(ServiceError):
    """An InvokeCommand failure; `exception_type` is the .NET type from `details[].message`.

    wire-protocols.md §1.5: classify on the exception type, not on the HTTP status.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        exception_type: str,
        error_id: str = "",
        cmdlet: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(status, code, message, request_id=request_id)
        self.exception_type = exception_type
        self.error_id = error_id
        self.cmdlet = cmdlet

    @property
    def short_type(self) -> str:
        """`ManagementObjectNotFoundException` from the fully qualified type name."""
        return self.exception_type.rsplit(".", 1)[-1]

    def __str__(self) -> str:
        where = f"{self.cmdlet}: " if self.cmdlet else ""
        return f"{where}{self.short_type or self.code}: {self.message}"


class ObjectNotFound(ExchangeError):
    """ManagementObjectNotFoundException: the cmdlet's -Identity matched nothing."""


class PermissionDenied(ServiceError):
    """401/403: the identity lacks a permission or a role (the body is often unreadable).

    `exception_type` is Exchange's `x-ExceptionType` when it sent one (CmdletAccessDeniedException:
    the app holds no Exchange role that allows the cmdlet).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        exception_type: str = "",
    ) -> None:
        super().__init__(status, code, message, request_id=request_id)
        self.exception_type = exception_type


class TruncatedResult(ServiceError):
    """Exchange stopped a list at its ResultSize: what came back is not everything."""


class SecretUnavailable(ValueError):
    """A referenced secret that is not there; the message names the reference, not a value."""


class ProfileError(ValueError):
    """A sandbox connection profile that cannot be used."""


class NoModuleKey(ValueError):
    """The module file held no `$PublicKey`: nothing sensitive may be sent."""


class GraphError(ServiceError):
    """A Graph error answer; `code` is Graph's own (Request_ResourceNotFound, …)."""


class GraphNotFound(GraphError):
    pass


class CaBundleError(ValueError):
    """An operator's `--ca-bundle` that cannot be used; the message names the file."""


class AzureError(ServiceError):
    """An error answer from Azure Resource Manager or the Key Vault data plane, through the Azure
    SDKs; `code` is the service's own (`{"error": {"code", "message"}}`: AuthorizationFailed,
    ResourceGroupNotFound, CertificateNotFound, Forbidden, …)."""


class AzureNotFound(AzureError):
    """404: what was asked for is not there; `code` says what is missing (ARM answers a vault's
    GET in a resource group that does not exist with ResourceGroupNotFound, in one that does
    with ResourceNotFound; "Resolve errors for resource not found",
    learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-not-found)."""
