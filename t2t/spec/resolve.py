"""Turn a parsed spec into :class:`Desired`: tenants, relationship, identities, batches.

Runs after (and independently of) whole-document validation: each piece is validated
again on its own so that cross-field checks still run on the valid pieces of a spec that
has errors elsewhere.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import TypeAdapter

from t2t.spec.batches import resolve_batches
from t2t.spec.context import Context
from t2t.spec.desired import (
    AppRef,
    AuthRef,
    Desired,
    DesiredDelegates,
    DesiredMailbox,
    DesiredRelationship,
    DesiredTenant,
    EndpointSpec,
    KeyVaultSpec,
    RewriteRule,
    SecretRef,
)
from t2t.spec.limits import clip
from t2t.spec.mailboxes import resolve_identities
from t2t.spec.models import DelegatesDoc, RelationshipDoc, TenantDoc
from t2t.spec.secrets import is_git_tracked, parse_ref
from t2t.spec.values import CountryCode, Domain, duration_of, name_problem

_TENANT = TypeAdapter(TenantDoc)
_RELATIONSHIP = TypeAdapter(RelationshipDoc)
_DOMAIN: TypeAdapter[str | None] = TypeAdapter(Domain | None)
_COUNTRY: TypeAdapter[str | None] = TypeAdapter(CountryCode | None)
_DELEGATES: TypeAdapter[DelegatesDoc] = TypeAdapter(DelegatesDoc)
_LICENSES = TypeAdapter(list[str])
_MAILBOXES = TypeAdapter(tuple[DesiredMailbox, ...])


def _secret(ctx: Context, text: str | None, path: tuple[str | int, ...]) -> SecretRef | None:
    if text is None:
        return None
    ref = parse_ref(text, ctx.spec_dir)
    if ref.scheme == "file" and ctx.check_git and is_git_tracked(Path(ref.value), ctx.spec_dir):
        ctx.error(
            ctx.at(path),
            f"{'.'.join(str(p) for p in path)}: {text} is tracked by git; a credential file"
            " must not be in the repository (git rm --cached it, keep it outside the"
            " repository, and replace the credential)",
        )
    return ref


_CAMEL = {"azure_identity": "azureIdentity"}


def _tenant(ctx: Context, side: str) -> DesiredTenant | None:
    doc = ctx.piece(_TENANT, (side,))
    if doc is None:
        return None
    auth = doc.auth
    kinds = ("secret", "certificate", "azure_identity", "interactive")
    ways = [w for w in kinds if getattr(auth, w) is not None]
    auth_path = (side, "auth")
    if len(ways) != 1:
        given = "none" if not ways else " and ".join(_CAMEL.get(w, w) for w in ways)
        ctx.error(
            ctx.key_at(auth_path),
            f"{side}.auth: give exactly one of secret, certificate, azureIdentity or "
            f"interactive (found {given})",
        )
    elif ways[0] in ("secret", "certificate") and auth.client_id is None:
        ctx.error(ctx.key_at(auth_path), f"{side}.auth: clientId is required with {ways[0]}")
    elif ways[0] == "interactive" and auth.client_id is not None:
        ctx.error(
            ctx.at((*auth_path, "clientId")),
            f"{side}.auth.clientId: not used with interactive: device-code (a person signs in "
            "through Microsoft's own Exchange and Graph PowerShell clients); remove it",
        )
    return DesiredTenant(
        tenant_id=doc.tenant_id,
        domain=doc.domain,
        auth=AuthRef(
            client_id=auth.client_id,
            secret=_secret(ctx, auth.secret, (side, "auth", "secret")),
            certificate=_secret(ctx, auth.certificate, (side, "auth", "certificate")),
            interactive=auth.interactive,
            azure_identity=auth.azure_identity,
        ),
    )


#: The longest relationship.endpoint.rotateBefore per credential mode: Key Vault's own bound on
#: a certificate's renewal trigger — daysBeforeExpiry "between 1 and validity_in_months
#: multiplied by 27" (azure-keyvault-certificates LifetimeAction) — applied to the credential
#: t2t makes: a certificate of 12 months (planner/shared/key_vault/desire.py VALIDITY_MONTHS)
#: and a client secret of addPassword's default two years (planner/endpoint.py). A longer one
#: would find every new credential due at once and rotate it again on every apply.
ROTATE_BEFORE_MAX: dict[str, timedelta] = {
    "keyVaultCertificate": timedelta(days=12 * 27),
    "clientSecret": timedelta(days=24 * 27),
}


def _rotate_before(ctx: Context, text: str | None, credential: str) -> timedelta | None:
    """relationship.endpoint.rotateBefore, within what the credential mode allows."""
    if text is None:
        return None
    rotate = duration_of(text)  # the document's validation checked its form
    most = ROTATE_BEFORE_MAX[credential]
    if rotate > most:
        ctx.error(
            ctx.at(("relationship", "endpoint", "rotateBefore")),
            f"relationship.endpoint.rotateBefore: {clip(text)} is longer than a {credential} "
            f"credential allows (at most {most.days}d): every new credential would be due at "
            "once",
        )
        return None
    return rotate


def _relationship(ctx: Context, spec_name: str | None) -> DesiredRelationship | None:
    doc = ctx.piece(_RELATIONSHIP, ("relationship",))
    if doc is None:
        return None
    path = ("relationship",)
    if doc.app.app_id is None and doc.app.display_name is None:
        ctx.error(
            ctx.key_at((*path, "app")),
            "relationship.app: give appId (adopt an existing app) or displayName (t2t"
            " registers one)",
        )
    vault = doc.key_vault
    if doc.credential == "keyVaultCertificate" and vault is None:
        ctx.error(
            ctx.at((*path, "credential")),
            "relationship.credential: keyVaultCertificate needs a keyVault block (where the"
            " app's certificate is created)",
        )
    if doc.credential == "clientSecret" and vault is not None:
        ctx.error(
            ctx.key_at((*path, "keyVault")),
            "relationship.keyVault: only used with credential: keyVaultCertificate; in"
            " clientSecret mode t2t hands the secret to the endpoint and keeps it nowhere",
        )
    seen: dict[str, int] = {}
    for i, group in enumerate(doc.scope_group):
        if group.lower() in seen:
            ctx.error(
                ctx.at((*path, "scopeGroup", i)),
                f"relationship.scopeGroup: {clip(group)} is listed twice",
            )
        seen.setdefault(group.lower(), i)
    name = doc.name or spec_name or ""
    endpoint = doc.endpoint
    return DesiredRelationship(
        name=name,
        app=AppRef(app_id=doc.app.app_id, display_name=doc.app.display_name),
        credential=doc.credential,
        key_vault=None
        if vault is None or doc.credential != "keyVaultCertificate"
        else KeyVaultSpec(
            subscription_id=vault.subscription_id,
            resource_group=vault.resource_group,
            name=vault.name,
            location=vault.location,
            certificate_name=vault.certificate.name,
            certificate_subject=vault.certificate.subject,
        ),
        invite_source_admin=doc.invite_source_admin,
        scope_groups=tuple(dict.fromkeys(doc.scope_group)),
        endpoint=EndpointSpec(
            name=(endpoint.name if endpoint and endpoint.name else name),
            max_concurrent_migrations=endpoint.max_concurrent_migrations if endpoint else None,
            rotate_before=_rotate_before(
                ctx, endpoint.rotate_before if endpoint else None, doc.credential
            ),
        ),
    )


def _licenses(ctx: Context) -> tuple[str, ...]:
    path = ("identities", "licenses")
    licenses = ctx.piece(_LICENSES, path, default=[]) or []
    seen: set[str] = set()
    for i, sku in enumerate(licenses):
        if sku.lower() in seen:
            ctx.error(ctx.at((*path, i)), f"identities.licenses: {clip(sku)} is listed twice")
        seen.add(sku.lower())
    return tuple(dict.fromkeys(licenses))


def resolve(ctx: Context, spec_path: str) -> Desired | None:
    """Everything the document declares, resolved; None when some piece was invalid."""
    raw_name = ctx.raw(("name",))
    spec_name = raw_name if isinstance(raw_name, str) and not name_problem(raw_name) else None
    source = _tenant(ctx, "source")
    target = _tenant(ctx, "target")
    if source and target:
        for key, what in (("tenantId", "tenant_id"), ("domain", "domain")):
            if getattr(source, what) == getattr(target, what):
                ctx.error(
                    ctx.at(("target", key)),
                    f"target.{key} is the same as source.{key}; a cross-tenant move needs two"
                    " different tenants",
                )
    relationship = _relationship(ctx, spec_name)
    if (
        target
        and relationship
        and target.auth.interactive
        and relationship.credential == ("keyVaultCertificate")
    ):
        ctx.error(
            ctx.at(("target", "auth", "interactive")),
            "target.auth.interactive: a person's sign-in reaches Exchange and Graph only, not "
            "Azure Key Vault; with credential: keyVaultCertificate give the target a secret, a "
            "certificate or azureIdentity (or use credential: clientSecret)",
        )
    upn_domain = ctx.piece(_DOMAIN, ("identities", "upnDomain"))
    usage_location = ctx.piece(_COUNTRY, ("identities", "usageLocation"))
    licenses = _licenses(ctx)
    delegates = ctx.piece(_DELEGATES, ("delegates",), DelegatesDoc()) or DelegatesDoc()
    ids = resolve_identities(ctx, upn_domain)
    batches = resolve_batches(ctx, ids)
    if ctx.sink or spec_name is None or source is None or target is None or relationship is None:
        return None
    # One validator call for all mailboxes: per-object constructors (or model_construct)
    # were the largest cost of loading 50,000 of them (tests/bench/bench_spec_load.py).
    mailboxes = _MAILBOXES.validate_python(
        [
            {
                "source": m.source,
                "target": m.target,
                "upn": m.upn,
                "batch": m.batch,
                "origin": {"path": m.mark.path, "line": m.mark.line, "col": m.mark.col},
                "source_key": m.source.lower(),
                "target_key": m.target.lower(),
            }
            for m in ids.mailboxes
        ]
    )
    return Desired(
        spec_path=spec_path,
        name=spec_name,
        source=source,
        target=target,
        relationship=relationship,
        rewrite=tuple(
            RewriteRule(from_domain=r.from_domain, to_domain=r.to_domain) for r in ids.rules.rules
        ),
        upn_domain=upn_domain,
        usage_location=usage_location,
        licenses=licenses,
        mailboxes=mailboxes,
        batches=tuple(batches),
        delegates=DesiredDelegates(
            keep_together=delegates.keep_together, calendars=delegates.calendars
        ),
        notes=tuple(sorted(set(ctx.sink.notes))),
    )
