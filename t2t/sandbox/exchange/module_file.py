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
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from t2t.sandbox.context import base_url_of, context_of, new_request_id
from t2t.sandbox.exchange import service

#: The answer's fields (one record in ``value``).
FILE_NAME = "fileName"
FILE_CONTENT = "fileContent"
EXPORTED_CMDLETS = "exportedCmdlets"
MODULE_FILE_NAME = "ExchangeOnline.psm1"


def module_text(public_key: str, cmdlets: list[str]) -> str:
    """A stand-in for the generated proxy module: what a client parses out of it is the
    ``$PublicKey`` line and the exported functions, exactly as they stand in Microsoft's."""
    exported = ", ".join(f'"{name}"' for name in cmdlets)
    return (
        "# t2t sandbox: generated Exchange Online proxy module (key and exports only)\n"
        f"$PublicKey = '{public_key}'\n"
        f"Export-ModuleMember -Function @({exported})\n"
    )


async def exo_module_file(request: Request) -> Response:
    ctx = context_of(request)
    request_id = request.headers.get("client-request-id") or new_request_id()
    caller = service.authenticate(request, request_id)
    if isinstance(caller, Response):
        return caller
    ctx.stats.record("exchange", tenant=caller.tenant.name, cmdlet="EXOModuleFile", kind="read")
    cmdlets = service.REGISTRY.names()
    text = module_text(ctx.module_key.rsa_key_value(), cmdlets)
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
