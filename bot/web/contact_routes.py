"""POST /dashboard/contacts/{reference}: the dashboard's contact buttons (claim, give
back, close, note), CSRF-checked (`bot.web.contact_actions`) and audited."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.web.auth import SESSION_COOKIE
from bot.web.contact_actions import (
    NOTE_LIMIT,
    Action,
    BadForm,
    apply_action,
    check_csrf,
    check_origin,
    parse_form,
)
from bot.web.pages import base_path, error_page
from storage.audit import audit
from storage.transactions import run_in_transaction

if TYPE_CHECKING:
    from bot.web.routes import _StaffWeb


async def contact_action(web: _StaffWeb, request: Request) -> Response:
    """A contact button (claim, give back, close, note): POST, CSRF-checked, audited."""
    member = await web.member(request)
    survey = await web.survey(request)
    reference = request.path_params["reference"]
    try:
        check_origin(request.headers.get("origin"), request.headers.get("host"))
        form = parse_form(await request.body())
        cookie = request.cookies.get(SESSION_COOKIE) or ""
        check_csrf(await web.signer_now(), cookie, form.get("csrf"))
        action = Action(form.get("action", ""))
    except (BadForm, ValueError) as exc:
        await web.audit(member, "staff_web_denied", {"path": request.url.path, "reason": str(exc)})
        return error_page(web.env, 403, "403", "表单无效 Invalid form", base=base_path(request))
    note = form.get("note", "").strip()[:NOTE_LIMIT] or None
    now = web.clock()

    def write(session: Any) -> str:
        outcome = apply_action(
            session=session,
            reference=reference,
            action=action,
            note=note,
            member=member,
            names=web.names,
            flow=survey.flow,
            renderer=web.renderer,
            now=now,
        )
        detail = json.dumps({"reference": reference, "outcome": outcome, "via": "dashboard"})
        audit(
            session=session,
            actor=str(member),
            action=f"contact_{action.value}",
            detail=detail,
            now=now,
        )
        return outcome

    await anyio.to_thread.run_sync(run_in_transaction, web.engine, write)
    target = f"{base_path(request)}/dashboard{survey.query}#contacts"
    return RedirectResponse(target, status_code=303)
