"""What both webhook routes do at the HTTP edge: refuse, read a bounded body, answer 503.

A `Refused` becomes its status and reason (counted as a rejected message); any other
exception is a failure on our side, answered 503 so the platform retries, and logged as
its type and frames only (an exception message may quote user input).
"""

from __future__ import annotations

import logging
import traceback

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.observability import metrics


class Refused(Exception):
    """The request is refused with `status` (403 forged, 413 too large, 400 malformed)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing (413) more than `limit` bytes without reading it all into memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"declared {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def refusal(refused: Refused, *, channel: str, what: str, log: logging.Logger) -> Response:
    """`what` names the request in the log line ("wechat push", "telegram update")."""
    metrics.record_message(channel, "rejected")
    log.warning("%s refused (%d): %s", what, refused.status, refused)
    return PlainTextResponse(str(refused), status_code=refused.status)


def retry_later(exc: Exception, *, channel: str, what: str, log: logging.Logger) -> Response:
    """The one place turning a failure into a retryable answer."""
    metrics.record_error(channel)
    log.error(
        "%s failed: %s\n%s",
        what,
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    return PlainTextResponse("retry", status_code=503)
