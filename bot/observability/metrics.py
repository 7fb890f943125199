"""Prometheus metrics: what the service counts, and the `GET /metrics` endpoint.

The metric objects are module-level (prometheus-client's idiom: one time series per
process, whatever the number of apps built in it). The request path only calls the small
`record_*` functions below: a dictionary lookup and a locked add (or an mmap write).

Several uvicorn workers: `surveybot serve --workers N` (N > 1) points
`PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the workers start
(`prepare_multiprocess_dir`); each worker then writes its values to its own files there,
and `/metrics`, whichever worker answers it, merges all of them (`MultiProcessCollector`).
prometheus-client reads that variable itself, at import time: it is its contract, not
one of our settings.

Counting rules, so that a dashboard adds up:
- `surveybot_messages_total{channel,outcome}` counts each inbound message once:
  `ok`, `duplicate` (a platform retry answered from the stored reply) or `error` by the
  dispatcher; `rejected` by the channel adapter for a push (or WeChat URL check) refused
  before dispatching (bad signature, replay, foreign app id, malformed or oversized body).
- `surveybot_errors_total{where}`: unexpected exceptions, by the place that caught them.
- `surveybot_outbound_failures_total{channel}`: a platform API send that failed (each
  attempt; the outbox retries with backoff); `surveybot_outbound_sent_total` the successes.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

import anyio
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

Outcome = Literal["ok", "duplicate", "rejected", "error"]

# WeChat gives us 5 s; the interesting resolution is below that.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0)

MESSAGES = Counter(
    "surveybot_messages",
    "Inbound messages by channel and outcome (ok, duplicate, rejected, error).",
    ["channel", "outcome"],
)
DUPLICATES = Counter(
    "surveybot_duplicates",
    "Platform retries of an already processed message, answered from the stored reply.",
    ["channel"],
)
ERRORS = Counter(
    "surveybot_errors",
    "Unexpected exceptions, by the place that caught them.",
    ["where"],
)
OUTBOUND_FAILURES = Counter(
    "surveybot_outbound_failures",
    "Failed sends through a platform API (each attempt; the outbox retries).",
    ["channel"],
)
OUTBOUND_SENT = Counter(
    "surveybot_outbound_sent",
    "Messages sent through a platform API by the outbox worker.",
    ["channel"],
)
WECHAT_LATE = Counter(
    "surveybot_wechat_late_replies",
    "WeChat pushes answered 'success' because the dispatcher overran the reply budget.",
)
REQUESTS = Counter(
    "surveybot_requests",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "surveybot_request_seconds",
    "HTTP request latency by route template.",
    ["route", "method"],
    buckets=_LATENCY_BUCKETS,
)
DISPATCH_SECONDS = Histogram(
    "surveybot_dispatch_seconds",
    "Dispatcher time per inbound message (one database transaction).",
    ["channel"],
    buckets=_LATENCY_BUCKETS,
)


@functools.cache
def _child(metric: Counter | Histogram, *values: str) -> Any:
    """`metric.labels(*values)`, looked up once: prometheus-client validates the values
    and takes a lock on every call, and the request path records four a push. The label
    values are few (channels, outcomes, route templates, methods, status codes)."""
    return metric.labels(*values)


def record_message(channel: str, outcome: Outcome) -> None:
    _child(MESSAGES, channel, outcome).inc()
    if outcome == "duplicate":
        _child(DUPLICATES, channel).inc()


def record_dispatch(channel: str, seconds: float) -> None:
    _child(DISPATCH_SECONDS, channel).observe(seconds)


def record_error(where: str) -> None:
    ERRORS.labels(where).inc()


def record_outbound(channel: str, *, sent: int, failed: bool) -> None:
    if sent:
        OUTBOUND_SENT.labels(channel).inc(sent)
    if failed:
        OUTBOUND_FAILURES.labels(channel).inc()


def record_wechat_late() -> None:
    WECHAT_LATE.inc()


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    _child(REQUESTS, route, method, str(status)).inc()
    _child(REQUEST_SECONDS, route, method).observe(seconds)


# --- exposition ----------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    path = os.environ.get(MULTIPROC_ENV)
    return path if path and os.path.isdir(path) else None


def render_latest() -> bytes:
    """The text exposition: every worker's values in multi-process mode, else ours."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)
    return generate_latest(registry)


async def metrics_endpoint(request: Request) -> Response:
    # Reading the workers' files is file I/O: off the event loop.
    body = await anyio.to_thread.run_sync(render_latest)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def mark_worker_dead(pid: int | None = None) -> None:
    """Drop a finished worker's live-gauge files (a no-op outside multi-process mode)."""
    path = multiprocess_dir()
    if path is not None:
        multiprocess.mark_process_dead(os.getpid() if pid is None else pid, path)


def prepare_multiprocess_dir(workers: int) -> Path | None:
    """Called by `surveybot serve` before the workers start.

    A directory given by the operator is emptied (values left by an earlier run would be
    added to this run's); otherwise, with more than one worker, a fresh temporary one is
    made. Returns the directory that `serve` created and should remove at exit.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return None
    if workers <= 1:
        return None
    created = Path(tempfile.mkdtemp(prefix="surveybot-metrics-"))
    # The workers are child processes started afterwards: they inherit the environment.
    os.environ[MULTIPROC_ENV] = str(created)
    return created


def remove_multiprocess_dir(path: Path | None) -> None:
    if path is not None:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)
