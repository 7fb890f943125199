"""The retention job: dedupe rows, sent payloads and handled contacts' details expire.

Driven through the real runtime (dispatcher, staff commands, database) on a controlled
clock; the job runs as the app's background runner would, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.app.asgi import create_app
from bot.reports.export import export_rows
from bot.settings import Settings
from bot.workers.retention import Pruned, RetentionJob, RetentionPolicy
from flows.definition import load_flow
from flows.state import SessionState
from flows.surveys import DEFAULT_FLOW
from storage.consistency import verify
from storage.models import (
    Answer,
    ContactRequest,
    ContactStatus,
    Outbox,
    OutboxStatus,
    ProcessedMessage,
    SurveySession,
)
from storage.outbox import mark_sent
from storage.transactions import transaction
from tests.bot.staff.conftest import START, SUPPLIER, Chat, make_runtime

RIGHT_NOW = [*SUPPLIER[:-2], "1", "是", "张三", "上海汽车零部件有限公司", "13800138000",
             "zhang.san@example.com", "工作日下午", "2"]  # fmt: skip
PERSONAL = ("张三", "上海汽车零部件有限公司", "8613800138000", "zhang.san@example.com")


@pytest.fixture
def chat(db_url: str) -> Iterator[Chat]:
    runtime = make_runtime(db_url)
    try:
        yield Chat(runtime)
    finally:
        runtime.engine.dispose()


def job(chat: Chat, at: datetime, **policy: timedelta) -> RetentionJob:
    return RetentionJob(
        chat.runtime.engine,
        chat.runtime.catalog,
        policy=RetentionPolicy(**policy),
        clock=lambda: at,
    )


def processed_count(chat: Chat) -> int:
    with Session(chat.runtime.engine) as session:
        return len(session.exec(select(ProcessedMessage)).all())


def test_dedupe_rows_are_pruned_after_seven_days(chat: Chat) -> None:
    chat.send("o_old", "hi")
    chat.now = START + timedelta(days=6)
    chat.send("o_recent", "hi")
    assert processed_count(chat) == 2

    assert job(chat, START + timedelta(days=7, hours=1)).run_once().processed == 1
    assert processed_count(chat) == 1  # the recent one stays: it may still be retried
    assert job(chat, START + timedelta(days=7, hours=2)).run_once() == Pruned()


def test_sent_payloads_are_cleared_after_the_window_and_pending_ones_kept(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)  # a contact request: one alert per staff member
    alerts = [o for o in chat.outbox() if o.kind == "text"]
    assert len(alerts) == 2
    with transaction(chat.runtime.engine) as session:
        sent = session.get(Outbox, alerts[0].id)
        assert sent is not None
        mark_sent(session=session, item=sent, now=chat.now)

    assert job(chat, chat.now + timedelta(days=6)).run_once().payloads == 0
    assert job(chat, chat.now + timedelta(days=7, seconds=1)).run_once().payloads == 1
    by_id = {o.id: o for o in chat.outbox()}
    assert by_id[alerts[0].id].payload_json == "{}"
    assert by_id[alerts[0].id].status == OutboxStatus.SENT.value
    assert "C-000001" in json.loads(by_id[alerts[1].id].payload_json)["text"]  # not sent yet


def test_handled_contact_details_are_forgotten_after_the_configured_days(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    chat.staff("/claim C-000001")
    chat.staff("/done C-000001 called Zhang San back")
    done_at = chat.now

    assert job(chat, done_at + timedelta(days=29)).run_once().contacts == 0
    assert "张三" in dump_contacts(chat)

    assert job(chat, done_at + timedelta(days=30, seconds=1)).run_once().contacts == 1
    with Session(chat.runtime.engine) as session:
        (contact,) = session.exec(select(ContactRequest)).all()
        texts = [a.text for a in session.exec(select(Answer)).all() if a.text]
        (row,) = session.exec(select(SurveySession)).all()
        assert verify(session=session, flow=chat.runtime.flow) == []
    # The request and its outcome stay for the counts; what identifies the person goes.
    assert (contact.reference, contact.status) == ("C-000001", ContactStatus.DONE.value)
    assert contact.done_at is not None and contact.details_json == "{}" and contact.note is None
    assert texts == ["GRI Standards"]  # the survey's own free text stays
    state = SessionState.from_json(row.state_json)
    assert state.answers["contact_name"].text is None
    assert not any(p in row.state_json for p in PERSONAL)
    # The respondent is not asked for the details again, and their answers say so.
    mine = chat.send("r1", "我的答案").text
    assert "张三" not in mine and "GRI Standards" in mine
    assert job(chat, done_at + timedelta(days=31)).run_once().contacts == 0


def test_an_open_request_keeps_its_details_however_old(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    assert job(chat, chat.now + timedelta(days=400)).run_once().contacts == 0
    assert "张三" in dump_contacts(chat)


def test_jobs_on_several_hosts_at_once_forget_each_thing_once(chat: Chat) -> None:
    for user in ("r1", "r2", "r3"):
        chat.survey(user, RIGHT_NOW)
    for ref in ("C-000001", "C-000002", "C-000003"):
        chat.staff(f"/done {ref}")
    at = chat.now + timedelta(days=31)
    rows = processed_count(chat)
    results: list[Pruned] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(job(chat, at).run_once())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r.contacts for r in results) == 3
    assert sum(r.processed for r in results) == rows and processed_count(chat) == 0
    assert "张三" not in dump_contacts(chat)
    with Session(chat.runtime.engine) as session:
        assert verify(session=session, flow=chat.runtime.flow) == []


def dump_contacts(chat: Chat) -> str:
    with Session(chat.runtime.engine) as session:
        rows = session.exec(select(ContactRequest).order_by(col(ContactRequest.id))).all()
        return "".join(r.details_json for r in rows)


async def test_the_app_runs_the_retention_job(db_url: str) -> None:
    runtime = make_runtime(db_url)
    chat = Chat(runtime, now=START)  # START is long past: the dedupe row is old
    chat.send("o_old", "hi")
    app = create_app(runtime.settings, runtime=runtime)
    try:
        async with app.router.lifespan_context(app):
            for _ in range(100):
                if processed_count(chat) == 0:
                    break
                await asyncio.sleep(0.05)
        assert processed_count(chat) == 0
    finally:
        runtime.engine.dispose()


def exported(chat: Chat) -> dict[str, str]:
    with transaction(chat.runtime.engine, readonly=True) as session:
        header, rows = export_rows(session=session, flow=chat.runtime.flow)
        (row,) = list(rows)
    return dict(zip(header, row, strict=True))


def test_exports_leave_out_the_details_of_handled_requests(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    chat.staff("/claim C-000001")
    claimed = exported(chat)
    assert (claimed["contact_name"], claimed["contact_email"]) == ("张三", "zhang.san@example.com")

    chat.staff("/done C-000001")

    handled = exported(chat)
    assert [handled[q] for q in ("contact_name", "contact_company", "contact_phone")] == [
        "",
        "",
        "",
    ]
    assert handled["contact_email"] == "" and handled["contact_time"] == ""
    assert handled["contact:right_now"] == "1"  # the answers themselves stay
    assert handled["reporting_explain"] == "GRI Standards"


def test_the_organisation_step_outlives_the_contact_details(chat: Chat) -> None:
    # Its notice: the company is no personal information, kept until the person deletes
    # their data. Closing the request, then the retention period, leave it in place.
    # 是 to the step, 是 to the company offered from the contact form, no code, a city.
    chat.survey("r1", [*RIGHT_NOW[:-1], "是", "是", "跳过", "上海市"])
    chat.staff("/claim C-000001")
    chat.staff("/done C-000001")
    done_at = chat.now
    handled = exported(chat)
    assert handled["contact_company"] == ""
    assert (handled["org_share"], handled["org_company"], handled["org_plant"]) == (
        "yes",
        "上海汽车零部件有限公司",
        "上海市",
    )
    assert job(chat, done_at + timedelta(days=30, seconds=1)).run_once().contacts == 1
    with Session(chat.runtime.engine) as session:
        (row,) = session.exec(select(SurveySession)).all()
        assert verify(session=session, flow=chat.runtime.flow) == []
    state = SessionState.from_json(row.state_json)
    assert state.answers["contact_company"].text is None
    assert state.answers["org_company"].text == "上海汽车零部件有限公司"
    assert exported(chat)["org_company"] == "上海汽车零部件有限公司"


@pytest.mark.parametrize("name", ["aiag_carbon.yaml", "aiag_pcf_followup.yaml"])
def test_the_consent_notice_promises_what_the_job_does(name: str) -> None:
    days = f"{Settings.model_fields['contact_retention_days'].default:g}"  # 30
    notice = load_flow(DEFAULT_FLOW.parent / name).question("contact_consent").notice
    assert notice is not None
    assert f"需求处理完毕 {days} 天后删除这些信息" in notice.zh
    assert f"We delete them {days} days after your request has been handled" in notice.en
    assert "until your request has been handled" not in notice.en
