"""Both tenants in one Microsoft cloud, and the endpoint's RemoteServer in that cloud (T2T-E113).

Why: "Cross cloud tenant to tenant migration is not supported. An example scenario would be
moving from Office 365 Worldwide to Office 365 Government Cloud." (Learn, Cross-tenant mailbox
migration, FAQ "Can I perform a cross cloud tenant to tenant migration?"). Nothing t2t could
write makes such a pair work, so the finding blocks every action of the plan (build_plan),
before anything is written.

A cloud without an endpoint host t2t knows (t2t/planner/shared/clouds.py: 21Vianet, or one t2t
has not met) has no RemoteServer t2t can vouch for: the same finding blocks it.
"""

from __future__ import annotations

from t2t.planner.checks import CheckDef, Finding, finding, register
from t2t.planner.context import PlanContext
from t2t.planner.domain import Domain, DomainOutcome
from t2t.planner.shared.clouds import REMOTE_SERVERS, cloud_of
from t2t.state import parts as P
from t2t.state.cloud import TenantCloud

CODE = "T2T-E113"

register(
    CheckDef(
        CODE,
        "cross-cloud",
        "error",
        "The source and the target are in different Microsoft clouds, or in one t2t knows no "
        "migration endpoint host for",
        "'Cross cloud tenant to tenant migration is not supported': no migration endpoint "
        "reaches the source (Microsoft names no exception; New-MigrationEndpoint is expected to "
        "fail with MigrationServerConnectionFailedException, the remote tenant not found from "
        "the target's cloud)",
        "Move between tenants of the same cloud: check source.tenantId and target.tenantId "
        "(each tenant's cloud is its OpenID configuration's cloud_instance_name and "
        "tenant_region_sub_scope). Microsoft offers no cross-tenant mailbox migration between "
        "clouds; another migration method is needed.",
        "Learn, Cross-tenant mailbox migration, FAQ 'Can I perform a cross cloud tenant to "
        "tenant migration?' and the endpoint NOTE ('Depending on the Microsoft 365 cloud "
        "instance you use, your endpoint may be different'); Microsoft 365 endpoints pages "
        "(worldwide, GCC High, DoD), Exchange Online row 1",
    ),
    scope="organization",
)


def cloud_finding(source: TenantCloud | None, target: TenantCloud | None) -> Finding | None:
    if source is None or target is None:
        return None  # a document without a cloud instance says nothing
    if source.name != target.name:
        why = (
            f"the source is in the {source.name} cloud ({_detail(source)}), the target in the "
            f"{target.name} cloud ({_detail(target)}): Microsoft moves mailboxes only within "
            "one cloud"
        )
    elif source.name not in REMOTE_SERVERS:
        why = (
            f"both tenants are in the {source.name} cloud ({_detail(source)}), for which t2t "
            f"knows no Exchange Online host to name as the endpoint's RemoteServer (it knows "
            f"{', '.join(sorted(REMOTE_SERVERS))})"
        )
    else:
        return None
    return finding(CODE, "target", f"{source.name} → {target.name}", why, fixed_by_plan=False)


def _detail(cloud: TenantCloud) -> str:
    parts = [f"cloud_instance_name {cloud.instance}"]
    if cloud.region_sub_scope:
        parts.append(f"tenant_region_sub_scope {cloud.region_sub_scope}")
    return ", ".join(parts)


def plan_clouds(ctx: PlanContext) -> DomainOutcome:
    """T2T-E113; build_plan blocks every action with it."""
    snapshot = ctx.snapshot
    found = cloud_finding(cloud_of(snapshot.source.cloud), cloud_of(snapshot.target.cloud))
    return DomainOutcome(findings=[found] if found is not None else [])


CLOUDS = Domain(
    name="clouds",
    source_needs=frozenset({P.CLOUD}),
    target_needs=frozenset({P.CLOUD}),
    emits=frozenset(),
    plan=plan_clouds,
)
