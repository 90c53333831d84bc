"""Graph v1.0 handlers, one module per area. Each docstring cites the API page
(learn.microsoft.com/graph/api/…) or the reference section the behaviour comes from; choices
where sources are silent are listed in README.md, "Open questions" ("Graph")."""

from t2t.sandbox.graph.handlers.applications import (
    add_password,
    create_application,
    delete_application,
    get_application,
    list_applications,
    patch_application,
    remove_password,
)
from t2t.sandbox.graph.handlers.consent import (
    create_service_principal,
    delete_service_principal,
    get_service_principal,
    grant,
    grant_as_principal,
    list_assigned_to,
    list_assignments,
    list_service_principals,
    revoke,
)
from t2t.sandbox.graph.handlers.directory import (
    get_domain,
    get_organization,
    list_domains,
    list_organization,
    list_skus,
)
from t2t.sandbox.graph.handlers.directory_objects import get_by_ids
from t2t.sandbox.graph.handlers.groups import (
    add_member,
    get_group,
    list_groups,
    list_members,
    remove_member,
)
from t2t.sandbox.graph.handlers.invitations import invite
from t2t.sandbox.graph.handlers.users import (
    assign_license,
    delete_user,
    get_user,
    list_users,
    patch_user,
)

__all__ = [
    "add_member",
    "add_password",
    "assign_license",
    "create_application",
    "create_service_principal",
    "delete_application",
    "delete_service_principal",
    "delete_user",
    "get_application",
    "get_by_ids",
    "get_domain",
    "get_group",
    "get_organization",
    "get_service_principal",
    "get_user",
    "grant",
    "grant_as_principal",
    "invite",
    "list_applications",
    "list_assigned_to",
    "list_assignments",
    "list_domains",
    "list_groups",
    "list_members",
    "list_organization",
    "list_service_principals",
    "list_skus",
    "list_users",
    "patch_application",
    "patch_user",
    "remove_member",
    "remove_password",
    "revoke",
]
