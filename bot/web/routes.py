"""The staff web pages: dashboard, charts, cross-tabs and export downloads.

`make_web_routes(...)` returns Starlette routes for `bot.app.asgi` to mount. Every page is
staff-only: a signed login link sets a signed session cookie (`bot.web.auth`); export
links carry their own signed token. Logins and exports go to the audit log. Database
work and chart drawing run in worker threads, never on the event loop.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
from jinja2 import Environment
from sqlalchemy import Engine
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.dispatch.render import Renderer
from bot.settings import Settings, StaffMember
from bot.staff.names import StaffNames
from bot.staff.signing import DASHBOARD_TTL_S, Signer, load_signer
from bot.staff.web_links import DASHBOARD_PURPOSE, ExportFormat
from bot.surveys.catalog import SurveyCatalog
from bot.web import export_links, sessions
from bot.web.auth import SESSION_COOKIE, SESSION_TTL_S, Forbidden, StaffGate
from bot.web.chart_routes import progress_chart, question_chart
from bot.web.contact_actions import csrf_token
from bot.web.contact_routes import contact_action
from bot.web.dashboard import (
    chart_questions,
    gather_crosstab,
    gather_dashboard,
)
from bot.web.export_links import ExportGrant, form_token
from bot.web.exports import write_export_file
from bot.web.filter_query import BadFilter, choice_options, parse_web_filter
from bot.web.pages import STATIC, error_page, make_environment, page, secured
from bot.web.survey_choice import Survey, UnknownSurvey
from flows.model import Flow
from storage.audit import audit
from storage.db import run_in_transaction, transaction
from storage.surveys import answered_versions

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
        Route("/dashboard", web.guarded(web.dashboard), methods=["GET"]),
        Route("/dashboard/login", web.guarded(web.login), methods=["GET"]),
        Route("/dashboard/logout", web.logout, methods=["GET"]),
        Route("/dashboard/crosstab", web.guarded(web.crosstab), methods=["GET"]),
        Route(
            "/dashboard/progress.png", web.guarded(partial(progress_chart, web)), methods=["GET"]
        ),
        Route(
            "/dashboard/chart/{question_id}.png",
            web.guarded(partial(question_chart, web)),
            methods=["GET"],
        ),
        Route("/export/{fmt}", web.guarded(web.export), methods=["GET", "POST"]),
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
                return error_page(
                    self.env,
                    403,
                    "403 禁止访问 Forbidden",
                    "此链接无效或已过期。请在机器人中发送 /dashboard 获取新链接。"
                    " This link is invalid or has expired: send /dashboard to the bot for a "
                    "new one.",
                    base=_base(request),
                )
            except UnknownSurvey:
                return error_page(
                    self.env, 404, "404", "没有此调查 No such survey", base=_base(request)
                )
            except BadFilter as exc:
                message = f"无法识别的筛选 Unknown filter: {exc}"
                return error_page(self.env, 400, "400", message, base=_base(request))

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
            return Survey(
                flow,
                tuple(ids),
                tuple(versions),
                explicit,
                chosen.params,
                chosen.report_filter,
                chosen.labels,
            )

        return await anyio.to_thread.run_sync(self._read(read))

    def _read(self, fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with transaction(self.engine, readonly=True, long_read=True) as session:
                return fn(session)

        return run

    # -- pages ---------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        gate = await self.gate()
        token = request.query_params.get("token")
        member = gate.from_token(DASHBOARD_PURPOSE, token, max_age=DASHBOARD_TTL_S)
        await self.audit(member, "dashboard_login", {})
        # Not a 303: a SameSite=Strict cookie is withheld for the whole redirect chain
        # of a cross-site click (a link in Telegram Web), so the redirect would land on
        # 403. A page of ours that moves on (meta refresh) starts a same-site navigation.
        target = f"{_base(request)}/dashboard"
        response = page(self.env, "login.html", base=_base(request), target=target)
        sid = await sessions.open_session(self.engine, member, self.clock(), SESSION_TTL_S)
        response.set_cookie(
            SESSION_COOKIE,
            gate.session_value(member, sid),
            max_age=SESSION_TTL_S,
            path="/",
            httponly=True,
            samesite="strict",
            secure=gate.secure_cookie,
        )
        return response

    async def logout(self, request: Request) -> Response:
        with contextlib.suppress(Forbidden):  # signing out twice, or with a stale cookie
            cookie = (await self.gate()).from_cookie(request.cookies.get(SESSION_COOKIE))
            await sessions.close_session(self.engine, cookie.sid)
        response = error_page(
            self.env,
            200,
            "已退出 Signed out",
            "您已退出仪表板。 You have signed out of the dashboard.",
            base=_base(request),
        )
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    async def dashboard(self, request: Request) -> Response:
        member = await self.member(request)
        survey = await self.survey(request)
        now = self.clock()
        data = await anyio.to_thread.run_sync(
            self._read(
                lambda s: gather_dashboard(
                    session=s, flow=survey.flow, now=now, report_filter=survey.report_filter
                )
            )
        )
        cookie = request.cookies.get(SESSION_COOKIE) or ""
        return page(
            self.env,
            "dashboard.html",
            d=data,
            member=str(member),
            names=self.names,
            csrf=csrf_token(await self.signer_now(), cookie),
            base=_base(request),
            choices=chart_questions(survey.flow),
            survey=survey,
            filter_options=choice_options(survey.flow),
        )

    async def signer_now(self) -> Signer:
        return (await self.gate()).signer

    async def crosstab(self, request: Request) -> Response:
        await self.member(request)
        survey = await self.survey(request)
        flow = survey.flow
        choices = chart_questions(flow)
        ids = [q.id for q in choices]
        q = request.query_params.get("q") or (ids[0] if ids else "")
        by = request.query_params.get("by") or (ids[1] if len(ids) > 1 else q)
        context: dict[str, Any] = {
            "choices": choices,
            "q": q,
            "by": by,
            "base": _base(request),
            "survey": survey,
            "filter_options": choice_options(flow),
        }
        if q not in ids or by not in ids:
            context.update(view=None, error="未知问题 Unknown question")
            return page(self.env, "crosstab.html", status_code=400, **context)
        if q == by:
            context.update(view=None, error="不能把一道题和它自己交叉 Pick two different questions")
            return page(self.env, "crosstab.html", status_code=400, **context)
        view = await anyio.to_thread.run_sync(
            self._read(
                lambda s: gather_crosstab(
                    session=s,
                    flow=flow,
                    question_id=q,
                    by_id=by,
                    report_filter=survey.report_filter,
                )
            )
        )
        return page(self.env, "crosstab.html", view=view, error=None, **context)

    async def export(self, request: Request) -> Response:
        try:
            fmt = ExportFormat(request.path_params["fmt"])
        except ValueError:
            return error_page(self.env, 404, "404", "没有此格式 Unknown export format")
        grant: ExportGrant | None = None
        if request.method == "POST":  # the link's download button: spends the link
            grant = export_links.read_grant(await self.gate(), await form_token(request))
            export_links.check_survey(request, grant)
            member, via = grant.member, "link"
        elif (token := request.query_params.get("token")) is not None:
            # Opening the link only shows the button (link previews must not spend it).
            grant = export_links.read_grant(await self.gate(), token)
            export_links.check_survey(request, grant)
            await export_links.check_unspent(self.engine, grant, self.clock())
            return export_links.confirm_page(self.env, request, _base(request), fmt, grant, token)
        else:
            member, via = await self.member(request), "dashboard"
        survey = await self.survey(request)
        flow = survey.flow
        if grant is not None:
            if flow.id != grant.survey_id:
                raise Forbidden("export link is for another survey")
            await export_links.spend(self.engine, grant, self.clock())
        labels = request.query_params.get("values") == "labels"
        now = self.clock()
        exported = await anyio.to_thread.run_sync(
            lambda: write_export_file(self.engine, flow, fmt, survey.report_filter, labels, now=now)
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
            await self.audit(member, "export", detail)
        except BaseException:
            exported.path.unlink(missing_ok=True)
            raise
        filename = f"{flow.id}-{self.clock():%Y%m%d-%H%M}.{fmt.value}"
        return FileResponse(
            exported.path,
            media_type=exported.media_type,
            filename=filename,
            background=BackgroundTask(exported.path.unlink, missing_ok=True),
        )


def _base(request: Request) -> str:
    """The app's mount prefix (uvicorn --root-path), so links work behind a proxy."""
    return str(request.scope.get("root_path", "")).rstrip("/")
