"""`/export` and `/dashboard`: signed links to the staff web pages.

Each link is signed for the staff member who asked (`bot.staff.web_links`) and expires
(`bot.staff.signing`): the export links, one per format, for the default survey; the
dashboard link, a one-time login to the signed-cookie session of the web pages.
"""

from __future__ import annotations

from bot.settings import Settings
from bot.staff.call import Call, Result, Say
from bot.staff.signing import DASHBOARD_TTL_S, EXPORT_TTL_S, Signer
from bot.staff.web_links import ExportFormat, dashboard_login_url, export_url
from flows.model import Flow
from flows.staff_replies import StaffLink

__all__ = ["dashboard", "export"]


def export(call: Call, settings: Settings, signer: Signer, flow: Flow, say: Say) -> Result:
    links = [
        {
            "label": "SPSS (.sav)" if f is ExportFormat.SAV else f.value.upper(),
            "url": export_url(settings, signer, call.member, f, survey_id=flow.id),
        }
        for f in ExportFormat
    ]
    reply = StaffLink(kind="export", links=links, minutes=EXPORT_TTL_S // 60)
    return Result(say(reply), "export_link")


def dashboard(call: Call, settings: Settings, signer: Signer, say: Say) -> Result:
    url = dashboard_login_url(settings, signer, call.member)
    links = [{"label": "Dashboard", "url": url}]
    reply = StaffLink(kind="dashboard", links=links, minutes=DASHBOARD_TTL_S // 60)
    return Result(say(reply), "dashboard_link")
