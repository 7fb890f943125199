"""`surveybot staff-link`: print a signed dashboard login (or export) link for staff."""

from __future__ import annotations

import typer

from bot.cli.common import settings_or_exit
from bot.settings import StaffMember
from bot.staff.signing import DASHBOARD_TTL_S, EXPORT_TTL_S, load_signer
from bot.staff.web_links import ExportFormat, dashboard_login_url, export_url
from bot.web.auth import parse_subject
from flows.definition import load_flow
from flows.surveys import DEFAULT_FLOW
from storage.db import make_engine
from storage.migrate import upgrade


def staff_link(
    member: str = typer.Option(
        None,
        "--for",
        metavar="CHANNEL:ID",
        help="The staff member, e.g. wechat:OPENID (default: the first in SURVEYBOT_STAFF).",
    ),
    export: ExportFormat = typer.Option(
        None, "--export", help="A download link for this export format instead of the dashboard."
    ),
    survey: str = typer.Option(
        None, "--survey", help="The survey the export link is for (default: SURVEYBOT_FLOW's)."
    ),
) -> None:
    settings = settings_or_exit()
    staff = _member(member, settings.staff)
    upgrade(settings.database_url)  # the signing key may live in the database
    engine = make_engine(settings.database_url)
    try:
        signer = load_signer(engine, settings.secret_key)
    finally:
        engine.dispose()
    if export is None:
        url, valid = dashboard_login_url(settings, signer, staff), f"{DASHBOARD_TTL_S / 3600:g} h"
    else:
        survey_id = survey or load_flow(settings.flow_path or DEFAULT_FLOW).id
        url = export_url(settings, signer, staff, export, survey_id=survey_id)
        valid = f"{EXPORT_TTL_S // 60} min, one download"
    typer.echo(url)
    typer.echo(f"for {staff}, valid for {valid}", err=True)


def _member(wanted: str | None, staff: tuple[StaffMember, ...]) -> StaffMember:
    if not staff:
        typer.echo(
            "surveybot: no staff configured: set SURVEYBOT_STAFF (e.g. wechat:OPENID,telegram:ID)",
            err=True,
        )
        raise typer.Exit(2)
    if wanted is None:
        return staff[0]
    member = parse_subject(wanted)
    if member is None:
        raise typer.BadParameter(f"{wanted!r} is not CHANNEL:ID", param_hint="--for")
    if member not in staff:
        known = ", ".join(str(m) for m in staff)
        message = f"{member} is not in SURVEYBOT_STAFF ({known})"
        raise typer.BadParameter(message, param_hint="--for")
    return member
