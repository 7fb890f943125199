"""A respondent's survey step inside their message's transaction (`bot.dispatch.service`).

Route to the survey the respondent is in → the engine's step → save the state and the
answers' effects → alert staff of contact requests → enrich the replies with live figures
→ queue the completion chart → render; and open the survey chosen next, if any.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlmodel import Session

from bot.dispatch.colleagues import Colleagues
from bot.dispatch.delivery_plan import ReplyPlanner
from bot.dispatch.envelope import Envelope, Message, Outcome
from bot.dispatch.messages import to_messages
from bot.dispatch.render import Renderer
from bot.dispatch.snapshots import Enricher
from bot.dispatch.staff_alerts import alert_staff, tell_gone
from bot.dispatch.step_contacts import requests_gone, with_open_request
from bot.reports.disclosure import Thresholds
from bot.surveys import router
from bot.surveys.catalog import SurveyCatalog
from flows.events import (
    Inbound,
    NextSurveyChosen,
    RemindersDeclined,
    Step,
    SurveyCompleted,
    UnitChoiceMade,
)
from flows.model import CountingUnit, Lang, SnapshotMode, Text
from flows.outside_step_replies import NextUnavailable, NoMorePages
from flows.replies import Reply, SurveyClosed
from flows.state import Answer as StateAnswer
from storage import reminders
from storage.answers import apply_effects
from storage.chart_queue import queue_chart
from storage.respondents import RespondentRow, save_session_row
from storage.session_counters import Who, known_before
from storage.session_rows import LatestSession, SessionRow


class SurveyStep:
    def __init__(
        self,
        catalog: SurveyCatalog,
        renderer: Renderer,
        *,
        thresholds: Thresholds,
        staff: Sequence[tuple[str, str]],
        welcome_back_after: timedelta,
    ) -> None:
        self.catalog = catalog
        self.renderer = renderer
        self.thresholds = thresholds
        self.staff = staff  # (channel, user id) pairs alerted of contact requests
        self.welcome_back_after = welcome_back_after

    def run(
        self,
        session: Session,
        envelope: Envelope,
        respondent: RespondentRow,
        planner: ReplyPlanner | None = None,
        latest: LatestSession | None = None,
    ) -> Outcome:
        """`latest`: the respondent's newest session row if read ahead with their lock."""
        now = envelope.inbound.now
        assert respondent.id is not None  # flushed by lock_respondent
        links = planner is not None  # WeChat: options and commands as tap links
        inbound, notes = envelope.inbound, tuple[Reply, ...]()
        if planner is not None and planner.is_more(inbound.text):
            # "更多" with no page left: said so, and the question asked again.
            inbound, notes = Inbound(now=now), (NoMorePages(lang=Lang.BOTH),)
        at = router.route(
            session=session, catalog=self.catalog, respondent_id=respondent.id, latest=latest
        )
        if at is None:  # nobody may start: the survey was closed
            closed = _closed_reply(self.catalog, session)
            return Outcome((Message(self.renderer.render(closed, Lang.BOTH)),))
        flow, result = router.advance(
            session=session,
            catalog=self.catalog,
            at=at,
            inbound=inbound,
            welcome_back_after=self.welcome_back_after,
        )
        chosen = [e.flow_id for e in result.effects if isinstance(e, NextSurveyChosen)]
        who = Who(respondent.channel, respondent.lang, respondent.is_test)
        saved = save_session_row(
            session=session,
            respondent_id=respondent.id,
            state=result.state,
            now=now,
            before=known_before(who, at.row, flow_id=result.state.flow_id),
            read=at.row,  # read under the respondent's lock: the save needs no RETURNING
        )
        # Requests still to follow up, read before "delete my data" removes them or a
        # changed answer withdraws them: their staff are told below.
        gone = requests_gone(session, respondent.id, result.effects)
        contacts = apply_effects(
            session=session,
            respondent=respondent,
            survey_session=saved,
            # A colleague choice is answered below, never stored as such.
            effects=[
                e for e in result.effects if not isinstance(e, NextSurveyChosen | UnitChoiceMade)
            ],
            now=now,
            # Both states at hand: the peer-segment counters follow them without a read.
            answers=(at.state.answers if at.state is not None else {}, result.state.answers),
            segments=self.catalog.declared_segments(session),
            stored=_stored_answers(at, saved),
        )
        if gone is not None:
            tell_gone(
                session=session,
                action=gone[0],
                requests=gone[1],
                staff=self.staff,
                now=now,
                renderer=self.renderer,
            )
        for contact in contacts:
            alert_staff(
                session=session,
                contact=contact,
                staff=self.staff,
                now=now,
                flow=flow,
                renderer=self.renderer,
            )
        declined = any(isinstance(e, RemindersDeclined) for e in result.effects)
        if respondent.return_awaited and not declined:
            # Staff see how many reminded respondents came back (/progress).
            reminders.note_return(session=session, respondent_id=respondent.id, now=now)
        enricher = Enricher(
            session=session,
            flow=flow,
            state=result.state,
            thresholds=self.thresholds,
            contacts=contacts,
            viewer=saved.id,
            respondent_id=respondent.id,
            ahead=latest.counts if latest is not None else None,
        )
        chose: tuple[Reply, ...] = ()
        notice: Reply | None = None
        if flow.counting is not CountingUnit.RESPONDENT:
            # A colleague of the same organisation or plant: told after the organisation
            # step, and a choice about them answered before the engine's own words.
            colleagues = Colleagues(session, self.catalog, flow, respondent.id, now)
            actions = [e.action for e in result.effects if isinstance(e, UnitChoiceMade)]
            chose = tuple(colleagues.answer(action) for action in actions)
            notice = colleagues.notice(result.effects)
        enriched = with_open_request(
            session, flow, respondent.id, result.effects, enricher.enrich(result.replies)
        )
        replies = (*notes, *chose, *enriched)
        completed = any(isinstance(e, SurveyCompleted) for e in result.effects)
        if completed and flow.snapshots is not SnapshotMode.OFF:
            # The completion chart takes ~0.5 s of CPU to draw: neither inside this
            # transaction (finishing respondents queued behind it into lock timeouts) nor
            # before the reply (many at once overran WeChat's 5 s). Queued here, drawn and
            # sent by bot.workers.completion_charts.ChartWorker through the outbox.
            queue_chart(
                session=session,
                channel=respondent.channel,
                recipient=respondent.channel_user_id,
                respondent_id=respondent.id,
                now=now,
                survey=(flow.id, flow.version),
            )
        messages = to_messages(self.renderer, replies, result.state, links=links)
        if notice is not None:  # first, with its own buttons (Telegram) or tap links
            told = to_messages(self.renderer, [notice], result.state, links=links)
            messages = (*told, *messages)
        if chosen:
            opened = self._open_next(session, envelope, respondent, chosen[0], result, links)
            messages = (*messages, *opened)
        return Outcome(messages)

    def _open_next(
        self,
        session: Session,
        envelope: Envelope,
        respondent: RespondentRow,
        flow_id: str,
        finished: Step,
        links: bool,
    ) -> tuple[Message, ...]:
        """The respondent asked for the survey offered next: start it in this transaction."""
        assert respondent.id is not None
        now = envelope.inbound.now
        started = router.start_next(
            session=session,
            catalog=self.catalog,
            respondent_id=respondent.id,
            flow_id=flow_id,
            finished=finished.state,
            inbound=envelope.inbound,
        )
        if started is None:
            unavailable = [NextUnavailable()]
            return to_messages(self.renderer, unavailable, finished.state, links=links)
        _, step = started
        saved = save_session_row(
            session=session, respondent_id=respondent.id, state=step.state, now=now
        )
        apply_effects(
            session=session,
            respondent=respondent,
            survey_session=saved,
            effects=step.effects,
            now=now,
        )
        return to_messages(self.renderer, step.replies, step.state, links=links)


def _stored_answers(at: router.Route, saved: SessionRow) -> Mapping[str, StateAnswer] | None:
    """What the saved session row held before this step, where the route read that row
    (or none existed): its answers say which questions have answer rows."""
    if at.row is None:  # the respondent had no session row: none has answer rows
        return {}
    if at.row.id == saved.id and at.state is not None:
        return at.state.answers
    return None


def _closed_reply(catalog: SurveyCatalog, session: Session) -> SurveyClosed:
    flow = catalog.newest_flow(session, catalog.default_flow_id)
    title = flow.title if flow is not None else Text("AIAG 调查", "AIAG survey")
    return SurveyClosed(title, lang=Lang.BOTH)
