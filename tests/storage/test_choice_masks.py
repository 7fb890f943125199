"""The cross-tab from the sessions' choice masks (PostgreSQL, migration 0018) equals the
one from the answer rows, under every kind of filter; the masks follow every write."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine

from flows.definition import load_flow
from flows.events import AnswerCleared, AnswerRecorded, DataDeleted, Effect
from flows.model import Flow, Option, Question, QuestionType
from flows.surveys import DEFAULT_FLOW
from storage import choice_masks
from storage.crosstab import crosstab, from_rows, in_one_pass
from storage.filters import AnswerIs, ReportFilter
from storage.models import Respondent, SurveySession
from storage.seed_fake import seed_fake
from storage.test_data import mark_test
from storage.transactions import transaction
from tests.storage.sample import NOW, apply, new_respondent, small_flow, t

FILTERS = (
    ReportFilter(),
    ReportFilter(include_test=True),
    ReportFilter(answers=(AnswerIs("policy", "yes"),)),
    ReportFilter(answers=(AnswerIs("policy", "yes"), AnswerIs("contact", "now"))),
    ReportFilter(answers=(AnswerIs("tools", "sap"),), include_test=True),
    ReportFilter(answers=(AnswerIs("policy", "never_offered"),)),
    ReportFilter(since=NOW + timedelta(days=2), until=NOW + timedelta(days=6)),
    ReportFilter(channel="wechat"),
    ReportFilter(lang="en", answers=(AnswerIs("policy", "no"),)),
    ReportFilter(channel="telegram", since=NOW + timedelta(days=3), include_test=True),
)


def _canonical(entry: tuple[frozenset[str], frozenset[str], int]) -> tuple[object, ...]:
    """A sort key that does not depend on a set's iteration order (a frozenset's repr
    does: two equal sets built in different orders can print differently)."""
    rows, cols, count = entry
    return (sorted(rows), sorted(cols), count)


PAIRS = (("tools", "role"), ("role", "tools"), ("policy", "contact"), ("contact", "tools"))


def _answers(rng: random.Random) -> list[Effect]:
    role = rng.choice(("oem", "supplier"))
    effects: list[Effect] = [AnswerRecorded("role", (role,))]
    if role == "supplier" and rng.random() < 0.8:
        tools = tuple(o for o in ("excel", "sap") if rng.random() < 0.5) or ("none",)
        other = "own tool" if rng.random() < 0.2 else None
        effects.append(AnswerRecorded("tools", tools if rng.random() < 0.9 else (), text=other))
    effects.append(AnswerRecorded("policy", (rng.choice(("yes", "no")),)))
    effects.append(AnswerRecorded("contact", tuple(o for o in ("now",) if rng.random() < 0.5)))
    return effects


def _population(engine: Engine, count: int = 40) -> None:
    """Random answers, some changed or cleared afterwards, on two channels, in two
    languages, over nine days; three test respondents, one who deleted their data."""
    rng = random.Random(19)
    for n in range(count):
        channel = "wechat" if n % 3 else "telegram"
        respondent_id, session_id = new_respondent(engine, f"u{n}", channel=channel)
        apply(engine, session_id, *_answers(rng))
        if n % 5 == 0:  # changed their mind
            apply(engine, session_id, AnswerRecorded("policy", ("yes",)))
        if n % 7 == 0:
            apply(engine, session_id, AnswerCleared("tools"))
        if n == 11:
            apply(engine, session_id, DataDeleted())
            continue
        with transaction(engine) as session:
            session.exec(
                update(SurveySession)
                .where(SurveySession.id == session_id)  # type: ignore[arg-type]
                .values(started_at=NOW + timedelta(days=n % 9))
            )
            if n % 4 == 1:
                session.exec(
                    update(Respondent).where(Respondent.id == respondent_id).values(lang="en")  # type: ignore[arg-type]
                )
            if n in (3, 8, 21):
                mark_test(session=session, respondent_id=respondent_id, is_test=True, now=NOW)


def test_crosstab_equals_the_answer_rows_under_every_filter(engine: Engine) -> None:
    _population(engine)
    flow_id = small_flow().id
    with transaction(engine) as session:
        for row, col in PAIRS:
            for report_filter in FILTERS:
                table = crosstab(session=session, flow_id=flow_id, row_question=row,
                                 col_question=col, report_filter=report_filter)  # fmt: skip
                want = from_rows(session, flow_id, row, col, report_filter)
                assert table == want, (row, col, report_filter)
                if engine.dialect.name == "postgresql":
                    masks = choice_masks.option_sets(session, flow_id, row, col, report_filter)
                    assert sorted(masks or [], key=_canonical) == sorted(
                        in_one_pass(session, flow_id, row, col, report_filter), key=_canonical
                    )
        some = crosstab(session=session, flow_id=flow_id, row_question="tools",
                        col_question="role", report_filter=FILTERS[2])  # fmt: skip
    assert some.respondents > 5 and some.cells  # the population is not empty


@pytest.mark.postgres
def test_masks_follow_every_write_and_verify_finds_a_wrong_one(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no choice masks")
    _population(engine, count=15)
    with transaction(engine) as session:
        assert choice_masks.verify(session=session, flow_id=small_flow().id) == []
        stored = session.exec(text("SELECT count(*) FROM session_choice")).one()  # type: ignore[call-overload]
        answered = session.exec(text("SELECT count(DISTINCT session_id) FROM answer")).one()  # type: ignore[call-overload]
        assert stored == answered  # the deleted respondent's row went with their answers
        session.exec(text("UPDATE session_choice SET masks[1] = masks[1] # 2"))  # type: ignore[call-overload]
        problems = choice_masks.verify(session=session, flow_id=small_flow().id)
    assert len(problems) == 1 and "differ from their answer rows" in problems[0]


def _long_flow() -> Flow:
    many = tuple(Option(f"o{n:02d}", t(f"选{n}", f"Option {n}")) for n in range(34))
    question = Question("many", QuestionType.MULTI, t("很多", "Many"), many)
    base = small_flow()
    return replace(base, questions=(*base.questions, question))


def test_a_question_past_the_mask_is_counted_from_the_answer_rows(engine: Engine) -> None:
    """34 options: the 31st and later have no bit, so that question's cross-tab falls
    back to the answer rows (and still equals them)."""
    flow = _long_flow()
    for n in range(6):
        _, session_id = new_respondent(engine, f"m{n}", flow=flow)
        chosen = tuple(f"o{k:02d}" for k in range(34) if (k + n) % 4 == 0)
        apply(engine, session_id, AnswerRecorded("role", ("oem",) if n % 2 else ("supplier",)))
        apply(engine, session_id, AnswerRecorded("many", chosen))
    with transaction(engine) as session:
        for report_filter in (ReportFilter(), ReportFilter(answers=(AnswerIs("many", "o33"),))):
            table = crosstab(session=session, flow_id=flow.id, row_question="many",
                             col_question="role", report_filter=report_filter)  # fmt: skip
            assert table == from_rows(session, flow.id, "many", "role", report_filter)
            if engine.dialect.name == "postgresql":
                assert (
                    choice_masks.option_sets(session, flow.id, "many", "role", report_filter)
                    is None
                )
    assert table.respondents == 1 and table.cells[("o33", "oem")] == 1  # only m3 chose o33


def test_seeded_respondents_get_their_masks(engine: Engine) -> None:
    """`db seed-fake` COPYs the answer rows: the statement trigger fills the masks too."""
    flow = load_flow(DEFAULT_FLOW)
    seed_fake(engine, flow, 40, seed=3, batch_size=25)
    kept = ReportFilter(answers=(AnswerIs("carbon_policy", "yes"),))
    with transaction(engine) as session:
        assert choice_masks.verify(session=session, flow_id=flow.id) == []
        table = crosstab(session=session, flow_id=flow.id, row_question="methodology",
                         col_question="role", report_filter=kept)  # fmt: skip
        assert table == from_rows(session, flow.id, "methodology", "role", kept)
        assert table.respondents > 0
