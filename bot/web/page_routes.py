"""GET /dashboard and /dashboard/crosstab: the staff pages of figures.

The dashboard (overview, per-question figures, contact requests with their CSRF-guarded
buttons) and the cross-tab of two choice questions, both for the survey and filter the
query names (`?survey=`, `?where=…`). Their reads run in a worker thread, in a long
read-only transaction (`_StaffWeb.long_read`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from bot.web.auth import SESSION_COOKIE
from bot.web.contact_actions import csrf_token
from bot.web.dashboard import chart_questions, gather_crosstab, gather_dashboard
from bot.web.filter_query import choice_options
from bot.web.pages import base_path, page

if TYPE_CHECKING:
    from bot.web.routes import _StaffWeb


async def dashboard(web: _StaffWeb, request: Request) -> Response:
    member = await web.member(request)
    survey = await web.survey(request)
    now = web.clock()
    data = await anyio.to_thread.run_sync(
        web.long_read(
            lambda s: gather_dashboard(
                session=s, flow=survey.flow, now=now, report_filter=survey.report_filter
            )
        )
    )
    cookie = request.cookies.get(SESSION_COOKIE) or ""
    return page(
        web.env,
        "dashboard.html",
        d=data,
        member=str(member),
        names=web.names,
        csrf=csrf_token(await web.signer_now(), cookie),
        base=base_path(request),
        choices=chart_questions(survey.flow),
        survey=survey,
        filter_options=choice_options(survey.flow),
    )


async def crosstab(web: _StaffWeb, request: Request) -> Response:
    await web.member(request)
    survey = await web.survey(request)
    flow = survey.flow
    choices = chart_questions(flow)
    ids = [q.id for q in choices]
    q = request.query_params.get("q") or (ids[0] if ids else "")
    by = request.query_params.get("by") or (ids[1] if len(ids) > 1 else q)
    context: dict[str, Any] = {
        "choices": choices,
        "q": q,
        "by": by,
        "base": base_path(request),
        "survey": survey,
        "filter_options": choice_options(flow),
    }
    if q not in ids or by not in ids:
        context.update(view=None, error="未知问题 Unknown question")
        return page(web.env, "crosstab.html", status_code=400, **context)
    if q == by:
        context.update(view=None, error="不能把一道题和它自己交叉 Pick two different questions")
        return page(web.env, "crosstab.html", status_code=400, **context)
    context["as_of"] = web.clock()  # read right after: the figures are at least this new
    view = await anyio.to_thread.run_sync(
        web.long_read(
            lambda s: gather_crosstab(
                session=s,
                flow=flow,
                question_id=q,
                by_id=by,
                report_filter=survey.report_filter,
            )
        )
    )
    return page(web.env, "crosstab.html", view=view, error=None, **context)
