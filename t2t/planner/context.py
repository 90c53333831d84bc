"""One plan's shared resolutions, computed once and read by every domain that needs them.

A domain names the resolutions it uses (`Domain.uses`); their parts join the domain's needs,
so a domain that builds on the migration app, on consent or on hydration is skipped, like any
other, when a part those rest on is unknown. Domains never import one another (an
import-linter independence contract): what they share lives here and in t2t/planner/shared/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from t2t.planner.actions import Action, Role
from t2t.planner.checks import Finding
from t2t.planner.domain import DomainOutcome, Resolution
from t2t.planner.shared.app import AppOutcome, AppResolution, mailbox_migration_role, resolve_app
from t2t.planner.shared.consent import plan_consent
from t2t.planner.shared.groups import group_creates
from t2t.planner.shared.hydration import hydration_dependency
from t2t.state import Snapshot
from t2t.state import parts as P

if TYPE_CHECKING:
    from t2t.spec import Desired

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
#: The scope groups this plan creates.
SCOPE_GROUP_CREATES = Resolution(
    "scope group creates", source=frozenset({P.GROUPS}), target=frozenset()
)


@dataclass
class PlanContext:
    """The spec, the snapshot, and what several domains resolve from them — once."""

    desired: Desired
    snapshot: Snapshot
    prior_actions: Sequence[Action] = ()
    """For a domain that builds on the others (batches): every action planned before it."""
    prior_findings: Sequence[Finding] = ()

    @cached_property
    def _app(self) -> tuple[AppResolution, AppOutcome | None]:
        return resolve_app(self.desired, self.snapshot)

    @property
    def app(self) -> AppResolution:
        """The migration app as every domain sees it: its appId now or after apply, the
        action registering or fixing it, and what blocks it."""
        return self._app[0]

    @property
    def app_outcome(self) -> AppOutcome | None:
        """The app's own diff (None when the target's applications were not read)."""
        return self._app[1]

    @cached_property
    def app_role_findings(self) -> list[Finding]:
        """What resolving Mailbox.Migration's role id found (T2T-W206)."""
        return mailbox_migration_role(self.snapshot)[1]

    def hydration(self, role: Role) -> tuple[str, ...]:
        """The action an Exchange write in `role` waits for (none when hydrated)."""
        return hydration_dependency(self.snapshot, role)

    @cached_property
    def consent(self) -> DomainOutcome:
        """Consent in both tenants: the consent domain's outcome, and what others wait on."""
        return plan_consent(self.desired, self.snapshot, self.app)

    def consent_dependency(self, role: Role) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(action ids, blocking codes) of `role`'s consent step in this plan."""
        mine = [a for a in self.consent.actions if a.tenant == role]
        return tuple(a.id for a in mine), tuple(c for a in mine for c in a.blocked_by)

    @cached_property
    def scope_group_creates(self) -> tuple[str, ...]:
        """The group.create actions of this plan (the source relationship waits for them)."""
        return group_creates(self.desired, self.snapshot)
