"""Fill the engine's data-free replies with live figures from storage.

The engine stays pure: it says "snapshot of question X" or "completion summary", and only
when the flow's `snapshots:` mode allows it; the figures come from the exact aggregate
counters read inside the same transaction (per organisation or plant: the counted
sessions' rows, storage.live_counts). What may be shown follows `bot.reports.disclosure`
(docs/snapshots.md): figures on a named base, small counts coarsened, nothing about a
small group, and only about questions the respondent has already answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from bot.dispatch.summary import figure_params, indexed, summary_params
from bot.reports.disclosure import QuestionFigures, Thresholds, question_figures
from flows.completion_replies import Completed, Snapshot, SnapshotRequest, Summary, SummaryRequest
from flows.contact_form_replies import ContactCreated
from flows.model import Flow, Question
from flows.replies import Reply
from flows.state import SessionState
from storage.aggregates import RESPONDENTS
from storage.contacts import unfinished_contacts_of
from storage.counter_read_ahead import QuestionCounts
from storage.live_counts import live_counts
from storage.models import ContactRequest


class Enricher:
    def __init__(
        self,
        *,
        session: Session,
        flow: Flow,
        state: SessionState,
        thresholds: Thresholds,
        contacts: Sequence[ContactRequest],
        viewer: int | None = None,
        respondent_id: int | None = None,
        ahead: QuestionCounts | None = None,
    ) -> None:
        self.session = session
        # The counters of the question the session was at, read with the respondent's
        # lock (storage.counter_read_ahead): the snapshot's read, when it is that question.
        self.ahead = ahead
        self.respondent_id = respondent_id
        # The respondent's survey session: under unit counting it speaks for their unit.
        self.viewer = viewer
        self.flow = flow
        self.state = state
        self.thresholds = thresholds
        self.contacts = contacts

    def enrich(self, replies: Sequence[Reply]) -> list[Reply]:
        out: list[Reply] = []
        # The last answer's snapshot is left out when the summary follows in the same
        # message: the summary covers that question too, and may show a segment's figure
        # for it, which beside everyone's would tell the rest's by difference.
        summary_follows = any(_has_summary(r) for r in replies)
        for reply in replies:
            if isinstance(reply, SnapshotRequest):
                snapshot = None if summary_follows else self._snapshot(reply)
                if snapshot is not None:
                    out.append(snapshot)
            elif isinstance(reply, SummaryRequest):
                out.append(Summary(**self._summary(), lang=reply.lang))
            elif isinstance(reply, Completed) and reply.summary:
                # The completion message carries the summary inside it (issue 17 §6).
                out.append(replace(reply, figures=indexed(self._summary())))
            elif isinstance(reply, ContactCreated):
                out.append(self._contact(reply))
            else:
                out.append(reply)
        return out

    def _contact(self, reply: ContactCreated) -> ContactCreated:
        """The request's reference; none was made when an open one of theirs took the
        details (storage.contacts.request_contact): that one's, said as updated."""
        if self.contacts:
            return replace(reply, reference=self.contacts[0].reference)
        if self.respondent_id is not None:
            found = unfinished_contacts_of(session=self.session, respondent_id=self.respondent_id)
            if found:
                return replace(reply, reference=found[0][0], updated=True)
        return reply

    def _summary(self) -> dict[str, Any]:
        return summary_params(
            session=self.session,
            flow=self.flow,
            state=self.state,
            thresholds=self.thresholds,
            viewer=self.viewer,
        )

    def _snapshot(self, reply: SnapshotRequest) -> Snapshot | None:
        """The figures of the question just answered, for the options chosen."""
        question = reply.question
        answer = self.state.answers.get(question.id)
        if question.is_note or not question.is_choice or answer is None or not answer.options:
            return None
        # After nearly every answer: the one question's counters, not the whole survey's.
        counts = live_counts(
            session=self.session,
            flow=self.flow,
            viewer=self.viewer,
            question_id=question.id,
            ahead=self.ahead,
        )
        figures = snapshot_figures(
            question,
            {o: n for (_q, o), n in counts.items() if o != RESPONDENTS},
            counts.get((question.id, RESPONDENTS), 0),
            answer.options,
            self.thresholds,
        )
        if figures is None:
            return None
        items = [figure_params(question, f) for f in figures.figures]
        at_most = self.thresholds.min_cell - 1
        counting = self.flow.counting.value  # the base line names a unit rule
        return Snapshot(figures.base, items, at_most, counting=counting, lang=reply.lang)


def _has_summary(reply: Reply) -> bool:
    return isinstance(reply, SummaryRequest) or (isinstance(reply, Completed) and reply.summary)


def snapshot_figures(
    question: Question,
    counts: dict[str, int],
    base: int,
    mine: Sequence[str],
    thresholds: Thresholds,
) -> QuestionFigures | None:
    return question_figures(
        question,
        counts,
        base,
        set(mine),
        min_group=thresholds.min_group,
        min_cell=thresholds.min_cell,
        options=[o for o in mine if question.option(o) is not None],
    )
