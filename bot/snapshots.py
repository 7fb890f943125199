"""Fill the engine's data-free replies with live figures from storage.

The engine stays pure: it says "snapshot of question X" or "completion summary"; the
figures come from the exact aggregate counters read inside the same transaction. No
snapshot is shown while fewer than `min_respondents` answered (privacy: early
respondents must not infer one another's answers).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlmodel import Session

from flows.events import Reply
from flows.model import Flow, Question, QuestionType
from flows.peer_segments import SEGMENT_BY, SEGMENT_WITHIN
from flows.state import SessionState
from storage.aggregates import (
    RESPONDENTS,
    QuestionStats,
    counters,
    option_ids,
    percent,
    question_stats,
)
from storage.models import ContactRequest
from storage.segment_counters import segment_counter_stats

SUMMARY_TOP = 3


class Enricher:
    def __init__(
        self,
        *,
        session: Session,
        flow: Flow,
        state: SessionState,
        min_respondents: int,
        contacts: Sequence[ContactRequest],
    ) -> None:
        self.session = session
        self.flow = flow
        self.state = state
        self.min_respondents = min_respondents
        self.contacts = contacts
        self._stats: dict[str, QuestionStats] | None = None

    @property
    def stats(self) -> dict[str, QuestionStats]:
        if self._stats is None:
            self._stats = question_stats(session=self.session, flow=self.flow)
        return self._stats

    def enrich(self, replies: Sequence[Reply]) -> list[Reply]:
        out: list[Reply] = []
        for reply in replies:
            if reply.key == "snapshot":
                snapshot = self._snapshot(reply)
                if snapshot is not None:
                    out.append(snapshot)
            elif reply.key == "completion_summary":
                out.append(self._summary(reply))
            elif reply.key == "contact_created":
                reference = self.contacts[0].reference if self.contacts else None
                out.append(Reply(reply.key, {**reply.params, "reference": reference}, reply.lang))
            else:
                out.append(reply)
        return out

    def _snapshot(self, reply: Reply) -> Reply | None:
        question: Question = reply.params["question"]
        if question.is_note or not question.is_choice:
            return None
        # After nearly every answer: the one question's counters, not the whole survey's
        # statistics (`question_stats` computes percentages for every question).
        counts = counters(session=self.session, flow_id=self.flow.id, question_id=question.id)
        respondents = counts.get((question.id, RESPONDENTS), 0)
        if respondents < self.min_respondents:
            return None
        known = option_ids(question)
        items = [
            {"text": option.text, "pct": percent(counts.get((question.id, oid), 0), respondents)}
            for oid in reply.params["options"]
            if oid in known and (option := question.option(oid)) is not None
        ]
        if not items:
            return None
        single = question.type in (QuestionType.SINGLE, QuestionType.YES_NO)
        params = {"items": items, "respondents": respondents, "single": single}
        return Reply("snapshot", params, reply.lang)

    def _summary(self, reply: Reply) -> Reply:
        rows, respondents = self._rows(self.stats)
        params = {"rows": rows, "respondents": respondents, "segment": self._segment()}
        return Reply(reply.key, params, reply.lang)

    def _rows(
        self, stats_by_question: Mapping[str, QuestionStats], skip: Collection[str] = ()
    ) -> tuple[list[dict[str, Any]], int]:
        """Each question's leading answers (questions below the threshold left out)."""
        rows = []
        respondents = 0
        for question in self.flow.questions:
            stats = stats_by_question.get(question.id)
            if not question.is_choice or not question.snapshot or stats is None:
                continue
            if stats.respondents < self.min_respondents or question.id in skip:
                continue
            respondents = max(respondents, stats.respondents)
            top = sorted(stats.options, key=lambda o: -o.count)[:SUMMARY_TOP]
            options = [
                {"text": option.text, "pct": o.pct_of_respondents}
                for o in top
                if o.count > 0 and (option := question.option(o.option_id)) is not None
            ]
            rows.append({"question": question, "options": options})
        return rows, respondents

    def _segment(self) -> dict[str, Any] | None:
        """Suppliers of the respondent's commodity, when enough of them answered."""
        (role_id, supplier), by_id = SEGMENT_WITHIN, SEGMENT_BY
        if not (self.flow.has_question(role_id) and self.flow.has_question(by_id)):
            return None
        role, mine = self.state.answers.get(role_id), self.state.answers.get(by_id)
        if role is None or supplier not in role.options or mine is None:
            return None
        by = self.flow.question(by_id)
        for option_id in mine.options:  # the core commodity first, as the question asks
            option = by.option(option_id)
            # Exact counters kept with the answers: one small read at any size.
            peers = segment_counter_stats(session=self.session, flow=self.flow, segment=option_id)
            if option is None or peers.respondents < self.min_respondents:
                continue
            rows, _ = self._rows(peers.questions, skip={role_id, by_id})
            if rows:
                return {"label": option.text, "respondents": peers.respondents, "rows": rows}
        return None
