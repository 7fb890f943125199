"""Staff commands off the respondents' write path (bot.dispatch.staff_dispatch), on SQLite and
PostgreSQL: a slow report holds no respondent back, and a retried staff push changes
nothing twice and gets the stored reply."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from sqlmodel import Session

from bot.app.runtime import Runtime
from bot.dispatch.envelope import Channel, Envelope, Outcome
from bot.dispatch.staff_dispatch import StaffWork
from bot.staff import stats_command
from bot.staff.handler import StaffHandler
from flows.events import Inbound, Intent
from storage.contacts import find_contact
from storage.models import ContactStatus
from tests.bot.staff.conftest import STAFF_TELEGRAM, STAFF_WECHAT, SUPPLIER, Chat, make_runtime

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
WAIT_S = 30  # a guard against a hang only: every wait below ends on an event
CONTACT_NOW = [*SUPPLIER[:-2], "1", "是", "张三", "ACME", "13800138000", "跳过", "跳过", "2"]
UPDATES = [*SUPPLIER[:-2], "2", "2"]  # asks for updates: a broadcast's audience


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    # One thread for respondents on PostgreSQL: a staff report taking it would show.
    runtime = make_runtime(db_url, db_threads=1)
    try:
        yield runtime
    finally:
        runtime.service.close()
        runtime.engine.dispose()


def envelope(user: str, key: str, text: str | None, *, at: timedelta) -> Envelope:
    intent = Intent.START if text is None else None
    return Envelope(Channel.WECHAT, user, key, Inbound(now=T0 + at, text=text, intent=intent))


async def test_a_respondent_is_answered_while_a_staff_report_is_still_reading(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a staff /stats whose read transaction is held open (it waits for an event
    after its first query), a respondent's message is answered meanwhile, and the report
    then completes with its audit row."""
    reading, answered = threading.Event(), threading.Event()
    figures = stats_command.survey_progress

    def slow_progress(**kwargs: Any) -> Any:
        result = figures(**kwargs)
        reading.set()
        answered.wait(WAIT_S)  # the report goes on once the respondent has been answered
        return result

    monkeypatch.setattr(stats_command, "survey_progress", slow_progress)
    service = runtime.service
    report = asyncio.ensure_future(
        service.handle(envelope(STAFF_WECHAT, "s-1", "/stats", at=timedelta(0)))
    )
    try:
        assert await anyio.to_thread.run_sync(reading.wait, WAIT_S)
        assert not report.done()
        with anyio.fail_after(WAIT_S):
            first = await service.handle(envelope("r1", "r1-0", None, at=timedelta(seconds=1)))
            second = await service.handle(envelope("r1", "r1-1", "3", at=timedelta(seconds=2)))
        assert not report.done()  # both answers came while the report was still reading
    finally:
        answered.set()
    staff = await report
    assert first.messages and second.messages and not second.duplicate
    assert staff.messages and not staff.duplicate
    assert [a.action for a in Chat(runtime).audit()] == ["stats_overview"]


def _both_read_first(handler: StaffHandler, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next two staff pushes (two copies of one) both finish their reads before
    either writes."""
    barrier = threading.Barrier(2, timeout=WAIT_S)
    prepare = handler.prepare
    calls = itertools.count()

    def prepare_together(session: Session, env: Envelope) -> StaffWork | None:
        work = prepare(session, env)
        if next(calls) < 2:
            barrier.wait()
        return work

    monkeypatch.setattr(handler, "prepare", prepare_together)


async def _twice(runtime: Runtime, push: Envelope) -> tuple[Outcome, Outcome]:
    first, second = await asyncio.gather(runtime.service.handle(push), runtime.service.handle(push))
    return (first, second) if second.duplicate else (second, first)


async def test_a_retried_claim_claims_once_and_gets_the_stored_reply(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(runtime, now=T0)
    chat.survey("r1", CONTACT_NOW)  # contact request C-000001, alerts queued for staff
    outbox_before = {o.id for o in chat.outbox()}
    handler = runtime.service.staff_handler
    assert isinstance(handler, StaffHandler)
    _both_read_first(handler, monkeypatch)
    claim = envelope(STAFF_WECHAT, "claim-1", "/claim 1", at=timedelta(hours=1))

    original, retry = await _twice(runtime, claim)

    assert not original.duplicate and retry.duplicate
    assert "您已认领 You claimed C-000001" in original.text and "张三" in original.text
    # The claim showed the person's details: the copy kept for the retry does not.
    assert "张三" not in retry.text and retry.text
    actions = [a.action for a in chat.audit()]
    assert actions.count("contact_claimed") == 1 and "contact_claimed_failed" not in actions
    notices = [o for o in chat.outbox() if o.id not in outbox_before]
    assert [(o.channel, o.recipient) for o in notices] == [("telegram", STAFF_TELEGRAM)]
    with Session(runtime.engine) as session:
        contact = find_contact(session=session, ref="C-000001")
    assert contact.status == ContactStatus.CLAIMED.value
    assert contact.claimed_by == f"wechat:{STAFF_WECHAT}"
    # A later retry (the first long committed) gets the same stored reply.
    assert (await runtime.service.handle(claim)).text == retry.text


async def test_a_retried_broadcast_confirmation_sends_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(runtime, now=T0)
    for user in ("w1", "w2"):
        chat.survey(user, UPDATES)
    chat.staff("/broadcast 网络研讨会 Webinar")
    outbox_before = {o.id for o in chat.outbox()}
    handler = runtime.service.staff_handler
    assert isinstance(handler, StaffHandler)
    _both_read_first(handler, monkeypatch)
    # Within the 10 minutes the broadcast waits for its confirmation.
    confirm = envelope(
        STAFF_WECHAT, "confirm-1", "/confirm", at=chat.now - T0 + timedelta(minutes=1)
    )

    original, retry = await _twice(runtime, confirm)

    assert not original.duplicate and retry.duplicate
    assert retry.messages == original.messages  # nothing personal: the reply itself is kept
    assert "已群发：2 人现在收到" in original.text
    sent = [o for o in chat.outbox() if o.id not in outbox_before]
    assert sorted(o.recipient for o in sent) == ["w1", "w2"]
    assert all("Webinar" in json.loads(o.payload_json)["texts"][0] for o in sent)
    actions = [a.action for a in chat.audit()]
    assert actions == ["broadcast_prepared", "broadcast_sent"]


def test_a_report_writes_nothing_but_its_audit_row_and_stored_reply(runtime: Runtime) -> None:
    """The reads run in a read-only transaction: a report that tried to write would fail
    (PostgreSQL: READ ONLY) instead of answering."""
    chat = Chat(runtime, now=T0)
    chat.survey("r1", CONTACT_NOW)
    for text in ("/stats", "/stats all", "/stats 6 by 1", "/progress", "/contacts", "/survey"):
        assert chat.staff(text).messages, text
    assert [a.action for a in chat.audit()] == [
        "stats_overview",
        "stats_report",
        "stats_crosstab",
        "progress",
        "contacts_viewed",
        "survey",
    ]
