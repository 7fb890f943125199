"""Export download links: bound to one survey, valid for minutes, good for one download
of each kind (an XLSX by codes and one by option labels: the page offers both).

Opening the link (GET) shows a page with a button for each download not yet made; the
download itself is a POST that spends the link for that kind. Chat apps fetch links for
their previews (Telegram does, from its servers): a GET that spent the link would leave
staff a dead one. The spent ids are kept in the database, so every worker and host
refuses a second use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode

import anyio
from jinja2 import Environment
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.settings import StaffMember
from bot.staff.signing import EXPORT_TTL_S
from bot.staff.web_links import EXPORT_PURPOSE, ExportFormat
from bot.web.auth import Forbidden, StaffGate
from bot.web.pages import page
from storage.kv import kv_add, kv_get
from storage.transactions import run_in_transaction, transaction

_SPENT = "web:export-link-spent:"
MAX_FORM_BYTES = 4096  # the form carries one token


@dataclass(frozen=True)
class ExportGrant:
    member: StaffMember
    survey_id: str
    link_id: str


def read_grant(gate: StaffGate, token: str | None) -> ExportGrant:
    """The grant of a genuine, unexpired export token of a current staff member."""
    subject = gate.subject(EXPORT_PURPOSE, token, max_age=EXPORT_TTL_S)
    try:
        data = json.loads(subject)
        member, survey_id, link_id = data["member"], data["survey"], data["id"]
    except (ValueError, TypeError, KeyError):
        raise Forbidden("malformed export link") from None
    if not all(isinstance(v, str) and v for v in (member, survey_id, link_id)):
        raise Forbidden("malformed export link")
    return ExportGrant(gate.staff_member(member), survey_id, link_id)


def check_survey(request: Request, grant: ExportGrant) -> None:
    """The link's survey is the one in its URL; a retargeted `?survey=` is refused."""
    if request.query_params.get("survey") != grant.survey_id:
        raise Forbidden("export link is for another survey")


def kinds(fmt: ExportFormat) -> tuple[str, ...]:
    """The downloads one link gives: "codes", and for XLSX also "labels"."""
    return ("codes", "labels") if fmt is ExportFormat.XLSX else ("codes",)


def _spent_key(grant: ExportGrant, kind: str) -> str:
    # "codes" keeps the key links had before there were two kinds.
    return _SPENT + grant.link_id + ("" if kind == "codes" else f":{kind}")


async def unspent_kinds(
    engine: Engine, grant: ExportGrant, fmt: ExportFormat, now: datetime
) -> tuple[str, ...]:
    """The downloads still open on this link; Forbidden when none is."""

    def read() -> tuple[str, ...]:
        with transaction(engine, readonly=True) as session:
            return tuple(
                kind
                for kind in kinds(fmt)
                if kv_get(session=session, key=_spent_key(grant, kind), now=now) is None
            )

    left = await anyio.to_thread.run_sync(read)
    if not left:
        raise Forbidden("export link already used")
    return left


async def spend(engine: Engine, grant: ExportGrant, kind: str, now: datetime) -> None:
    """Record the link as used for `kind`; Forbidden if it was before (here or elsewhere)."""
    # Kept as long as the token could still verify (with a minute of clock skew).
    expires = now + timedelta(seconds=EXPORT_TTL_S + 60)

    def write(session: Session) -> bool:
        key = _spent_key(grant, kind)
        return kv_add(session=session, key=key, value=grant.survey_id, expires_at=expires)

    if not await anyio.to_thread.run_sync(run_in_transaction, engine, write):
        raise Forbidden("export link already used")


def confirm_page(
    env: Environment,
    request: Request,
    base: str,
    fmt: ExportFormat,
    grant: ExportGrant,
    token: str,
    left: tuple[str, ...],
) -> Response:
    """The page a link opens: a button for each download still open (`left`), each a
    POST of the token (kept out of the URL)."""
    action = f"{base}{request.url.path}?{urlencode({'survey': grant.survey_id})}"
    return page(
        env, "export_confirm.html", base=base, fmt=fmt.value, survey=grant.survey_id,
        token=token, action=action, minutes=EXPORT_TTL_S // 60, left=left,
    )  # fmt: skip


async def form_token(request: Request) -> str | None:
    """The `token` field of the download form (urlencoded, tiny: read with a limit)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Forbidden("oversized form")
    values = parse_qs(body.decode("latin-1"), max_num_fields=4).get("token")
    return values[0] if values else None
