"""JSON log lines on stderr, each with the request id, and no personal data or secrets.

One line per record: `ts`, `level`, `logger`, `message`, `request_id` (when the record is
made while a request is handled, see `bot.observability.middleware`), `exc` for an
exception, and any `extra=` fields. Standard library only.

The same dictConfig is applied by `surveybot serve` and handed to uvicorn, which applies
it again in every worker process, so uvicorn's own lines (start-up, access log) are JSON
too. The access log loses its query string: WeChat's carries signatures and nonces.

`RedactPersonalData` is defence in depth, the channels already log hashed ids
(`hash_id()`): anything shaped like a WeChat openid is replaced by the same 12-hex
SHA-256 tag the channels use, as is a Telegram id passed as `extra={"user": …}`, and
access tokens (WeChat `access_token=…`, Telegram `bot<id>:<secret>` URLs) are masked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import logging.config
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("surveybot_request_id", default=None)

# WeChat openids: "o" + 27 characters of the URL-safe base64 alphabet (28 in all).
_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")
_DIGITS = re.compile(r"-?\d+")  # Telegram user and chat ids (chats may be negative)
# requests/urllib3 and httpx print request URLs: the WeChat token is a query parameter,
# the Telegram bot token is part of the path.
_SECRETS = (
    (re.compile(r"(access_token=)[^&\s\"']+"), r"\1***"),
    (re.compile(r"(/bot\d+:)[A-Za-z0-9_-]+"), r"\1***"),
)
_USER_FIELDS = ("user", "openid", "chat_id", "user_id")

# LogRecord's own attributes; everything else on a record came in through `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}

# Their lines print request URLs with credentials: urllib3 and httpcore at DEBUG, httpx at INFO.
QUIET_LOGGERS = {
    "urllib3": logging.INFO,
    "httpcore": logging.INFO,
    "httpx": logging.WARNING,
    # Seven "setup plugin …" lines on every start-up, before anything worth reading.
    "alembic.runtime.plugins": logging.WARNING,
}


def hash_id(value: str | int) -> str:
    """A stable, non-reversible 12-hex tag for logs: user ids are personal data."""
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:12]


def redact(text: str) -> str:
    """Openid-shaped words hashed, access tokens masked."""
    text = _OPENID.sub(lambda m: hash_id(m.group(0)), text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _redact_user(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return hash_id(value)
    if isinstance(value, str) and (_OPENID.fullmatch(value) or _DIGITS.fullmatch(value)):
        return hash_id(value)
    return value


class RedactPersonalData(logging.Filter):
    """Hashes user ids and masks tokens in the message and the extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: the handler reports it, not the caller
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        for key, value in vars(record).items():
            if key in _STANDARD:
                continue
            if key in _USER_FIELDS:
                setattr(record, key, _redact_user(value))
            elif isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class AccessLogFields(logging.Filter):
    """uvicorn's access line → structured fields, with the query string dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, full_path, http_version, status = args
            path = str(full_path).split("?", 1)[0]
            record.msg = '%s - "%s %s HTTP/%s" %d'
            record.args = (client, method, path, http_version, status)
            record.__dict__.update(
                client=client, method=method, path=path, status=status, http=http_version
            )
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            # Exception messages may quote user input or URLs: same redaction.
            line["exc"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(level: str | int = "INFO") -> dict[str, Any]:
    """The dictConfig for our process and uvicorn's workers (picklable: plain data)."""
    if isinstance(level, str):
        # uvicorn's --log-level also knows "trace" (5), below DEBUG.
        numeric = 5 if level.lower() == "trace" else logging.getLevelName(level.upper())
    else:
        numeric = level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    module = __name__
    loggers: dict[str, Any] = {
        # uvicorn's loggers lose their own handlers and go through ours (root).
        "uvicorn": {"level": numeric, "handlers": [], "propagate": True},
        "uvicorn.error": {"level": numeric, "propagate": True},
        "uvicorn.access": {
            "level": numeric,
            "handlers": [],
            "propagate": True,
            "filters": ["access"],
        },
    }
    for name, floor in QUIET_LOGGERS.items():
        loggers[name] = {"level": max(numeric, floor)}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": f"{module}.RedactPersonalData"},
            "access": {"()": f"{module}.AccessLogFields"},
        },
        "formatters": {"json": {"()": f"{module}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["redact"],
            }
        },
        "loggers": loggers,
        "root": {"level": numeric, "handlers": ["stderr"]},
    }


def configure_logging(level: str | int = "INFO") -> dict[str, Any]:
    """JSON logs for this process; returns the config to hand to uvicorn's workers."""
    config = log_config(level)
    logging.config.dictConfig(config)
    return config
