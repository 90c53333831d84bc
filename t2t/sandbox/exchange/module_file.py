"""``GET /adminapi/v1.0/{tenant}/EXOModuleFile?Version=…``: the connect-time module download.

Why: this is how ExchangeOnlineManagement gets the proxy module it loads on connect, and that
module carries the RSA public key ``Encrypt-Value`` uses for every ``PSCredential`` and
``SecureString`` (module_key.py). Sources: the answer is
``{"value":[{"fileName":"ExchangeOnline.psm1","fileContent":"<module text>"}]}`` with the
module as plain text (``philband/go-exoscc`` ``cmd/fetch-spec/main.go``, which writes
``fileContent`` straight to a .psm1); Microsoft's ``ExoPowershellGalleryModule.dll`` (3.9.0)
holds the literals ``EXOModuleFile``, ``{0}?Version={1}``, ``fileContent`` and
``exportedCmdlets`` and no base64 decoding of it; ``KelvinTegelaar/CIPP-API``
``New-ExoRequest`` reads ``value.exportedCmdlets`` (comma-separated). The dll appends only
the connection ids to the text, so ``$PublicKey = '<RSAKeyValue>…'`` arrives inside it
(the dump's last lines). Which element holds ``exportedCmdlets`` is not captured anywhere:
the sandbox puts it beside ``fileContent`` (README, open questions).

The module is generated for the caller: it holds one ``function script:<Verb-Noun>`` per cmdlet
(go-exoscc counts them with ``(?m)^function script:[A-Za-z]+-[A-Za-z0-9]+``), each with a
``param(…)`` block that ``generator/extract-catalog.ps1`` reads parameter by parameter, and "the
refreshed cmdlet set tracks the app's role membership" (go-exoscc README). Its catalog, taken
app-only under Organization Management, lists ``ExchangeGuid`` and ``ArchiveGuid`` among
Set-MailUser's parameters. So a parameter the caller's role entries lack (rbac.py) is missing
from the function too, and PowerShell's binder refuses it on the client with
NamedParameterNotFound — the seed walkthrough's comment 9. Each parameter is written
``${Name}``, the form Export-PSSession proxies use (assumed; the parser in t2t accepts
``$Name`` too).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import base_url_of, context_of, new_request_id
from t2t.sandbox.exchange import service
from t2t.sandbox.model import Client

#: The answer's fields (one record in ``value``).
FILE_NAME = "fileName"
FILE_CONTENT = "fileContent"
EXPORTED_CMDLETS = "exportedCmdlets"
MODULE_FILE_NAME = "ExchangeOnline.psm1"


def _function(name: str, params: list[str]) -> str:
    declared = ",\n".join(f"    [Parameter()]\n    [System.Object]\n    ${{{p}}}" for p in params)
    return f"function script:{name}\n{{\n    [CmdletBinding()]\n    param(\n{declared})\n}}\n"


def module_text(public_key: str, functions: dict[str, list[str]]) -> str:
    """A stand-in for the generated proxy module: what a client parses out of it is the
    ``$PublicKey`` line, one function per cmdlet with its parameters, and the exports."""
    exported = ", ".join(f'"{name}"' for name in functions)
    return (
        "# t2t sandbox: generated Exchange Online proxy module (key, functions and exports)\n"
        f"$PublicKey = '{public_key}'\n"
        + "".join(_function(name, params) for name, params in functions.items())
        + f"Export-ModuleMember -Function @({exported})\n"
    )


def functions_for(client: Client | None, wids: Iterable[str]) -> dict[str, list[str]]:
    """Each cmdlet with the parameters the caller's role entries hold (service.granted_params)."""
    return {
        spec.name: [p.name for p in service.granted_params(spec, client, wids)]
        for spec in (service.REGISTRY.get(n) for n in service.REGISTRY.names())
        if spec is not None
    }


async def exo_module_file(request: Request) -> Response:
    ctx = context_of(request)
    request_id = request.headers.get("client-request-id") or new_request_id()
    caller = service.authenticate(request, request_id)
    if isinstance(caller, Response):
        return caller
    ctx.stats.record("exchange", tenant=caller.tenant.name, cmdlet="EXOModuleFile", kind="read")
    claims = caller.claims
    client = None if claims.delegated else caller.tenant.client(claims.appid)
    functions = functions_for(client, claims.wids)
    cmdlets = list(functions)
    text = module_text(ctx.module_key.rsa_key_value(), functions)
    segment = request.path_params["tenant"]
    body = {
        "@odata.context": f"{base_url_of(request)}/adminapi/v1.0/{segment}/$metadata#EXOModuleFile",
        "value": [
            {
                FILE_NAME: MODULE_FILE_NAME,
                FILE_CONTENT: text,
                EXPORTED_CMDLETS: ",".join(cmdlets),
            }
        ],
    }
    return JSONResponse(body, headers={"request-id": request_id})


routes = [Route("/adminapi/v1.0/{tenant}/EXOModuleFile", exo_module_file, methods=["GET"])]
