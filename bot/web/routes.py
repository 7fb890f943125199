"""The staff web pages wired together: dashboard, charts, cross-tabs and export downloads.

`make_web_routes(...)` returns Starlette routes for `bot.app.asgi` to mount; the
endpoints live by job (`session_routes`, `page_routes`, `chart_routes`, `export_routes`,
`contact_routes`) and share `_StaffWeb`: the staff gate, the survey a page names, the
audit log and long reads. Every page is staff-only: a signed login link sets a signed
session cookie (`bot.web.auth`); export links carry their own signed token. Logins and
exports go to the audit log. Database work and chart drawing run in worker threads,
never on the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

import anyio
from jinja2 import Environment
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.dispatch.render import Renderer
from bot.settings import Settings, StaffMember
from bot.staff.names import StaffNames
from bot.staff.signing import Signer, load_signer
from bot.surveys.catalog import SurveyCatalog
from bot.web import sessions
from bot.web.auth import SESSION_COOKIE, Forbidden, StaffGate
from bot.web.chart_routes import progress_chart, question_chart
from bot.web.contact_routes import contact_action
from bot.web.export_routes import export
from bot.web.filter_query import BadFilter, parse_web_filter
from bot.web.page_routes import crosstab, dashboard
from bot.web.pages import STATIC, base_path, error_page, make_environment, secured
from bot.web.session_routes import login, logout
from bot.web.survey_choice import Survey, UnknownSurvey
from flows.model import Flow
from storage.audit import audit
from storage.surveys import answered_versions
from storage.transactions import run_in_transaction, transaction

Clock = Callable[[], datetime]
Endpoint = Callable[[Request], Awaitable[Response]]


def make_web_routes(
    *,
    settings: Settings,
    engine: Engine,
    flow: Flow,
    signer: Signer | None = None,
    clock: Clock | None = None,
    catalog: SurveyCatalog | None = None,
) -> list[BaseRoute]:
    """Without `signer`, the key is loaded (or created) on first use: SURVEYBOT_SECRET_KEY,
    else the one kept in the database (`bot.staff.signing.load_signer`).

    Every page takes `?survey=ID` (default: the default survey, `flow`); `catalog` lists
    the surveys to choose from (without it, `flow` is the only one)."""
    web = _StaffWeb(
        settings,
        engine,
        catalog or SurveyCatalog.fixed(flow),
        signer,
        clock or (lambda: datetime.now(UTC)),
    )
    return [
        Route("/dashboard", web.guarded(partial(dashboard, web)), methods=["GET"]),
        Route("/dashboard/login", web.guarded(partial(login, web)), methods=["GET"]),
        Route("/dashboard/logout", partial(logout, web), methods=["GET"]),
        Route("/dashboard/crosstab", web.guarded(partial(crosstab, web)), methods=["GET"]),
        Route(
            "/dashboard/progress.png", web.guarded(partial(progress_chart, web)), methods=["GET"]
        ),
        Route(
            "/dashboard/chart/{question_id}.png",
            web.guarded(partial(question_chart, web)),
            methods=["GET"],
        ),
        Route("/export/{fmt}", web.guarded(partial(export, web)), methods=["GET", "POST"]),
        Route(
            "/dashboard/contacts/{reference}",
            web.guarded(partial(contact_action, web)),
            methods=["POST"],
        ),
        Mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static"),
    ]


class _StaffWeb:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        catalog: SurveyCatalog,
        signer: Signer | None,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.catalog = catalog
        self.clock = clock
        self.env: Environment = make_environment()
        self.names = StaffNames.from_settings(settings)
        self.renderer = Renderer()
        self._signer = signer
        self._signer_lock = anyio.Lock()

    # -- plumbing ------------------------------------------------------------------

    async def gate(self) -> StaffGate:
        async with self._signer_lock:
            if self._signer is None:
                self._signer = await anyio.to_thread.run_sync(
                    load_signer, self.engine, self.settings.secret_key
                )
        return StaffGate(self.settings, self._signer)

    def guarded(self, endpoint: Endpoint) -> Endpoint:
        """Turns `Forbidden` into the one 403 page (no data) and secures every response."""

        async def run(request: Request) -> Response:
            try:
                return secured(await endpoint(request))
            except Forbidden as exc:
                if exc.member is not None:
                    detail = {"path": request.url.path, "reason": exc.reason}
                    await self.audit(exc.member, "staff_web_denied", detail)
                # The command that gives a new link of the kind opened.
                again = "/export" if "/export/" in request.url.path else "/dashboard"
                return error_page(
                    self.env,
                    403,
                    "403 禁止访问 Forbidden",
                    f"此链接无效、已用过或已过期。请在机器人中发送 {again} 获取新链接。"
                    " This link is invalid, used or expired: send "
                    f"{again} to the bot for a new one.",
                    base=base_path(request),
                )
            except UnknownSurvey:
                return error_page(
                    self.env, 404, "404", "没有此调查 No such survey", base=base_path(request)
                )
            except BadFilter as exc:
                survey = request.query_params.get("survey")
                back = base_path(request) + request.url.path
                if survey:
                    back += "?" + urlencode({"survey": survey})
                return error_page(
                    self.env,
                    400,
                    "筛选无效 Invalid filter",
                    str(exc),
                    base=base_path(request),
                    back=back,
                )

        return run

    async def member(self, request: Request) -> StaffMember:
        cookie = (await self.gate()).from_cookie(request.cookies.get(SESSION_COOKIE))
        if await sessions.session_member(self.engine, cookie.sid, self.clock()) != str(
            cookie.member
        ):
            raise Forbidden("session ended (signed out or expired)")
        return cookie.member

    async def audit(self, member: StaffMember, action: str, detail: dict[str, Any]) -> None:
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
        now = self.clock()

        def write(session: Any) -> None:
            audit(session=session, actor=str(member), action=action, detail=text, now=now)

        await anyio.to_thread.run_sync(run_in_transaction, self.engine, write)

    async def survey(self, request: Request) -> Survey:
        """The survey `?survey=` names (default: the default one); 404 for an unknown id."""
        wanted = request.query_params.get("survey") or self.catalog.default_flow_id

        def read(session: Any) -> Survey:
            self.catalog.refresh(session)
            ids = self.catalog.survey_ids()
            if wanted not in ids:
                raise UnknownSurvey(wanted)
            flow = self.catalog.newest_flow(session, wanted)
            assert flow is not None
            versions = answered_versions(session=session, flow_id=wanted)
            explicit = wanted != self.catalog.default_flow_id
            chosen = parse_web_filter(request.query_params, flow)
            newest = [self.catalog.newest_flow(session, i) for i in ids]
            titles = tuple(
                f.title.zh if f is not None else i for f, i in zip(newest, ids, strict=True)
            )
            return Survey(
                flow,
                tuple(ids),
                tuple(versions),
                explicit,
                chosen.params,
                chosen.report_filter,
                chosen.labels,
                titles,
            )

        return await anyio.to_thread.run_sync(self.long_read(read))

    def long_read(self, fn: Callable[[Any], Any]) -> Callable[[], Any]:
        """`fn(session)` in a long read-only transaction, to run in a worker thread."""

        def run() -> Any:
            with transaction(self.engine, readonly=True, long_read=True) as session:
                return fn(session)

        return run

    async def signer_now(self) -> Signer:
        return (await self.gate()).signer
