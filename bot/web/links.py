"""The staff links the bot and the CLI hand out: dashboard login and export download.

The token names its purpose ("dashboard" or "export") and the staff member
("wechat:OPENID"); `bot.web.auth` checks both, and that the member is still staff.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlencode

from bot.settings import Settings, StaffMember
from bot.web.signing import Signer

DASHBOARD_PURPOSE = "dashboard"
EXPORT_PURPOSE = "export"
LOGIN_PATH = "/dashboard/login"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def dashboard_login_url(settings: Settings, signer: Signer, member: StaffMember) -> str:
    token = signer.sign(DASHBOARD_PURPOSE, str(member))
    return f"{_base(settings)}{LOGIN_PATH}?{urlencode({'token': token})}"


def export_url(settings: Settings, signer: Signer, member: StaffMember, fmt: ExportFormat) -> str:
    token = signer.sign(EXPORT_PURPOSE, str(member))
    return f"{_base(settings)}/export/{fmt.value}?{urlencode({'token': token})}"


def _base(settings: Settings) -> str:
    return settings.public_url.rstrip("/")
