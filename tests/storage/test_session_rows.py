"""Survey-session rows: the state saved and read back, status and times mirrored."""

from __future__ import annotations

from datetime import timedelta, timezone

from sqlalchemy.engine import Engine

from flows.model import Lang
from flows.state import Answer, SessionState, Status
from storage.respondents import lock_respondent
from storage.session_rows import (
    latest_session_row,
    load_session_row,
    load_state,
    save_session_row,
)
from storage.transactions import transaction
from tests.storage.sample import NOW, at


def test_session_row_mirrors_the_state(engine: Engine) -> None:
    with transaction(engine) as session:
        respondent_id = lock_respondent(
            session=session, channel="console", channel_user_id="me", now=NOW
        ).id
        assert respondent_id is not None
        assert load_session_row(session=session, respondent_id=respondent_id, flow_id="f") is None
        state = SessionState(
            "f",
            2,
            status=Status.ACTIVE,
            lang=Lang.ZH,
            current="q2",
            answers={"q1": Answer(("a",))},
            started_at=NOW.isoformat(),
        )
        row = save_session_row(session=session, respondent_id=respondent_id, state=state, now=NOW)
    assert (row.status, row.flow_version, row.started_at, row.completed_at) == (
        "active",
        2,
        NOW,
        None,
    )
    done = state.evolve(status=Status.COMPLETED, completed_at=at(9).isoformat())
    with transaction(engine) as session:
        again = save_session_row(
            session=session, respondent_id=respondent_id, state=done, now=at(9)
        )
        assert again.id == row.id
        assert load_state(session=session, respondent_id=respondent_id, flow_id="f") == done
    assert again.status == "completed" and again.completed_at == at(9)
    assert again.updated_at == at(9) and again.started_at == NOW


def test_saving_keeps_the_first_start_and_completion_times(engine: Engine) -> None:
    with transaction(engine) as session:
        respondent_id = lock_respondent(
            session=session, channel="console", channel_user_id="me", now=NOW
        ).id
        state = SessionState("f", 1, status=Status.ACTIVE)  # no started_at in the state
        first = save_session_row(session=session, respondent_id=respondent_id, state=state, now=NOW)
        assert first.started_at == NOW  # a new row starts now
        done = state.evolve(status=Status.COMPLETED)  # completed, no completed_at given
        completed = save_session_row(
            session=session, respondent_id=respondent_id, state=done, now=at(5)
        )
        edited = save_session_row(
            session=session, respondent_id=respondent_id, state=done, now=at(9)
        )
        reopened = save_session_row(
            session=session, respondent_id=respondent_id, state=state, now=at(12)
        )
    assert (completed.started_at, completed.completed_at) == (NOW, at(5))
    assert (edited.completed_at, edited.updated_at) == (at(5), at(9))  # first completion kept
    assert (reopened.started_at, reopened.completed_at, reopened.status) == (NOW, None, "active")
    assert first.id == completed.id == edited.id == reopened.id


def test_the_latest_session_row_is_the_most_recently_updated(engine: Engine) -> None:
    with transaction(engine) as session:
        respondent_id = lock_respondent(
            session=session, channel="wechat", channel_user_id="o1", now=NOW
        ).id
        assert latest_session_row(session=session, respondent_id=respondent_id) is None
        for flow_id, minutes in (("a", 1), ("b", 3), ("c", 2)):
            state = SessionState(flow_id, 1, status=Status.ACTIVE)
            save_session_row(
                session=session, respondent_id=respondent_id, state=state, now=at(minutes)
            )
        latest = latest_session_row(session=session, respondent_id=respondent_id)
        assert latest is not None and (latest.flow_id, latest.updated_at) == ("b", at(3))
        tie = SessionState("c", 1, status=Status.ACTIVE)
        save_session_row(session=session, respondent_id=respondent_id, state=tie, now=at(3))
        latest = latest_session_row(session=session, respondent_id=respondent_id)
        assert latest is not None and latest.flow_id == "c"  # the newer row wins a tie
        assert SessionState.from_json(latest.state_json) == tie


def test_a_save_of_the_row_just_read_returns_what_the_database_holds(engine: Engine) -> None:
    """`read`: the save's RETURNING is worked out from the row read before (the
    dispatcher's route) and must be exactly what the database then holds: the first
    start and completion kept, a reopened session's completion cleared, any time zone."""
    beijing = timezone(timedelta(hours=8), "CST")
    with transaction(engine) as session:
        respondent_id = lock_respondent(
            session=session, channel="console", channel_user_id="me", now=NOW
        ).id
        assert respondent_id is not None
    open_state = SessionState("f", 1, status=Status.ACTIVE)  # no started_at in the state
    steps = [
        (open_state, NOW),
        (open_state.evolve(current="q2"), at(1).astimezone(beijing)),
        (open_state.evolve(status=Status.COMPLETED), at(5).astimezone(beijing)),  # now
        (open_state.evolve(status=Status.COMPLETED, current="q3"), at(7)),  # kept
        (open_state.evolve(status=Status.COMPLETED, completed_at=at(8).isoformat()), at(9)),
        (open_state.evolve(started_at=at(2).isoformat()), at(12)),  # reopened, restarted
    ]
    saved_rows = []
    for state, now in steps:
        with transaction(engine) as session:
            read = load_session_row(session=session, respondent_id=respondent_id, flow_id="f")
            saved = save_session_row(
                session=session, respondent_id=respondent_id, state=state, now=now, read=read
            )
        with transaction(engine) as session:
            stored = load_session_row(session=session, respondent_id=respondent_id, flow_id="f")
        assert saved == stored
        saved_rows.append(saved)
    assert [r.completed_at for r in saved_rows] == [None, None, at(5), at(5), at(8), None]
    assert [r.started_at for r in saved_rows] == [NOW] * 5 + [at(2)]
    assert all(r.started_at.utcoffset() == timedelta(0) for r in saved_rows)
