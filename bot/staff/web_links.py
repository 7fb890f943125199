"""The staff links the bot and the CLI hand out: dashboard login and export download.

The token names its purpose ("dashboard" or "export") and the staff member
("wechat:OPENID"); `bot.web.auth` checks both, and that the member is still staff. An
export token also names its survey and carries a one-time id (`bot.web.export_links`).
"""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from urllib.parse import urlencode

from bot.settings import Settings, StaffMember
from bot.staff.signing import Signer

DASHBOARD_PURPOSE = "dashboard"
EXPORT_PURPOSE = "export"
LOGIN_PATH = "/dashboard/login"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    SAV = "sav"  # SPSS


def dashboard_login_url(settings: Settings, signer: Signer, member: StaffMember) -> str:
    token = signer.sign(DASHBOARD_PURPOSE, str(member))
    return f"{_base(settings)}{LOGIN_PATH}?{urlencode({'token': token})}"


def export_url(
    settings: Settings, signer: Signer, member: StaffMember, fmt: ExportFormat, *, survey_id: str
) -> str:
    """A download link for one survey, one member, one download (`bot.web.export_links`)."""
    query = {"survey": survey_id, "token": export_token(signer, member, survey_id)}
    return f"{_base(settings)}/export/{fmt.value}?{urlencode(query)}"


def export_token(signer: Signer, member: StaffMember, survey_id: str) -> str:
    # A random id per link: the server records it when the link is used (single use).
    grant = {"member": str(member), "survey": survey_id, "id": secrets.token_urlsafe(12)}
    return signer.sign(EXPORT_PURPOSE, json.dumps(grant, sort_keys=True))


def _base(settings: Settings) -> str:
    return settings.public_url.rstrip("/")
