"""Two rounds in one database: pre-fill from the earlier round, the staff's change
report (/changes N), and both rounds side by side in the export."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.dispatch.envelope import Channel, Message
from bot.dispatch.render import Renderer
from bot.reports.export import export_rows
from bot.reports.round_changes import Transition, change_report
from bot.settings import StaffMember
from bot.staff.call import Call
from bot.staff.changes_command import changes
from bot.staff.commands import StaffCommand, StaffRequest, parse_staff_command
from bot.surveys.prefill import previous_for
from flows.definition import load_flow
from flows.events import AnswerRecorded, Effect
from flows.model import Flow, Lang, PreviousRound
from flows.replies import Reply
from flows.state import Answer, SessionState, Status
from flows.surveys import DEFAULT_FLOW
from storage.answers import apply_effects
from storage.models import Answer as StoredAnswer
from storage.respondents import lock_respondent, save_session_row
from storage.rounds import round_pairs
from storage.transactions import transaction

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
FOLLOWUP = DEFAULT_FLOW.parent / "aiag_pcf_followup.yaml"
# (earlier pcf_status, this round's pcf_status, carried)
ROUNDS = [
    ("planned", "some_products", "changed"),
    ("planned", "some_products", "changed"),
    ("planned", "planned", "kept"),
    ("no", "planned", "changed"),
    ("some_products", "some_products", "kept"),
]


@pytest.fixture(scope="module")
def earlier() -> Flow:
    return load_flow(FOLLOWUP)


@pytest.fixture(scope="module")
def this_round(earlier: Flow) -> Flow:
    rules = PreviousRound(earlier.id, (("pcf_status", "pcf_status"), ("tools", "tools")))
    return replace(earlier, id="aiag_pcf_2026", previous_round=rules)


def answer(engine: Engine, flow: Flow, user: str, effects: list[Effect]) -> int:
    with transaction(engine) as session:
        respondent = lock_respondent(
            session=session, channel="wechat", channel_user_id=user, now=NOW
        )
        assert respondent.id is not None
        state = SessionState(flow.id, flow.version, status=Status.COMPLETED)
        row = save_session_row(session=session, respondent_id=respondent.id, state=state, now=NOW)
        apply_effects(
            session=session, respondent=respondent, survey_session=row, effects=effects, now=NOW
        )
        return respondent.id


def two_rounds(engine: Engine, earlier: Flow, this_round: Flow) -> None:
    for n, (then, now, carried) in enumerate(ROUNDS):
        answer(engine, earlier, f"u{n}", [AnswerRecorded("pcf_status", (then,))])
        answer(engine, this_round, f"u{n}", [AnswerRecorded("pcf_status", (now,), carried=carried)])


def test_prefill_reads_the_respondents_own_earlier_answers(
    engine: Engine, earlier: Flow, this_round: Flow
) -> None:
    tools = AnswerRecorded("tools", ("spreadsheets", "erp_module"))
    u0 = answer(engine, earlier, "u0", [AnswerRecorded("pcf_status", ("planned",)), tools])
    u1 = answer(engine, earlier, "u1", [AnswerRecorded("pcf_status", ("no",))])
    nobody = answer(engine, this_round, "nobody", [])
    with Session(engine) as session:
        found = {
            user: previous_for(session=session, flow=this_round, respondent_id=rid)
            for user, rid in (("u0", u0), ("u1", u1), ("nobody", nobody))
        }
        # Organisation identity (issue 20 §1) passes its own sources: here, u1 answers
        # for u0 as a colleague would.
        colleague = previous_for(
            session=session, flow=this_round, respondent_id=u0, sources=lambda s, r: (u1, r)
        )
    assert found["u0"] == {
        "pcf_status": Answer(("planned",)),
        "tools": Answer(("spreadsheets", "erp_module")),
    }
    assert found["u1"] == {"pcf_status": Answer(("no",))}
    assert found["nobody"] == {}
    assert colleague == {"pcf_status": Answer(("no",))}


def test_the_change_report_counts_who_changed_and_from_what_to_what(
    engine: Engine, earlier: Flow, this_round: Flow
) -> None:
    two_rounds(engine, earlier, this_round)
    with Session(engine) as session:
        pairs = round_pairs(
            session=session,
            flow_id=this_round.id,
            question_id="pcf_status",
            earlier_flow_id=earlier.id,
            earlier_question_id="pcf_status",
        )
        # What was kept and what changed is stored with each answer.
        query = select(StoredAnswer.carried).where(StoredAnswer.flow_id == "aiag_pcf_2026")
        stored = sorted(str(c) for c in session.exec(query).all())
    assert stored == ["changed", "changed", "changed", "kept", "kept"]
    question = this_round.question("pcf_status")
    report = change_report(this_round, question, "pcf_status", pairs)
    planned = "计划在未来 12 个月内开展 (Planned within the next 12 months)"
    some = "是，已覆盖部分产品 (Yes, for some products)"
    assert (report.respondents, report.changed, str(report.pct_changed)) == (5, 3, "60.00")
    assert report.transitions == (
        Transition(planned, some, 2, True),
        Transition("否 (No)", planned, 1, True),
        Transition(some, some, 1, False),
        Transition(planned, planned, 1, False),
    )


def test_staff_changes_command(engine: Engine, earlier: Flow, this_round: Flow) -> None:
    two_rounds(engine, earlier, this_round)
    assert parse_staff_command("/changes 1") == StaffRequest(StaffCommand.CHANGES, "1")
    assert parse_staff_command("变化 1") == StaffRequest(StaffCommand.CHANGES, "1")
    renderer = Renderer()

    def say(reply: Reply) -> list[Message]:
        return [Message(renderer.render(reply, Lang.BOTH))]

    member = StaffMember(Channel.WECHAT, "o_staff")
    with Session(engine) as session:

        def run(flow: Flow, argument: str) -> str:
            call = Call(session, StaffRequest(StaffCommand.CHANGES, argument), member, NOW)
            return changes(call, flow, say).messages[0].text

        shown = run(this_round, "1")
        unmapped = run(this_round, "3")
        none = run(earlier, "1")
    assert "两轮都回答 answered in both n = 5；改变答案 changed 3（60.00%）" in shown
    assert "否 (No) → 计划在未来 12 个月内开展 (Planned within the next 12 months)：1" in shown
    assert "（未变 unchanged）" in shown
    assert "在上一轮（aiag_pcf_followup）中没有对应的题目" in unmapped
    assert "没有上一轮调查" in none


def test_the_export_has_both_rounds_side_by_side(
    engine: Engine, earlier: Flow, this_round: Flow
) -> None:
    two_rounds(engine, earlier, this_round)
    with Session(engine) as session:
        header, rows = export_rows(session=session, flow=this_round)
        listed = list(rows)
        _, labelled = export_rows(session=session, flow=this_round, labels=True)
        first_labelled = next(iter(labelled))
    at = header.index("pcf_status")
    assert header[at + 1] == "pcf_status:previous"
    assert [(r[at + 1], r[at]) for r in listed] == [(then, now) for then, now, _ in ROUNDS]
    assert first_labelled[at + 1] == "计划在未来 12 个月内开展 (Planned within the next 12 months)"
    assert all(len(r) == len(header) for r in listed)
    assert "tools:previous" in header and "scopes:previous" not in header
