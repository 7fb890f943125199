"""The jobs that run beside the request path in every serving process.

The outbox delivery (replies' tails, charts, staff alerts, broadcasts), the completion
chart drawer (unless a `surveybot charts` process does it), the one reminder to
respondents who stopped mid-survey, the re-notification of unclaimed contact requests
and the retention job (bot.workers.retention). `serve`'s lifespan and `telegram poll` both
start them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence

from sqlalchemy import Engine

from bot.channels.sending import ChannelSender
from bot.settings import Settings
from bot.surveys.catalog import SurveyCatalog
from bot.workers.completion_charts import ChartWorker
from bot.workers.delivery import Delivery
from bot.workers.reminders import Reminders
from bot.workers.renotify import Renotifier
from bot.workers.retention import RetentionJob, RetentionPolicy


def start_background(
    *,
    engine: Engine,
    senders: Mapping[str, ChannelSender],
    catalog: SurveyCatalog,
    settings: Settings,
) -> list[asyncio.Task[None]]:
    tasks: list[asyncio.Task[None]] = []
    if senders:
        rate = settings.wechat_send_rate
        share = {"wechat": rate / settings.worker_processes if rate else None}
        delivery = Delivery(engine, dict(senders), send_rates=share)
        tasks.append(asyncio.create_task(delivery.run_forever()))
    if senders and settings.chart_worker:
        # Completion charts are drawn off the reply path, then delivered as images.
        drawer = ChartWorker(
            engine,
            catalog,
            channels=list(senders),
            min_respondents=settings.snapshot_min_respondents,
            min_cell=settings.snapshot_min_cell,
        )
        tasks.append(asyncio.create_task(drawer.run_forever()))
    if senders:
        # One reminder to respondents who stopped mid-survey (flow: reminder_after_hours).
        tasks.append(asyncio.create_task(Reminders(engine, catalog).run_forever()))
    if settings.staff:
        # Unclaimed contact requests are brought up again every renotify_hours.
        staff = tuple((m.channel.value, m.user_id) for m in settings.staff)
        renotifier = Renotifier(engine, staff=staff, after_hours=settings.renotify_hours)
        tasks.append(asyncio.create_task(renotifier.run_forever()))
    # Dedupe rows, sent payloads and handled contacts' details are kept for a while only.
    job = RetentionJob(engine, catalog, policy=RetentionPolicy.from_settings(settings))
    tasks.append(asyncio.create_task(job.run_forever()))
    return tasks


async def stop_background(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
