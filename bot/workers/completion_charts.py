"""The completion chart: a respondent's answers against everyone's, drawn off the reply path.

The dispatcher queues a chart when a survey is completed (storage.chart_queue); this
worker draws it from the live statistics, with the snapshot's privacy rule (a question
answered by fewer than N respondents is left out, small counts are words, not bars;
nothing to show, no chart),
and hands the PNG to the delivery worker. A respondent who deleted their data since
gets nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from bot.reports.disclosure import Shown, Thresholds, question_figures
from bot.surveys.catalog import SurveyCatalog
from flows.model import Flow, Lang
from flows.state import SessionState
from storage.aggregates import QuestionStats, question_stats
from storage.chart_queue import STAFF_KIND, chart_drawn, claim_charts, respondent_of, survey_of
from storage.filters import ReportFilter, filter_from_json
from storage.models import Outbox
from storage.session_rows import load_session_row
from storage.transactions import run_in_transaction, transaction

log = logging.getLogger(__name__)

# After the reply's queued text parts (bot.dispatch.reply_delivery.TAIL_DELAY, 1.5 s), so the
# chart arrives below the summary it illustrates.
FOLLOW_REPLY = timedelta(seconds=2)


def completion_chart(
    flow: Flow,
    stats: Mapping[str, QuestionStats],
    state: SessionState,
    *,
    min_respondents: int,
    min_cell: int = Thresholds.min_cell,
) -> bytes | None:
    """The PNG, or None when none of the respondent's answers may be compared yet."""
    # matplotlib and numpy (~55 MB): only a worker that draws a chart loads them.
    from bot.reports.charts import relevant_questions, respondent_chart_png

    shown, coarse = chart_figures(
        flow, stats, state, min_respondents=min_respondents, min_cell=min_cell
    )
    if not relevant_questions(flow, shown, state.answers):
        return None
    return respondent_chart_png(flow, shown, state.answers, lang=state.lang, coarse=coarse)


def chart_figures(
    flow: Flow,
    stats: Mapping[str, QuestionStats],
    state: SessionState,
    *,
    min_respondents: int,
    min_cell: int,
) -> tuple[dict[str, QuestionStats], dict[tuple[str, str], str]]:
    """What the chart may show, by the privacy rule of the text (bot.reports.disclosure): the
    respondent's answered questions above the threshold, and which (question, option)
    figures are coarsened ("few" / "most" / "alone": drawn as a word, not a bar)."""
    shown: dict[str, QuestionStats] = {}
    coarse: dict[tuple[str, str], str] = {}
    for question_id, stat in stats.items():
        answer = state.answers.get(question_id)
        if not flow.has_question(question_id) or answer is None:
            continue
        figures = question_figures(
            flow.question(question_id),
            {o.option_id: o.count for o in stat.options},
            stat.respondents,
            set(answer.options),
            min_group=min_respondents,
            min_cell=min_cell,
        )
        if figures is None:
            continue
        shown[question_id] = stat
        for f in figures.figures:
            if f.shown is not Shown.EXACT:
                coarse[(question_id, f.option_id)] = f.shown.value
    return shown, coarse


class ChartWorker:
    def __init__(
        self,
        engine: Engine,
        surveys: Flow | SurveyCatalog,
        *,
        channels: Collection[str],
        min_respondents: int,
        min_cell: int = Thresholds.min_cell,
        batch: int = 10,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.catalog: SurveyCatalog = (
            surveys if isinstance(surveys, SurveyCatalog) else SurveyCatalog.fixed(surveys)
        )
        self.channels = tuple(channels)
        self.min_respondents = min_respondents
        self.min_cell = min_cell
        self.batch = batch
        self.clock = clock

    def run_once(self) -> int:
        """Draw what is queued now; returns how many rows were handled."""
        now = self.clock()
        items = run_in_transaction(
            self.engine,
            lambda session: claim_charts(
                session=session, now=now, limit=self.batch, channels=self.channels
            ),
        )
        for item in items:
            try:
                png = self._draw(item)
            except Exception:  # a drawing bug must not stop the others; retried, then dropped
                log.exception("completion chart %s could not be drawn", item.id)
                continue
            self._finish(item, png)
        return len(items)

    async def run_forever(self, interval: float = 1.0) -> None:
        while True:
            try:
                handled = await anyio.to_thread.run_sync(self.run_once)
            except Exception:  # the loop must survive a database outage; it is logged
                log.exception("completion chart round failed")
                handled = 0
            if not handled:
                await anyio.sleep(interval)

    def _finish(self, item: Outbox, png: bytes | None) -> None:
        deliver_at = max(self.clock(), item.created_at + FOLLOW_REPLY)
        run_in_transaction(
            self.engine,
            lambda session: chart_drawn(session=session, item=item, png=png, deliver_at=deliver_at),
        )

    def _draw(self, item: Outbox) -> bytes | None:
        if item.kind == STAFF_KIND:
            return self._draw_staff_chart(item)
        # One consistent read that holds up no writer; the drawing happens after it.
        with transaction(self.engine, readonly=True) as session:
            flow = self._flow(session, item)
            row = load_session_row(
                session=session, respondent_id=respondent_of(item), flow_id=flow.id
            )
            state = SessionState.from_json(row.state_json) if row is not None else None
            # Counting per organisation or plant: the respondent's own session speaks for
            # their unit in what they are shown (storage.live_counts).
            own = ReportFilter(viewer=row.id if row is not None else None)
            stats = question_stats(session=session, flow=flow, report_filter=own) if state else {}
        if state is None:
            return None
        return completion_chart(
            flow, stats, state, min_respondents=self.min_respondents, min_cell=self.min_cell
        )

    def _draw_staff_chart(self, item: Outbox) -> bytes | None:
        """A staff /chart: the question's figures (the filter given), bilingual."""
        from bot.reports.charts import question_chart_png  # matplotlib: see above

        data = json.loads(item.payload_json)
        with transaction(self.engine, readonly=True, long_read=True) as session:
            flow = self._flow(session, item)
            if not flow.has_question(data["question_id"]):
                return None
            report_filter = filter_from_json(data.get("filter") or {})
            stats = question_stats(session=session, flow=flow, report_filter=report_filter)
        question = flow.question(data["question_id"])
        return question_chart_png(question, stats[question.id], lang=Lang.BOTH)

    def _flow(self, session: Session, item: Outbox) -> Flow:
        survey = survey_of(item)
        if survey is None:  # queued before surveys had versions: the default survey
            newest = self.catalog.newest_flow(session, self.catalog.default_flow_id)
            assert newest is not None
            return newest
        return self.catalog.flow(session, *survey)
