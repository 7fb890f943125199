"""A step deletes a question's answer rows only where its state held an answer
(storage.answers `stored`): random walks with edits, going back, skips, restarts and
erasure keep the rows equal to the state and the counters exact, on both databases."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from benchmarks.respondents import random_script
from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.service import Service
from flows.definition import load_flow
from flows.events import Inbound, Intent
from flows.navigation import is_empty
from flows.state import SessionState
from flows.surveys import DEFAULT_FLOW
from storage.consistency import verify
from storage.models import Answer, SurveySession
from storage.transactions import transaction

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# Besides answers: back, skip, change an answer by its number, restart and erasure (each
# confirmed or not), and words that are no answer at all.
DETOURS = ["返回", "跳过", "修改 1", "修改 3", "change 5", "重新开始", "删除我的数据", "是", "否"]


def _rows_match_states(engine: Engine) -> None:
    with transaction(engine) as session:
        rows = session.exec(select(Answer.session_id, Answer.question_id)).all()
        per_question = Counter(rows)
        for row in session.exec(select(SurveySession)).all():
            state = SessionState.from_json(row.state_json)
            for qid, answer in state.answers.items():
                if not is_empty(answer):
                    wanted = len(answer.options) + (answer.text is not None)
                    assert per_question.pop((row.id, qid)) == wanted, (row.id, qid)
        assert not per_question, f"answer rows no state holds: {per_question}"


def test_random_walks_with_detours_keep_answer_rows_equal_to_the_states(engine: Engine) -> None:
    flow = load_flow(DEFAULT_FLOW)
    service = Service(engine, flow)
    rng = random.Random(5)
    try:
        for person in range(4):
            user = f"walker{person}"
            script = random_script(flow, random.Random(person), invalid_rate=0.1, language="both")
            texts: list[str | None] = [None]
            for text in script:
                texts.append(text)
                if rng.random() < 0.3:
                    texts.append(rng.choice(DETOURS))
            for n, text in enumerate(texts):
                intent = Intent.START if text is None else None
                inbound = Inbound(now=NOW + timedelta(minutes=n), text=text, intent=intent)
                outcome = service.handle_sync(
                    Envelope(Channel.WECHAT, user, f"{user}-{n}", inbound)
                )
                assert outcome.messages
            with transaction(engine) as session:
                assert verify(session=session, flow=flow) == []
            _rows_match_states(engine)
    finally:
        service.close()
