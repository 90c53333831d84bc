"""One plan's shared resolutions, computed once and read by every domain that needs them.

A domain names the resolutions it uses (`Domain.uses`); their parts join the domain's needs,
so a domain that builds on the migration app, on consent or on hydration is skipped, like any
other, when a part those rest on is unknown. Domains never import one another (an
import-linter independence contract): what they share lives here and in t2t/planner/shared/.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from t2t.planner.actions import Action, Role
from t2t.planner.checks import Finding
from t2t.planner.domain import Domain, DomainOutcome, Resolution
from t2t.planner.shared.app import AppOutcome, AppResolution, mailbox_migration_role, resolve_app
from t2t.planner.shared.consent import plan_consent
from t2t.planner.shared.groups import ScopeGroups, scope_groups
from t2t.planner.shared.hydration import hydration_dependency
from t2t.planner.shared.key_vault import KeyVaultChain, plan_key_vault
from t2t.planner.shared.ownership import Sharing, sharing
from t2t.state import Snapshot, TenantState
from t2t.state import parts as P

if TYPE_CHECKING:
    from t2t.spec import Desired

T = TypeVar("T")
ROLES: tuple[Role, ...] = ("source", "target")
AppParts = tuple[AppResolution, AppOutcome, list[Finding]]

#: The migration app: the target's applications, and its service principals for the role id.
APP = Resolution(
    "app", source=frozenset(), target=frozenset({P.APPLICATIONS, P.SERVICE_PRINCIPALS})
)
#: Whether a tenant is dehydrated (its Exchange writes wait for customization).
HYDRATION = Resolution(
    "hydration", source=frozenset({P.ORGANIZATION}), target=frozenset({P.ORGANIZATION})
)
#: Consent in both tenants: the app, both sides' grants, and what t2t's source identity holds.
CONSENT = Resolution(
    "consent",
    source=frozenset({P.SERVICE_PRINCIPALS, P.APP_ROLE_ASSIGNMENTS, P.IDENTITY_ROLES}),
    target=APP.target | {P.APP_ROLE_ASSIGNMENTS},
)
#: The scope groups this plan creates. A resolution that names another domain's actions carries
#: that domain's whole needs: whenever the scope group domain is skipped, so is every domain
#: that would wait on its actions (else the runner would find the dependency missing and start
#: the source relationship before its scope group exists).
SCOPE = Resolution(
    "scope groups",
    source=frozenset({P.GROUPS, P.GROUP_MEMBERS, P.RECIPIENTS}) | HYDRATION.source,
    target=HYDRATION.target,
)

#: The Key Vault certificate chain (keyVaultCertificate mode): the spec's resource group, vault
#: and certificate, Exchange Online's service principal (the access policy names it) and the
#: migration app (its keyCredentials). The endpoint waits for it and names its certificate.
KEY_VAULT = Resolution(
    "key vault",
    source=frozenset(),
    target=APP.target | {P.KEY_VAULT, P.VAULT_CERTIFICATES},
)

#: Who else relies on the source relationship: its published scopes whose groups carry another
#: spec's marker (t2t/planner/shared/ownership.py).
SHARING = Resolution("sharing", source=frozenset({P.RELATIONSHIPS, P.GROUPS}), target=frozenset())


class Undeclared:
    """Stands in a domain's view for a part it does not name in its needs: any use of it is a
    planner bug, raised at once — never a silent plan on state the gate did not check."""

    def __init__(self, part: str, domain: str) -> None:
        self._what = f"domain {domain} read the {part} part without naming it in its needs"

    def __getattr__(self, name: str) -> Any:
        raise LookupError(self._what)

    def __bool__(self) -> bool:
        raise LookupError(self._what)


def _restricted(tenant: TenantState, needs: frozenset[P.Part], domain: str) -> TenantState:
    hidden: dict[str, Any] = {p.name: Undeclared(p.name, domain) for p in P.PARTS if p not in needs}
    return replace(tenant, **hidden)


@dataclass
class PlanContext:
    """The spec, the snapshot, and what several domains resolve from them — once.

    `build_plan` hands each domain `view(domain)`: the snapshot with only the parts the
    domain needs, and only the resolutions it uses; both raise on anything else.
    """

    desired: Desired
    snapshot: Snapshot
    prior_actions: Sequence[Action] = ()
    """For a domain that builds on the others (batches): every action planned before it."""
    prior_findings: Sequence[Finding] = ()
    whole: Snapshot | None = None
    """The unrestricted snapshot the shared resolutions read (None: `snapshot` is whole)."""
    uses: frozenset[str] | None = None
    """The resolutions this view may read (None: all)."""
    rotate_credential: bool = False
    """`--rotate-credential`: the endpoint's credential is rotated now (shared/rotation.py)."""
    allow_destroy: bool = False
    """`--allow-destroy`: what t2t replaced may be removed (retired_endpoints.py)."""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def view(self, domain: Domain) -> PlanContext:
        """What one domain may see; resolutions stay shared with every other view."""
        whole = self.whole or self.snapshot
        return replace(
            self,
            snapshot=replace(
                whole,
                source=_restricted(whole.source, domain.source_needs, domain.name),
                target=_restricted(whole.target, domain.target_needs, domain.name),
            ),
            whole=whole,
            uses=frozenset(r.name for r in domain.uses),
            _cache=self._cache,
        )

    def _shared(self, resolution: Resolution, compute: Callable[[Snapshot], T]) -> T:
        """A resolution this view uses, computed once for every view of the plan."""
        if self.uses is not None and resolution.name not in self.uses:
            raise LookupError(f"a domain read the {resolution.name} resolution it does not use")
        return self._once(resolution, compute)

    def _once(self, resolution: Resolution, compute: Callable[[Snapshot], T]) -> T:
        if resolution.name not in self._cache:
            self._cache[resolution.name] = compute(self.whole or self.snapshot)
        return cast(T, self._cache[resolution.name])

    def _resolve_app(self, snapshot: Snapshot) -> AppParts:
        resolution, outcome = resolve_app(self.desired, snapshot)
        return resolution, outcome, mailbox_migration_role(snapshot)[1]

    def _app(self) -> AppParts:
        return self._shared(APP, self._resolve_app)

    @property
    def app(self) -> AppResolution:
        """The migration app as every domain sees it: its appId now or after apply, the
        action registering or fixing it, and what blocks it."""
        return self._app()[0]

    @property
    def app_outcome(self) -> AppOutcome:
        """The app's own diff."""
        return self._app()[1]

    @property
    def app_role_findings(self) -> list[Finding]:
        """What resolving Mailbox.Migration's role id found (T2T-W206)."""
        return self._app()[2]

    def hydration(self, role: Role) -> tuple[str, ...]:
        """The action an Exchange write in `role` waits for (none when hydrated)."""
        both = self._shared(HYDRATION, lambda s: {r: hydration_dependency(s, r) for r in ROLES})
        return both[role]

    @property
    def consent(self) -> DomainOutcome:
        """Consent in both tenants: the consent domain's outcome, and what others wait on."""
        app = self._once(APP, self._resolve_app)[0]  # consent's parts include the app's
        return self._shared(CONSENT, lambda s: plan_consent(self.desired, s, app))

    def consent_dependency(self, role: Role) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(action ids, blocking codes) of `role`'s consent step in this plan."""
        mine = [a for a in self.consent.actions if a.tenant == role]
        return tuple(a.id for a in mine), tuple(c for a in mine for c in a.blocked_by)

    @property
    def key_vault(self) -> KeyVaultChain:
        """The Key Vault certificate chain of this plan (empty in clientSecret mode)."""
        app = self._once(APP, self._resolve_app)[0]  # the chain's parts include the app's
        return self._shared(
            KEY_VAULT,
            lambda s: plan_key_vault(self.desired, s, app, rotate=self.rotate_credential),
        )

    @property
    def sharing(self) -> Sharing:
        """The other specs relying on the source relationship, and the app they rely on."""
        return self._shared(
            SHARING,
            lambda s: sharing(
                self.desired,
                s.source.relationships.value or (),
                s.source.groups.value
                if s.source.groups is not None and s.source.groups.value
                else (),
            ),
        )

    @property
    def scope_groups(self) -> ScopeGroups:
        """The group.create actions of this plan (the source relationship waits for them) and
        the declared groups that cannot be a scope (the relationship write is blocked)."""
        return self._shared(SCOPE, lambda s: scope_groups(self.desired, s))
