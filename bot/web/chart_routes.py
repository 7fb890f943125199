"""The dashboard's charts as PNG: one question's, and progress over time; both obey the
page's filter (`?where=…`) and come narrow for a phone (`?size=phone`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
from starlette.requests import Request
from starlette.responses import Response

from bot.web.dashboard import chart_questions, progress_series
from bot.web.pages import error_page
from flows.model import Lang
from storage.aggregates import question_stats
from storage.transactions import transaction

if TYPE_CHECKING:
    from bot.web.routes import _StaffWeb


async def question_chart(web: _StaffWeb, request: Request) -> Response:
    await web.member(request)
    survey = await web.survey(request)
    flow = survey.flow
    question_id = request.path_params["question_id"]
    if question_id not in {q.id for q in chart_questions(flow)}:
        return error_page(web.env, 404, "404", "没有此图表 No such chart")
    question = flow.question(question_id)
    narrow = request.query_params.get("size") == "phone"

    def draw() -> bytes:
        # matplotlib and numpy (~55 MB): loaded by the first chart a worker draws.
        from bot.reports.charts import question_chart_png

        with transaction(web.engine, readonly=True, long_read=True) as session:
            stats = question_stats(session=session, flow=flow, report_filter=survey.report_filter)[
                question_id
            ]
        return question_chart_png(question, stats, lang=Lang.BOTH, narrow=narrow)

    return Response(await anyio.to_thread.run_sync(draw), media_type="image/png")


async def progress_chart(web: _StaffWeb, request: Request) -> Response:
    await web.member(request)
    survey = await web.survey(request)
    flow = survey.flow
    narrow = request.query_params.get("size") == "phone"

    def draw() -> bytes:
        from bot.reports.progress_chart import progress_chart_png  # matplotlib: see chart()

        with transaction(web.engine, readonly=True, long_read=True) as session:
            days, hours = progress_series(
                session=session, flow_id=flow.id, report_filter=survey.report_filter
            )
        return progress_chart_png(days, hours=hours, lang=Lang.BOTH, narrow=narrow)

    return Response(await anyio.to_thread.run_sync(draw), media_type="image/png")
