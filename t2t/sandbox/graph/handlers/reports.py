"""Microsoft 365 usage reports: the mailbox usage detail report and the tenant's report
settings.

- ``GET /reports/getMailboxUsageDetail(period='D7')`` (Learn, reportroot-getmailboxusagedetail,
  v1.0; Reports.Read.All): "returns a ``302 Found`` response that redirects to a
  preauthenticated download URL for the report … Preauthenticated download URLs are only valid
  for a short period of time (a few minutes) and do not require an ``Authorization`` header".
  The CSV's columns are the page's list, in its order. (The page's example header line stops
  after "Deleted Item Size (Byte)" and leaves out "Deleted Item Quota (Byte)" and "Has Archive",
  which its list and the beta page's example both carry: the sandbox follows the list — an open
  question.) v1.0 has no JSON form; the beta page's ``$format=application/json`` is beta only.
- Rows: user mailboxes only — "Get the total number of user mailboxes in your organization"
  (Learn, mailbox-usage-reports); shared mailboxes are not in Graph's report (CIPP issue 137,
  2021: "Microsoft doesn't expose these currently via the graph API").
- Concealed names: since 1 September 2021 reports "pseudonymize user-level information by
  default" (Microsoft 365 blog, "Privacy changes to Microsoft 365 Usage Analytics", 30 Aug
  2021); the tenant setting is ``GET/PATCH /admin/reportSettings`` ``displayConcealedNames``
  ("If set to true, all reports conceal user information such as usernames, groups, and
  sites", Learn, adminreportsettings; ReportSettings.Read.All / ReportSettings.ReadWrite.All).
  A concealed User Principal Name is 32 upper-case hex digits (office365itpros.com,
  "Anonymize Microsoft 365 usage reports", 2020: ``FE7CC8C15246EDCCA289C9A4022762F7``); the
  display name is concealed the same way. How Microsoft derives it is not public: the sandbox
  uses a keyed hash.
- Not emulated: the report's lag (Microsoft's data is up to about 48 hours old; the sandbox's
  report is generated from the mailboxes as they are now, dated today), and Last Activity Date
  (always empty).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from typing import TYPE_CHECKING

from t2t.sandbox.graph.errors import GraphError
from t2t.sandbox.model import Tenant

if TYPE_CHECKING:
    from t2t.sandbox.graph.service import GReq, Result

#: reportroot-getmailboxusagedetail: "The supported values for {period_value} are: D7, D30,
#: D90, and D180."
PERIODS = ("D7", "D30", "D90", "D180")
#: "valid only for a short period of time (a few minutes)": the sandbox's few minutes.
DOWNLOAD_SECONDS = 300
COLUMNS = (
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Is Deleted",
    "Deleted Date",
    "Created Date",
    "Last Activity Date",
    "Item Count",
    "Storage Used (Byte)",
    "Issue Warning Quota (Byte)",
    "Prohibit Send Quota (Byte)",
    "Prohibit Send/Receive Quota (Byte)",
    "Deleted Item Count",
    "Deleted Item Size (Byte)",
    "Deleted Item Quota (Byte)",
    "Has Archive",
    "Report Period",
)
_PERIOD = re.compile(r"^'(?P<p>[^']*)'$")


def conceal(tenant: Tenant, name: str) -> str:
    """A concealed name: 32 upper-case hex digits, stable per tenant and name."""
    key = f"{tenant.tenant_id}:{name.lower()}".encode()
    return hashlib.blake2b(key, digest_size=16, person=b"t2t-report").hexdigest().upper()


def mailbox_usage_csv(tenant: Tenant, today: dt.date, period: str) -> bytes:
    """The report's CSV: one row per user mailbox (a UTF-8 BOM, as the admin center's exports
    carry, is not added: no source shows one for the API)."""
    from t2t.sandbox.exchange.directory import recipients

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    hidden = tenant.display_concealed_names
    for u, r in recipients(tenant):
        if r.recipient_type_details != "UserMailbox":
            continue
        upn, name = u.user_principal_name, u.display_name
        writer.writerow(
            (
                today.isoformat(),
                conceal(tenant, upn) if hidden else upn,
                conceal(tenant, name) if hidden else name,
                "False",
                "",
                "",
                "",
                r.item_count,
                r.total_item_size,
                r.issue_warning_quota,
                r.prohibit_send_quota,
                r.prohibit_send_receive_quota,
                r.deleted_item_count,
                r.total_deleted_item_size,
                r.recoverable_items_quota,
                "True" if r.has_archive else "False",
                period.removeprefix("D"),
            )
        )
    return out.getvalue().encode("utf-8")


def get_mailbox_usage_detail(req: GReq) -> Result:
    """302 to a preauthenticated URL on the sandbox (Microsoft's is on reports.office.com)."""
    match = _PERIOD.match(req.params.get("period", ""))
    period = match.group("p") if match else ""
    if period not in PERIODS:  # Graph's exact answer is not documented: the sandbox's choice
        raise GraphError(
            400, "BadRequest", f"Invalid period '{period}'. Supported: {', '.join(PERIODS)}."
        )
    now = req.ctx.clock.now()
    content = mailbox_usage_csv(req.tenant, now.date(), period)
    token = req.ctx.report_downloads.add(content, now + dt.timedelta(seconds=DOWNLOAD_SECONDS))
    location = f"{req.base}/data/download/{token}"
    return 302, None, {"Location": location, "Content-Type": "text/plain"}


def report_settings_json(tenant: Tenant) -> dict[str, object]:
    """adminreportsettings-get: ``@odata.context`` and ``displayConcealedNames``."""
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#admin/reportSettings/$entity",
        "displayConcealedNames": tenant.display_concealed_names,
    }


def get_report_settings(req: GReq) -> Result:
    return 200, report_settings_json(req.tenant), {}


def patch_report_settings(req: GReq) -> Result:
    """adminreportsettings-update: "If successful, this method returns a 204 No Content"."""
    body = req.body if isinstance(req.body, dict) else {}
    value = body.get("displayConcealedNames")
    if not isinstance(value, bool):
        raise GraphError(400, "BadRequest", "displayConcealedNames must be a Boolean.")
    req.tenant.display_concealed_names = value
    return 204, None, {}
