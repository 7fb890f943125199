"""Cross-tab counts from the answer rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from flows.events import AnswerRecorded
from storage.crosstab import crosstab
from storage.filters import AnswerIs, ReportFilter
from storage.transactions import transaction
from tests.storage.sample import apply, new_respondent, small_flow

PEOPLE = {
    "a": [("role", ("supplier",)), ("tools", ("excel", "sap")), ("policy", ("yes",))],
    "b": [("role", ("supplier",)), ("tools", ("excel",)), ("policy", ("no",))],
    "c": [("role", ("supplier",)), ("tools", ("none",)), ("policy", ("yes",))],
    "d": [("role", ("oem",)), ("policy", ("yes",))],
    "e": [("role", ("oem",)), ("policy", ("no",))],
    "f": [("role", ("supplier",)), ("policy", ("yes",))],  # skipped the tools question
}


def answer_all(engine: Engine) -> None:
    for user, answers in PEOPLE.items():
        _, session_id = new_respondent(engine, user)
        apply(engine, session_id, *(AnswerRecorded(q, options=o) for q, o in answers))


def test_multiple_choice_by_single_choice(engine: Engine) -> None:
    answer_all(engine)
    with transaction(engine) as session:
        table = crosstab(
            session=session, flow_id=small_flow().id, row_question="tools", col_question="role"
        )
    assert table.cells == {
        ("excel", "supplier"): 2,
        ("sap", "supplier"): 1,
        ("none", "supplier"): 1,
    }
    # Respondents who chose the column option and answered the row question at all.
    assert table.col_bases == {"supplier": 3}
    assert table.respondents == 3


def test_yes_no_by_role_counts_each_respondent_once(engine: Engine) -> None:
    answer_all(engine)
    with transaction(engine) as session:
        table = crosstab(
            session=session, flow_id=small_flow().id, row_question="policy", col_question="role"
        )
    assert table.cells == {
        ("yes", "supplier"): 3,
        ("no", "supplier"): 1,
        ("yes", "oem"): 1,
        ("no", "oem"): 1,
    }
    assert table.col_bases == {"supplier": 4, "oem": 2}
    assert table.respondents == 6


def test_other_flows_and_changed_answers_do_not_count(engine: Engine) -> None:
    answer_all(engine)
    _, session_id = new_respondent(engine, "a")  # the same respondent's session row
    apply(engine, session_id, AnswerRecorded("policy", options=("no",)))  # a changed answer
    with transaction(engine) as session:
        table = crosstab(
            session=session, flow_id=small_flow().id, row_question="policy", col_question="role"
        )
        other = crosstab(
            session=session, flow_id="other", row_question="policy", col_question="role"
        )
    assert table.cells[("yes", "supplier")] == 2 and table.cells[("no", "supplier")] == 2
    assert other.cells == {} and other.respondents == 0


def test_filtered_by_an_answer_with_multiple_choice_columns(engine: Engine) -> None:
    answer_all(engine)
    kept = ReportFilter(answers=(AnswerIs("policy", "yes"),))  # a, c, d and f
    with transaction(engine) as session:
        table = crosstab(
            session=session,
            flow_id=small_flow().id,
            row_question="role",
            col_question="tools",
            report_filter=kept,
        )
    # a chose two tools: one cell each, but one respondent.
    assert table.cells == {
        ("supplier", "excel"): 1,
        ("supplier", "sap"): 1,
        ("supplier", "none"): 1,
    }
    assert table.col_bases == {"excel": 1, "sap": 1, "none": 1}
    assert table.respondents == 2
