"""GET /dashboard/login and /dashboard/logout: the staff web session's start and end.

A signed login link from the bot's `/dashboard` opens a session kept in the database
(`bot.web.sessions`) behind a signed, SameSite=Strict cookie (`bot.web.auth`); the login
is audited. Signing out closes the session, however stale the cookie.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from bot.staff.signing import DASHBOARD_TTL_S
from bot.staff.web_links import DASHBOARD_PURPOSE
from bot.web import sessions
from bot.web.auth import SESSION_COOKIE, SESSION_TTL_S, Forbidden
from bot.web.pages import base_path, error_page, page

if TYPE_CHECKING:
    from bot.web.routes import _StaffWeb


async def login(web: _StaffWeb, request: Request) -> Response:
    gate = await web.gate()
    token = request.query_params.get("token")
    member = gate.from_token(DASHBOARD_PURPOSE, token, max_age=DASHBOARD_TTL_S)
    await web.audit(member, "dashboard_login", {})
    # Not a 303: a SameSite=Strict cookie is withheld for the whole redirect chain
    # of a cross-site click (a link in Telegram Web), so the redirect would land on
    # 403. A page of ours that moves on (meta refresh) starts a same-site navigation.
    target = f"{base_path(request)}/dashboard"
    response = page(web.env, "login.html", base=base_path(request), target=target)
    sid = await sessions.open_session(web.engine, member, web.clock(), SESSION_TTL_S)
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


async def logout(web: _StaffWeb, request: Request) -> Response:
    with contextlib.suppress(Forbidden):  # signing out twice, or with a stale cookie
        cookie = (await web.gate()).from_cookie(request.cookies.get(SESSION_COOKIE))
        await sessions.close_session(web.engine, cookie.sid)
    response = error_page(
        web.env,
        200,
        "已退出 Signed out",
        "您已退出仪表板。 You have signed out of the dashboard.",
        base=base_path(request),
    )
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
