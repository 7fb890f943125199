"""GET/POST /export/{fmt}: an export download (CSV, XLSX, SPSS), audited.

Reached from the dashboard (its session cookie) or by the bot's signed export link
(`bot.web.export_links`): opening a link only shows a download button, so link previews
cannot spend it; the button's POST spends it, once. The file is written in a worker
thread (`bot.web.exports`) and deleted once sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from bot.reports.local_time import CHINA
from bot.staff.web_links import ExportFormat
from bot.web import export_links
from bot.web.auth import Forbidden
from bot.web.export_links import ExportGrant, form_token
from bot.web.exports import write_export_file
from bot.web.pages import base_path, error_page

if TYPE_CHECKING:
    from bot.web.routes import _StaffWeb


async def export(web: _StaffWeb, request: Request) -> Response:
    try:
        fmt = ExportFormat(request.path_params["fmt"])
    except ValueError:
        return error_page(web.env, 404, "404", "没有此格式 Unknown export format")
    grant: ExportGrant | None = None
    if request.method == "POST":  # the link's download button: spends the link
        grant = export_links.read_grant(await web.gate(), await form_token(request))
        export_links.check_survey(request, grant)
        member, via = grant.member, "link"
    elif (token := request.query_params.get("token")) is not None:
        # Opening the link only shows the button (link previews must not spend it).
        grant = export_links.read_grant(await web.gate(), token)
        export_links.check_survey(request, grant)
        left = await export_links.unspent_kinds(web.engine, grant, fmt, web.clock())
        return export_links.confirm_page(
            web.env, request, base_path(request), fmt, grant, token, left
        )
    else:
        member, via = await web.member(request), "dashboard"
    survey = await web.survey(request)
    flow = survey.flow
    labels = request.query_params.get("values") == "labels"
    if grant is not None:
        if flow.id != grant.survey_id:
            raise Forbidden("export link is for another survey")
        kind = "labels" if labels and "labels" in export_links.kinds(fmt) else "codes"
        await export_links.spend(web.engine, grant, kind, web.clock())
    now = web.clock()
    exported = await anyio.to_thread.run_sync(
        lambda: write_export_file(web.engine, flow, fmt, survey.report_filter, labels, now=now)
    )
    detail: dict[str, Any] = {
        "format": fmt.value,
        "rows": exported.rows,
        "via": via,
        "survey": flow.id,
    }
    if survey.filters:
        detail["filter"] = dict(survey.filters)
    if labels:
        detail["values"] = "labels"
    try:
        await web.audit(member, "export", detail)
    except BaseException:
        exported.path.unlink(missing_ok=True)
        raise
    # China time, as in the file; by codes and by labels named apart in one's downloads.
    values = "-labels" if labels else ("-codes" if "labels" in export_links.kinds(fmt) else "")
    filename = f"{flow.id}{values}-{now.astimezone(CHINA):%Y%m%d-%H%M}.{fmt.value}"
    return FileResponse(
        exported.path,
        media_type=exported.media_type,
        filename=filename,
        background=BackgroundTask(exported.path.unlink, missing_ok=True),
    )
