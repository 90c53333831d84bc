"""Graph's mailbox usage report on the sandbox (t2t/sandbox/graph/handlers/reports.py): a 302 to
a preauthenticated download URL, its CSV with the v1.0 page's columns, user names concealed by
the tenant's report setting, Reports.Read.All required, and the setting read and changed at
/admin/reportSettings."""

from __future__ import annotations

import csv
import io
import re

from tests.conftest import SandboxHandle
from tests.sandbox.exchange_setup import patch_recipient
from tests.sandbox.graph_helpers import error_of, graph

REPORT = "/reports/getMailboxUsageDetail(period='D7')"
GB = 1024**3
READ_ONLY = "3f8b4d5e-6a7b-4c8d-9e0f-1a2b3c4d5e6f"  # t2t plan (read-only): no Reports.Read.All
#: Learn, reportroot-getmailboxusagedetail (v1.0), "The CSV file has the following headers".
HEADER = [
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
]


def _report(sandbox: SandboxHandle, tenant: str = "contoso") -> list[dict[str, str]]:
    r = graph(sandbox, tenant, "GET", REPORT)
    assert r.status_code == 302, r.text
    location = r.headers["Location"]
    assert location.startswith("https://")
    download = sandbox.http.get(location)  # preauthenticated: no Authorization header
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def test_the_report_lists_user_mailboxes_with_their_sizes_and_quotas(
    sandbox: SandboxHandle,
) -> None:
    patch_recipient(
        sandbox,
        "contoso",
        "debra@contoso.com",
        total_item_size=12 * GB,
        total_deleted_item_size=3 * GB,
    )
    rows = {r["User Principal Name"]: r for r in _report(sandbox)}
    debra = rows["debra@contoso.com"]
    assert debra["Storage Used (Byte)"] == str(12 * GB)
    assert debra["Deleted Item Size (Byte)"] == str(3 * GB)
    assert debra["Prohibit Send/Receive Quota (Byte)"] == str(100 * GB)
    assert debra["Deleted Item Quota (Byte)"] == str(30 * GB)
    assert debra["Has Archive"] == "False" and debra["Report Period"] == "7"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", debra["Report Refresh Date"])
    assert rows["megan@contoso.com"]["Has Archive"] == "True"  # the seed gives her an archive
    assert {"zoe@contoso.com", "shaun.o'neil@contoso.com"} <= set(rows)
    # User mailboxes only: no shared or room mailbox, no user without a mailbox.
    assert not {"sales@contoso.com", "rooms.amsterdam@contoso.com"} & set(rows)
    assert "svc-backup@contoso.onmicrosoft.com" not in rows
    assert rows["zoe@contoso.com"]["Display Name"] == "Zoë Ångström-Łukasiewicz 李"


def test_names_are_concealed_while_the_setting_says_so(sandbox: SandboxHandle) -> None:
    settings = graph(sandbox, "contoso", "GET", "/admin/reportSettings")
    assert settings.status_code == 200 and settings.json()["displayConcealedNames"] is False
    r = graph(
        sandbox, "contoso", "PATCH", "/admin/reportSettings", json={"displayConcealedNames": True}
    )
    assert r.status_code == 204
    rows = _report(sandbox)
    assert rows and all(re.fullmatch(r"[0-9A-F]{32}", r["User Principal Name"]) for r in rows)
    assert all(re.fullmatch(r"[0-9A-F]{32}", r["Display Name"]) for r in rows)
    assert len({r["User Principal Name"] for r in rows}) == len(rows)
    # Fabrikam's seed leaves Microsoft's default: concealed.
    fabrikam = graph(sandbox, "fabrikam", "GET", "/admin/reportSettings")
    assert fabrikam.status_code == 403  # its admin app holds no ReportSettings permission


def test_the_report_needs_reports_read_all_and_a_known_period(sandbox: SandboxHandle) -> None:
    [contoso] = [t for t in sandbox.profile["tenants"] if t["name"] == "contoso"]
    [plan_only] = [c for c in contoso["clients"] if c["clientId"] == READ_ONLY]
    reader = sandbox.msal_app("contoso", client_id=READ_ONLY, secret=plan_only["clientSecret"])
    token = reader.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    r = graph(sandbox, "contoso", "GET", REPORT, token=token["access_token"])
    assert r.status_code == 403
    assert error_of(r) == (
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
    bad = graph(sandbox, "contoso", "GET", "/reports/getMailboxUsageDetail(period='D8')")
    assert bad.status_code == 400


def test_a_download_url_expires_after_a_few_minutes(sandbox: SandboxHandle) -> None:
    location = graph(sandbox, "contoso", "GET", REPORT).headers["Location"]
    assert sandbox.http.get(location).status_code == 200
    r = sandbox.http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advanceSeconds": 301})
    assert r.status_code == 200, r.text
    assert sandbox.http.get(location).status_code == 404
