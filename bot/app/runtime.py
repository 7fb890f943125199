"""The composition root: settings → database engine, survey registry, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot.channels.wechat.pages import WeChatPlanner
from bot.dispatch.delivery_plan import ReplyPlanner
from bot.dispatch.pseudonyms import Pseudonyms
from bot.dispatch.service import Service, ServiceConfig
from bot.settings import Settings
from bot.staff.handler import build_staff_handler
from bot.staff.signing import load_signer
from bot.surveys.catalog import SurveyCatalog
from bot.surveys.publish import publish_shipped
from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from storage.db import make_engine
from storage.migrate import upgrade
from storage.transactions import transaction


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    flow: Flow  # the default survey's newest version (what staff reports start from)
    service: Service
    catalog: SurveyCatalog


def shipped_paths(first: Path) -> list[Path]:
    """`first` and the surveys it offers next (`next:`), found beside it as <id>.yaml."""
    paths: list[Path] = []
    path: Path | None = first
    while path is not None and path not in paths:
        paths.append(path)
        following = load_flow(path).next
        candidate = first.parent / f"{following}.yaml" if following else None
        path = candidate if candidate is not None and candidate.exists() else None
    return paths


def register_shipped(engine: Engine, paths: list[Path]) -> None:
    """Publish the configured survey files the registry lacks (several workers may race)."""
    for attempt in range(2):
        try:
            with transaction(engine) as session:
                publish_shipped(session=session, paths=paths, now=datetime.now(UTC))
            return
        except IntegrityError:
            if attempt:  # another worker published the same version meanwhile
                raise


def planners(settings: Settings) -> tuple[ReplyPlanner, ...]:
    """Delivery rules of the channels answering in their HTTP response (WeChat)."""
    if not settings.wechat_token:
        return ()
    api = bool(settings.wechat_app_id and settings.wechat_app_secret)
    usable = api and settings.wechat_customer_service == "auto"
    return (WeChatPlanner(customer_service=usable),)


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    if migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return _runtime_on(settings, engine)
    except BaseException:
        engine.dispose()  # an invalid flow file or registry stops start-up: close the pool
        raise


def _runtime_on(settings: Settings, engine: Engine) -> Runtime:
    paths = shipped_paths(settings.flow_path or DEFAULT_FLOW)
    register_shipped(engine, paths)
    catalog = SurveyCatalog(load_flow(paths[0]).id)
    with transaction(engine) as session:
        flow = catalog.newest_flow(session, catalog.default_flow_id)
    assert flow is not None  # registered just above
    config = ServiceConfig(
        snapshot_min_respondents=settings.snapshot_min_respondents,
        snapshot_min_segment=settings.snapshot_min_segment,
        snapshot_min_cell=settings.snapshot_min_cell,
        staff=tuple((m.channel.value, m.user_id) for m in settings.staff),
        db_threads=settings.db_threads,
        pg_batch=settings.pg_batch,
        pseudonyms=Pseudonyms.from_secret(load_signer(engine, settings.secret_key).secret),
        welcome_back_after=timedelta(minutes=settings.welcome_back_minutes),
    )
    staff_handler = build_staff_handler(settings, engine, flow, catalog)
    service = Service(
        engine, catalog, config=config, staff_handler=staff_handler, planners=planners(settings)
    )
    return Runtime(settings, engine, flow, service, catalog)
