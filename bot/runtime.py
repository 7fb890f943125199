"""The composition root: settings → database engine, flow, dispatcher. Built on demand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.service import Service, ServiceConfig
from bot.settings import Settings
from bot.staff.handler import build_staff_handler
from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from storage.db import make_engine
from storage.migrate import upgrade


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    flow: Flow
    service: Service


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    if migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    flow = load_flow(settings.flow_path or DEFAULT_FLOW)
    config = ServiceConfig(
        snapshot_min_respondents=settings.snapshot_min_respondents,
        staff=tuple((m.channel.value, m.user_id) for m in settings.staff),
    )
    staff_handler = build_staff_handler(settings, engine, flow)
    service = Service(engine, flow, config=config, staff_handler=staff_handler)
    return Runtime(settings, engine, flow, service)
