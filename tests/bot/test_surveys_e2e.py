"""Several surveys side by side, versions and closing, through POST /wechat (real app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.surveys.publish import SurveyFile, publish_survey
from bot.workers.completion_charts import ChartWorker
from flows.definition import load_flow_text
from flows.mapping import SurveyMapping
from storage import surveys as registry
from storage.chart_queue import KIND, survey_of
from storage.consistency import verify
from storage.models import Answer, Outbox, Respondent, SurveySession
from storage.transactions import transaction
from tests.bot.test_wechat_e2e import SUPPLIER
from tests.bot.wechat_harness import Harness, open_harness
from tests.flows.versions import MAPPING, NEXT, V1, V2


@pytest.fixture
async def mini(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The app serving the mini survey (tests/flows/versions.py), its `next` beside it."""
    (tmp_path / "mini.yaml").write_text(V1, encoding="utf-8")
    (tmp_path / "mini_next.yaml").write_text(NEXT, encoding="utf-8")
    async with open_harness(db_url, flow_path=tmp_path / "mini.yaml") as opened:
        opened.runtime.catalog.ttl_s = 0  # see every publish at once (the default is 2 s)
        yield opened


def _publish(h: Harness, source: str, mapping: dict[str, object] | None = None) -> None:
    with transaction(h.runtime.engine) as session:
        publish_survey(
            session=session,
            survey=SurveyFile(load_flow_text(source), source),
            now=datetime.now(UTC),
            mapping=SurveyMapping.from_data(mapping) if mapping else None,
        )


def _rows(h: Harness, openid: str) -> list[tuple[str, int, str, str | None]]:
    with transaction(h.runtime.engine, readonly=True) as session:
        rid = session.exec(select(Respondent.id).where(Respondent.channel_user_id == openid)).one()
        rows = session.exec(select(Answer).where(Answer.respondent_id == rid)).all()
        return sorted((r.flow_id, r.flow_version, r.question_id, r.option_id) for r in rows)


def _consistent(h: Harness, *flow_ids: str) -> None:
    with transaction(h.runtime.engine, readonly=True) as session:
        for flow_id in flow_ids:
            flow = h.runtime.catalog.newest_flow(session, flow_id)
            assert flow is not None
            assert verify(session=session, flow=flow) == []


async def test_startup_publishes_the_shipped_survey_and_its_next(harness: Harness) -> None:
    with transaction(harness.runtime.engine, readonly=True) as session:
        listed = [(v.flow_id, v.version) for v in registry.list_versions(session=session)]
    assert listed == [("aiag_carbon", 3), ("aiag_pcf_followup", 2)]


async def test_finishing_offers_the_follow_up_and_it_starts_in_the_same_language(
    harness: Harness,
) -> None:
    sim = harness.simulator(safe=True)
    await sim.send_text("o_next", "hi")
    replies = [await sim.send_text("o_next", text) for text in SUPPLIER]
    sent = await harness.deliver()  # every customer-service text so far
    done = replies[-1].shown + "".join(sent)
    assert "回复“后续调查”即可开始" in done and 'Reply "next"' in done
    started = await sim.send_text("o_next", "后续调查")
    text = started.shown + "".join((await harness.deliver())[len(sent) :])
    assert "AIAG 产品碳足迹（PCF）后续调查" in text
    assert "请选择语言" not in text  # the language carried over (the bilingual layout)
    assert "【1/" in text
    reply = await sim.send_text("o_next", "1")
    assert reply.status == 200
    with transaction(harness.runtime.engine, readonly=True) as session:
        sessions = session.exec(select(SurveySession.flow_id, SurveySession.status)).all()
        respondents = session.exec(select(Respondent)).all()
    assert sorted(sessions) == [("aiag_carbon", "completed"), ("aiag_pcf_followup", "active")]
    assert len(respondents) == 1  # one identity across both surveys
    assert any(r[0] == "aiag_pcf_followup" for r in _rows(harness, "o_next"))
    _consistent(harness, "aiag_carbon", "aiag_pcf_followup")


async def test_next_in_english_continues_in_english(mini: Harness) -> None:
    sim = mini.simulator(safe=False)
    for text in ("hi", "2", "1", "3", "skip"):
        await sim.send_text("o_en", text)
    done = await sim.send_text("o_en", "40")
    assert 'Reply "next" to start it.' in done.shown
    assert "后续调查" not in done.shown  # English only
    started = await sim.send_text("o_en", "next")
    assert "Welcome to the Follow-up survey" in started.shown and "欢迎" not in started.shown
    assert "Calculated a PCF" in started.shown
    again = await sim.send_text("o_en", "yes")
    assert "Thanks" in again.shown
    assert ("mini_next", 1, "pcf", "yes") in _rows(mini, "o_en")


