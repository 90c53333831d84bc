"""One executor per action kind; each is idempotent and verifies its own write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from t2t.apply.context import ApplyContext
from t2t.apply.executors.app import run_app
from t2t.apply.executors.batch import run_batch
from t2t.apply.executors.consent import run_consent
from t2t.apply.executors.endpoint import run_endpoint
from t2t.apply.executors.group import run_group
from t2t.apply.executors.invitation import run_invitation
from t2t.apply.executors.licensing import run_license, run_usage_location
from t2t.apply.executors.mailuser import run_mailuser_create, run_mailuser_identity
from t2t.apply.executors.migration_user import run_migration_user_remove
from t2t.apply.executors.org import run_org_customization
from t2t.apply.executors.orgrel import run_orgrel
from t2t.apply.result import ActionResult
from t2t.planner import Action

Executor = Callable[[Action, ApplyContext], Awaitable[ActionResult]]

EXECUTORS: dict[str, Executor] = {
    "orgrel.create": run_orgrel,
    "orgrel.update": run_orgrel,
    "org.enable_customization": run_org_customization,
    "app.create": run_app,
    "app.update": run_app,
    "consent.grant": run_consent,
    "consent.await": run_consent,
    "invitation.send": run_invitation,
    "group.create": run_group,
    "group.add_members": run_group,
    "endpoint.create": run_endpoint,
    "endpoint.update": run_endpoint,
    "mailuser.create": run_mailuser_create,
    "mailuser.set_identity": run_mailuser_identity,
    "user.usage_location": run_usage_location,
    "license.assign": run_license,
    "batch.create": run_batch,
    "batch.start": run_batch,
    "batch.complete": run_batch,
    "batch.set_complete_after": run_batch,
    "batch.remove_user": run_migration_user_remove,
}
