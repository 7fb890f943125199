"""An answer offered with its question, to keep with one tap: "是 / 修改".

Two kinds of earlier answer are offered while the question has not been answered:
- the earlier round's answer (`SessionState.previous`, flows.rounds): "去年您选择了：X。
  仍然如此吗？";
- the organisation step's company name, when this conversation's contact details already
  hold one (a detail question of the same `field:`, answered in the survey's contact
  form or given through "联系我"): "您在联系方式中填写的是：X。是否沿用？". The contact
  details were given for being contacted, so the name becomes the organisation's only
  when the respondent taps yes, after the step's own notice; nobody types it twice.
"是 / keep" records the offered answer and "修改 / change" asks the question plainly; any
other message is read as an answer of its own. A yes/no question reads 是 / 否 as its
answer (是 there is both a keep and a yes: the same answer).
"""

from __future__ import annotations

from flows import answer_moves as answering
from flows.model import Question, QuestionType
from flows.offers import offered
from flows.replies import Recorded
from flows.rounds import Decision, decide
from flows.sprint import Sprint, prompt

__all__ = ["on_answer"]


def on_answer(sprint: Sprint, question: Question, text: str) -> bool:
    """Handle a keep or change; False: the message is an answer for the usual parser."""
    offer = offered(sprint.flow, sprint.state, question)
    earlier = offer.answer if offer is not None else None
    if earlier is None:
        return False
    decision = decide(text)
    if decision is Decision.CHANGE:
        sprint.update(revising=question.id, retries=0)
        prompt(sprint)
        return True
    if decision is Decision.KEEP and question.type is not QuestionType.YES_NO:
        answering.record(sprint, question, earlier)
        sprint.say(Recorded(question, earlier))
        answering.advance(sprint)
        return True
    return False