async def test_next_survey_closed_is_said_and_nothing_starts(mini: Harness) -> None:
    with transaction(mini.runtime.engine) as session:
        registry.close(session=session, flow_id="mini_next", now=datetime.now(UTC))
    sim = mini.simulator(safe=False)
    for text in ("hi", "2", "1", "3", "skip", "40"):
        await sim.send_text("o_c", text)
    reply = await sim.send_text("o_c", "next")
    assert "not open at the moment" in reply.shown
    with transaction(mini.runtime.engine, readonly=True) as session:
        flows = session.exec(select(SurveySession.flow_id)).all()
    assert flows == ["mini"]


async def test_without_a_mapping_respondents_finish_on_their_version(mini: Harness) -> None:
    sim = mini.simulator(safe=False)
    for text in ("hi", "2", "2"):  # on version 1: role = supplier
        await sim.send_text("o_old", text)
    _publish(mini, V2)
    reply = await sim.send_text("o_old", "1 2")  # version 1's `tools` question
    assert "Remarks" in reply.shown  # still version 1's next question
    await sim.send_text("o_new", "hi")
    fresh = await sim.send_text("o_new", "2")
    assert "Role" in fresh.shown
    await sim.send_text("o_new", "1")
    new_q = await sim.send_text("o_new", "1")  # version 2's `software`: sheets
    assert "Region" in new_q.shown
    assert _rows(mini, "o_old") == [
        ("mini", 1, "role", "supplier"),
        ("mini", 1, "tools", "excel"),
        ("mini", 1, "tools", "lca"),
    ]
    assert _rows(mini, "o_new") == [("mini", 2, "role", "oem"), ("mini", 2, "software", "sheets")]
    with transaction(mini.runtime.engine, readonly=True) as session:
        counts = registry.version_counts(session=session, flow_id="mini")
    assert (counts[1].started, counts[2].started) == (1, 1)
    _consistent(mini, "mini")


async def test_a_mapping_moves_respondents_in_progress(mini: Harness) -> None:
    sim = mini.simulator(safe=False)
    for text in ("hi", "2", "2", "1 2"):  # supplier; spreadsheets + LCA software
        await sim.send_text("o_move", text)
    _publish(mini, V2, MAPPING)
    reply = await sim.send_text("o_move", "1")  # meant for v1's `remarks`: not taken
    assert "This survey has been updated" in reply.shown and "Region" in reply.shown
    assert _rows(mini, "o_move") == [
        ("mini", 2, "role", "supplier"),
        ("mini", 2, "software", "sheets"),
    ]
    await sim.send_text("o_move", "1")  # region: China
    done = await sim.send_text("o_move", "12")
    assert "Thanks" in done.shown
    with transaction(mini.runtime.engine, readonly=True) as session:
        counts = registry.version_counts(session=session, flow_id="mini")
    assert 1 not in counts and counts[2].completed == 1
    _consistent(mini, "mini")


async def test_a_closed_survey_refuses_answers_and_newcomers(mini: Harness) -> None:
    sim = mini.simulator(safe=False)
    for text in ("hi", "2"):
        await sim.send_text("o_mid", text)
    with transaction(mini.runtime.engine) as session:
        registry.close(session=session, flow_id="mini", now=datetime.now(UTC))
    refused = await sim.send_text("o_mid", "1")
    assert "has closed and takes no more answers" in refused.shown
    assert "已结束" not in refused.shown  # in the language they chose (English)
    assert _rows(mini, "o_mid") == []
    newcomer = await sim.send_text("o_late", "hi")
    assert "has closed" in newcomer.shown and "已结束" in newcomer.shown  # no choice yet: both
    with transaction(mini.runtime.engine, readonly=True) as session:
        owners = session.exec(select(SurveySession.respondent_id)).all()
    assert len(owners) == 1  # the newcomer got no session
    _publish(mini, V2)  # a new version opens the survey again
    reopened = await sim.send_text("o_late", "hi")
    assert "Mini survey" in reopened.shown and "has closed" not in reopened.shown


async def test_the_completion_chart_is_drawn_for_the_survey_just_finished(mini: Harness) -> None:
    sim = mini.simulator(safe=False)
    users = [f"o_chart{n}" for n in range(5)]  # figures are shown from 5 respondents on
    for user in users:
        for text in ("hi", "2", "1", "3", "skip", "40", "next", "yes"):
            await sim.send_text(user, text)
    with transaction(mini.runtime.engine, readonly=True) as session:
        queued = session.exec(select(Outbox).where(Outbox.kind == KIND)).all()
        assert [survey_of(item) for item in queued] == [("mini", 1), ("mini_next", 1)] * 5
    runtime = mini.runtime
    worker = ChartWorker(
        runtime.engine, runtime.catalog, channels=["wechat"], min_respondents=5, batch=10
    )
    assert worker.run_once() == 10
    with transaction(mini.runtime.engine, readonly=True) as session:
        images = session.exec(select(Outbox).where(Outbox.kind == "image")).all()
    assert len(images) == 10  # one chart per survey, each from its own questions
