"""`/changes N` (变化 N): what changed since the survey's previous round, per question.

For a survey with `previous_round:` (docs/surveys.md): how many answered question N in
both rounds, the share who changed their answer, and the transition table from → to.
"""

from __future__ import annotations

from bot.reports import staff_replies as fmt
from bot.reports.round_changes import change_report
from bot.staff.call import Call, Result, Say
from bot.staff.stats_command import find_reportable
from flows.model import Flow
from flows.replies import Reply
from flows.staff_report_replies import StaffChanges, StaffChangesNone, StaffChangesUnmapped
from storage.rounds import round_pairs

__all__ = ["changes"]


def changes(call: Call, flow: Flow, say: Say) -> Result:
    rules = flow.previous_round
    if rules is None:
        return Result(say(StaffChangesNone(title=flow.title)), "changes")
    question = find_reportable(flow, call.request.argument.strip())
    if isinstance(question, Reply):
        return Result(say(question), "changes")
    number = fmt.number(flow, question)
    earlier = rules.earlier_question(question.id)
    if earlier is None:
        unmapped = StaffChangesUnmapped(question=question, number=number, survey=rules.survey)
        return Result(say(unmapped), "changes")
    pairs = round_pairs(
        session=call.session,
        flow_id=flow.id,
        question_id=question.id,
        earlier_flow_id=rules.survey,
        earlier_question_id=earlier,
    )
    report = change_report(flow, question, earlier, pairs)
    reply = StaffChanges(question=question, number=number, survey=rules.survey, report=report)
    detail: dict[str, object] = {"survey": flow.id, "question": question.id}
    return Result(say(reply), "changes", detail)
