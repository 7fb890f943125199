"""A small flow and helpers for the storage tests (built from flows.model directly)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from flows.definition import load_flow
from flows.events import Effect
from flows.model import (
    Clause,
    ContactRules,
    FieldKind,
    Flow,
    Option,
    Question,
    QuestionType,
    Text,
)
from flows.state import Answer as StateAnswer
from flows.state import SessionState, Status
from flows.surveys import DEFAULT_FLOW
from storage.answers import apply_effects
from storage.models import Respondent, SurveySession
from storage.respondents import lock_respondent, save_session_row
from storage.transactions import transaction

NOW = datetime(2025, 1, 27, 8, 0, tzinfo=UTC)


def t(zh: str, en: str) -> Text:
    return Text(zh, en)


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def small_flow() -> Flow:
    """role (single) → tools (multi, 'none' exclusive, suppliers only) → policy (yes/no)
    → explain (text) → contact (multi) → name (field)."""
    return Flow(
        id="mini",
        version=1,
        title=t("小调查", "Mini survey"),
        preface=t("前言", "Preface"),
        closing=t("谢谢", "Thanks"),
        questions=(
            Question(
                "role",
                QuestionType.SINGLE,
                t("角色", "Role"),
                (Option("oem", t("主机厂", "OEM")), Option("supplier", t("供应商", "Supplier"))),
            ),
            Question(
                "tools",
                QuestionType.MULTI,
                t("工具", "Tools"),
                (
                    Option("excel", t("表格", "Excel")),
                    Option("sap", t("SAP", "SAP")),
                    Option("none", t("没有", "None"), exclusive=True),
                ),
                when=(Clause("role", ("supplier",)),),
            ),
            Question("policy", QuestionType.YES_NO, t("政策", "Policy")),
            Question(
                "explain",
                QuestionType.TEXT,
                t("请说明", "Please explain"),
                required=False,
                when=(Clause("policy", ("yes",)),),
            ),
            Question(
                "contact",
                QuestionType.MULTI,
                t("联系", "Contact"),
                (Option("now", t("立即", "Now")), Option("no", t("不需要", "No"), exclusive=True)),
            ),
            Question(
                "name",
                QuestionType.FIELD,
                t("姓名", "Name"),
                field=FieldKind.NAME,
                when=(Clause("contact", ("now",)),),
            ),
        ),
        contact=ContactRules(question="contact", right_now="now", detail_questions=("name",)),
    )


def new_respondent(
    engine: Engine, user: str, *, flow: Flow | None = None, channel: str = "telegram"
) -> tuple[int, int]:
    """A respondent with an active session row: (respondent id, session id)."""
    flow = flow or small_flow()
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel=channel, channel_user_id=user, now=NOW
        )
        assert respondent.id is not None
        state = SessionState(flow.id, flow.version, status=Status.ACTIVE)
        row = save_session_row(session=session, respondent_id=respondent.id, state=state, now=NOW)
        assert row.id is not None
        return respondent.id, row.id


# The peer segments the dispatcher would pass: those the shipped AIAG survey declares.
_AIAG = load_flow(DEFAULT_FLOW)
DECLARED = {_AIAG.id: _AIAG.segments}


def apply(
    engine: Engine,
    session_id: int,
    *effects: Effect,
    now: datetime = NOW,
    stored: Mapping[str, StateAnswer] | None = None,
) -> list[str]:
    """Apply effects to one session in their own transaction; the new contacts' references.
    `stored`: the session's answers before, as the dispatcher passes them (apply_effects)."""
    with transaction(engine) as session:
        survey_session = session.get(SurveySession, session_id)
        assert survey_session is not None
        respondent = session.get(Respondent, survey_session.respondent_id)
        assert respondent is not None
        contacts = apply_effects(
            session=session,
            respondent=respondent,
            survey_session=survey_session,
            effects=effects,
            now=now,
            segments=DECLARED,
            stored=stored,
        )
        return [c.reference or "" for c in contacts]


def wait_for_lock_waiter(engine: Engine, timeout: float = 10.0) -> None:
    """PostgreSQL: return once another backend waits on a lock (a row we hold), so a
    test's "meanwhile" really happens; a condition polled, not a guessed sleep. SQLite's
    second writer waits in BEGIN IMMEDIATE, which nothing reports: return at once."""
    if engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError(f"no transaction waited on a lock within {timeout} s")


class Waiter:
    """A second transaction, on a thread, that must wait for a lock the test holds.

    `start()` (with the lock held) returns once it is under way and, on PostgreSQL,
    waiting on that lock (`wait_for_lock_waiter`); the test then writes and commits, and
    `join()` (after the commit) waits for it to finish. Events, not a guessed sleep."""

    def __init__(self, engine: Engine, work: Callable[[], None]) -> None:
        self._engine = engine
        self._work = work
        self._under_way = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        self._under_way.set()  # SQLite: its BEGIN IMMEDIATE already waits for the holder
        self._work()

    def start(self) -> None:
        self._thread.start()
        assert self._under_way.wait(10)
        wait_for_lock_waiter(self._engine)

    def join(self) -> None:
        self._thread.join(10)
        assert not self._thread.is_alive(), "the waiting transaction did not finish"
