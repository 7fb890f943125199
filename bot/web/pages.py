"""HTML for the dashboard: one autoescaping jinja2 environment, strict security headers.

Survey answers are user input: autoescape is on for every template, and the Content
Security Policy allows no script at all, so even a markup slip could not run anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.reports.labels import reason_text, status_text
from bot.reports.local_time import local_time

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    # Staff pages carry personal data (contact requests): never cached, never framed,
    # and the login token in the URL is never sent on as a Referer.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = format_pct
    env.filters["utc"] = format_utc
    env.filters["china"] = format_china
    env.globals["reason_text"] = reason_text
    env.globals["status_text"] = status_text
    return env


def format_pct(value: Decimal) -> str:
    return f"{value:.2f}%"


def format_utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def format_china(value: datetime | None) -> str:
    """China time with its zone shown: staff work in it (bot.reports.local_time)."""
    return f"{local_time(value)} 北京时间 (UTC+8)" if value is not None else ""


def secured(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def page(env: Environment, template: str, *, status_code: int = 200, **context: Any) -> Response:
    html = env.get_template(template).render(**context)
    return secured(HTMLResponse(html, status_code=status_code))


def error_page(
    env: Environment,
    status_code: int,
    title: str,
    message: str,
    *,
    base: str = "",
    back: str | None = None,
) -> Response:
    """`back`: a link out of the error (e.g. the page without its filter)."""
    return page(
        env,
        "error.html",
        status_code=status_code,
        title=title,
        message=message,
        base=base,
        back=back,
    )


def base_path(request: Request) -> str:
    """The app's mount prefix (uvicorn --root-path), so links work behind a proxy."""
    return str(request.scope.get("root_path", "")).rstrip("/")
