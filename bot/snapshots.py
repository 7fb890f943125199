"""Fill the engine's data-free replies with live figures from storage.

The engine stays pure: it says "snapshot of question X" or "completion summary"; the
figures come from the exact aggregate counters read inside the same transaction. No
snapshot is shown while fewer than `min_respondents` answered (privacy: early
respondents must not infer one another's answers).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from flows.events import Reply
from flows.model import Flow, QuestionType
from flows.state import SessionState
from storage.aggregates import QuestionStats, question_stats
from storage.models import ContactRequest

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
        question = reply.params["question"]
        stats = self.stats.get(question.id)
        if stats is None or stats.respondents < self.min_respondents:
            return None
        by_id = {o.option_id: o for o in stats.options}
        items = [
            {"text": question.option(oid).text, "pct": by_id[oid].pct_of_respondents}
            for oid in reply.params["options"]
            if oid in by_id and question.option(oid) is not None
        ]
        if not items:
            return None
        single = question.type in (QuestionType.SINGLE, QuestionType.YES_NO)
        params = {"items": items, "respondents": stats.respondents, "single": single}
        return Reply("snapshot", params, reply.lang)

    def _summary(self, reply: Reply) -> Reply:
        rows = []
        respondents = 0
        for question in self.flow.questions:
            stats = self.stats.get(question.id)
            if not question.is_choice or not question.snapshot or stats is None:
                continue
            if stats.respondents < self.min_respondents:
                continue
            respondents = max(respondents, stats.respondents)
            top = sorted(stats.options, key=lambda o: -o.count)[:SUMMARY_TOP]
            options = [
                {"text": question.option(o.option_id).text, "pct": o.pct_of_respondents}
                for o in top
                if o.count > 0 and question.option(o.option_id) is not None
            ]
            rows.append({"question": question, "options": options})
        params = {"rows": rows, "respondents": respondents, "segment": None}
        return Reply(reply.key, params, reply.lang)
