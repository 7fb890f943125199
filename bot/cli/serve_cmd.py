"""`surveybot serve`: the ASGI app under uvicorn, with N worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from bot.app.chart_process import chart_channels, drawer_beside_workers, run_charts
from bot.channels.telegram.config import TelegramConfig, TelegramConfigError
from bot.cli import uvicorn_workers
from bot.cli.common import settings_or_exit
from bot.cli.database_wait import migrate_or_exit
from bot.devtools.dev_credentials import DEV_APP_SECRET, ensure_dev_credentials
from bot.observability.logging import configure_logging
from bot.observability.metrics import prepare_multiprocess_dir, remove_multiprocess_dir
from bot.settings import Settings
from storage.db import make_engine

WORKER_HEALTHCHECK_S = 60
HEADER_LIMITED_HTTP = "bot.cli.header_limit:HeaderLimitedHttpToolsProtocol"
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Stopped(BaseException):
    """SIGTERM/SIGINT, raised so that every `finally` on the way out runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    for sig in _STOP_SIGNALS:  # the cleanup itself must not be interrupted again
        signal.signal(sig, signal.SIG_IGN)
    raise _Stopped(signum)


@contextlib.contextmanager
def _stopping_unwinds() -> Iterator[None]:
    """A stop signal unwinds the block (so the `charts` child is stopped), then ends the
    process by that signal as before.

    uvicorn catches SIGTERM itself, shuts down, restores the previous handler and raises
    the signal again (`Server.capture_signals`); with SIGTERM's default action that
    killed `serve` on the spot, skipping the `finally` that stops the charts child.
    """
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in _STOP_SIGNALS}
    stopped: int | None = None
    try:
        yield
    except _Stopped as exc:
        stopped = exc.signum
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopped is not None:
        signal.signal(stopped, signal.SIG_DFL)
        signal.raise_signal(stopped)


def local_url(host: str, port: int) -> str:
    """This server's address on this machine ("http://127.0.0.1:8741")."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="uvicorn worker processes."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    log_format: str = typer.Option(
        "auto",
        "--log-format",
        help="json, text (one readable line a record) or auto: text when stdout is a terminal.",
    ),
) -> None:
    if log_format == "auto":
        log_format = "text" if sys.stdout.isatty() else "json"
    try:
        log_config = configure_logging(log_level, log_format)
    except ValueError as exc:
        param = "--log-format" if "format" in str(exc) else "--log-level"
        raise typer.BadParameter(str(exc), param_hint=param) from None
    settings = settings_or_exit()
    try:
        TelegramConfig.from_settings(settings)
    except TelegramConfigError as exc:
        typer.echo(f"surveybot: bad setting: {exc}", err=True)
        raise typer.Exit(2) from None
    # Migrate once, before any worker starts (workers never migrate concurrently); an
    # unreachable database ends start-up with one line (or a bounded, logged wait).
    migrate_or_exit(settings.database_url, wait_s=settings.db_wait_s)
    if not settings.wechat_token:
        engine = make_engine(settings.database_url)
        dev = ensure_dev_credentials(engine)
        engine.dispose()
        # The workers are child processes: they read their settings from the environment.
        os.environ["WECHAT_TOKEN"] = dev.token
        os.environ["WECHAT_APP_ID"] = dev.app_id
        os.environ["WECHAT_ENCODING_AES_KEY"] = dev.aes_key
        # The customer-service API, played by `surveybot simulate` while it runs.
        os.environ.setdefault("WECHAT_APP_SECRET", DEV_APP_SECRET)
        os.environ.setdefault("WECHAT_API_BASE_URL", dev.api_url)
        typer.echo("No WECHAT_TOKEN set: development mode with generated credentials")
        typer.echo(f"  token {dev.token}   app id {dev.app_id}")
        typer.echo(f"  EncodingAESKey {dev.aes_key}")
        url = local_url(host, port)
        typer.echo(f"  chat as a WeChat user: uv run surveybot simulate --url {url}/wechat")
    if "public_url" not in settings.model_fields_set:
        # Links the bot sends (dashboard, exports) point where this server listens, not
        # at the default port: SURVEYBOT_PUBLIC_URL names the address behind a proxy.
        os.environ["SURVEYBOT_PUBLIC_URL"] = local_url(host, port)
    # The workers share WECHAT_SEND_RATE (bot.app.background).
    os.environ["SURVEYBOT_WORKER_PROCESSES"] = str(workers)
    # Several workers: Prometheus values go to per-process files in a shared directory.
    metrics_dir = prepare_multiprocess_dir(workers)
    with _stopping_unwinds():
        _run_workers(settings, host, port, workers, log_level, log_config, metrics_dir)


def _run_workers(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    log_config: dict[str, Any],
    metrics_dir: Path | None,
) -> None:
    try:
        # Not uvicorn.run: with several workers it leaves Nagle on (+40 ms per reply).
        # One chart-drawing process for all workers: matplotlib stays out of them.
        with drawer_beside_workers(settings):
            uvicorn_workers.run(
                "bot.app.asgi:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level=log_level,
                log_config=log_config,  # the same lines in every worker, access log included
                proxy_headers=True,
                # httptools with a 16 KiB limit on the request line and headers (431).
                http=HEADER_LIMITED_HTTP,
                # uvicorn kills a worker that does not answer its ping within this time,
                # and a spawned worker answers only after importing this CLI module
                # (seconds on a busy 2-core host): the default 5 s made 4 workers die and
                # respawn forever.
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            )
    finally:
        remove_multiprocess_dir(metrics_dir)


def charts(
    log_level: str = typer.Option("info", "--log-level", help="Log level."),
) -> None:
    try:
        configure_logging(log_level)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-level") from None
    settings = settings_or_exit()
    if not chart_channels(settings):
        typer.echo("surveybot: no channel can send images (WeChat app secret or Telegram token)")
        raise typer.Exit(2)
    with contextlib.suppress(KeyboardInterrupt):
        run_charts(settings)
